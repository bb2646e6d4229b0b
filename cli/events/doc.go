// Package events owns the `cassmesos events` command: its Options, its flag binding (NewCmdEvents,
// with a runF hook for tests) and its run function.
//
// It imports cli plumbing (cmdutil, iostreams, printers) and the generated API; it must not import
// other command packages, daemon/, executor/ or zkstate/.
package events
