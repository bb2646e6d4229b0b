// Package config turns cassmesosd's flags, CASSMESOSD_* environment variables and optional YAML
// config file into a validated Config. Precedence: flag > environment > file > default. Every
// validation error names the flag it is about.
//
// It owns only option parsing and validation; it imports no other cassmesos package and does no
// I/O beyond reading the config file, the secret files and stat-ing local paths.
package config
