// Package remove owns the `cassmesos dc remove` command: its Options, its flag binding (NewCmd…,
// with a runF hook for tests) and its run function.
//
// It imports cli plumbing (cmdutil, opflow) and the generated API; it must not import other
// command packages, daemon/, executor/ or zkstate/.
package remove
