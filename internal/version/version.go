// Package version holds the build's version, set at link time by the Makefile.
// It imports nothing of the project.
package version

// Version is the release this binary was built from ("dev" for an untagged build).
var Version = "dev"
