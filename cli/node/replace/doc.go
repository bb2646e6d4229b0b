// Package replace owns the `cassmesos node replace` command: its Options,
// its flag binding (NewCmd…, with a runF hook for tests) and its run function.
//
// It imports cli plumbing (cmdutil, iostreams, printers, opflow) and the generated API; it must
// not import other command packages (except shared helpers named in its imports), daemon/,
// executor/ or zkstate/.
package replace
