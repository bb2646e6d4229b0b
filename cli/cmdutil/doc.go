// Package cmdutil is the CLI's plumbing shared by every command: the Factory (lazy config file,
// daemon connection and typed clients), the global flag values, the connection wrapper that
// follows a standby daemon to its leader and names the address when the daemon is unreachable,
// the typed errors and the ONE function (ExitCode) that maps errors to documented exit codes,
// -o handling, and parsers of flag values (sizes, durations with days, placement constraints).
//
// It imports cli/config, cli/iostreams, internal/version and the generated API; no command package.
package cmdutil
