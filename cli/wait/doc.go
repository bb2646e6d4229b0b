// Package wait owns the CLI's one wait engine: it follows an operation through
// OperationService.WatchOperation until it succeeds, fails, is cancelled or --timeout passes,
// reconnecting the stream when it drops, and shows progress as a live view on a terminal,
// timestamped change lines in a pipe, or nothing with structured output. The final phase decides
// the error (and so the exit code).
//
// It imports cli/cmdutil, cli/printers and the generated API; no command package.
package wait
