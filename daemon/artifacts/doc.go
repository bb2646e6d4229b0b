// Package artifacts is cassmesosd's artifact HTTP server: it serves the cassmesos-executor binary
// and local Cassandra/Java tarballs under content-hash URLs, /artifacts/<sha256>/<basename>, so
// every daemon instance serves the same paths for the same bytes and a cached fetch on an agent is
// never stale. GET and HEAD are supported, with Range requests (net/http.ServeContent).
//
// It owns only the file registry and the HTTP handler; it imports nothing of cassmesos.
package artifacts
