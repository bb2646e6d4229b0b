// Package cli is the cassmesos command-line client: NewCmdRoot builds the command tree (one
// package per noun/verb under cli/), Main and Run execute it, print errors as one line and return
// the documented exit code (cli/cmdutil.ExitCode).
//
// cli and its packages talk to cassmesosd only through the generated gRPC API (rpc/cassmesos/v1);
// they must not import daemon/, executor/ or zkstate/.
package cli
