// Package config owns the CLI's config file: its location in the XDG config directory
// ($CASSMESOS_CONFIG overrides it), its YAML format (named contexts, each a daemon address, and
// the current context), strict parsing and atomic saving.
//
// It imports nothing of the project and no gRPC.
package config
