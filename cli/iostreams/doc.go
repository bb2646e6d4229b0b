// Package iostreams owns the CLI's standard streams and decides, from whether each one is a
// terminal, how a command talks to the user: live progress redrawn in place, prompts, or plain
// lines for pipes. Test returns buffer-backed streams so every command can be tested both ways.
//
// It imports nothing of the project.
package iostreams
