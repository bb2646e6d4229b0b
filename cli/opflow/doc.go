// Package opflow owns what every operation-starting verb does after the server answered: print
// the started operation in the -o format, or, with --wait, follow it through the wait engine and
// print its final state.
//
// It imports cli/cmdutil, cli/printers, cli/wait and the generated API; no command package.
package opflow
