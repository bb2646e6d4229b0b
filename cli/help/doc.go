// Package help owns the CLI's help topics (`cassmesos help exit-codes`) and the text of
// docs/exit-codes.md, both rendered from cli/cmdutil.ExitCodes.
//
// It imports cli/cmdutil and cli/iostreams; no command package.
package help
