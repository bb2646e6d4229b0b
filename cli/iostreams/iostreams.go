package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the standard streams of one command run and what is known about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
	width     int
}

// System returns the process's streams, asking the OS whether each one is a terminal.
func System() *IOStreams {
	ios := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, width: 80}
	dumb := os.Getenv("TERM") == "dumb"
	ios.stdinTTY = term.IsTerminal(int(os.Stdin.Fd()))
	ios.stdoutTTY = !dumb && term.IsTerminal(int(os.Stdout.Fd()))
	ios.stderrTTY = !dumb && term.IsTerminal(int(os.Stderr.Fd()))
	if ios.stdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			ios.width = w
		}
	}
	return ios
}

// Test returns streams backed by buffers, none of them a terminal, and the buffers.
func Test() (ios *IOStreams, in *bytes.Buffer, out *bytes.Buffer, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, width: 80}, in, out, errOut
}

// IsStdinTTY reports whether standard input is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether standard output is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether standard error is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY overrides the terminal detection of standard input (tests).
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY overrides the terminal detection of standard output (tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY overrides the terminal detection of standard error (tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// SetTTY marks all three streams as terminals or not (tests).
func (s *IOStreams) SetTTY(v bool) {
	s.stdinTTY, s.stdoutTTY, s.stderrTTY = v, v, v
}

// CanPrompt reports whether the user can be asked a question: stdin and stderr are terminals.
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stderrTTY }

// LiveProgress reports whether progress may be redrawn in place on standard error.
func (s *IOStreams) LiveProgress() bool { return s.stderrTTY }

// TerminalWidth is the width of the terminal on stdout (80 when unknown).
func (s *IOStreams) TerminalWidth() int { return s.width }
