// Package term owns the terminal: the IO streams every command writes to, TTY
// and colour detection, secret redaction of what goes to stderr, progress
// reporting and logging. Nothing in mapback writes to os.Stdout directly.
package term

import (
	"bytes"
	"io"
	"os"

	xterm "golang.org/x/term"
)

// IOStreams are the three standard streams plus what is known about them.
// Results (resolved traces, --json) go to Out; progress, logs and reports go
// to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdoutTTY bool
	stderrTTY bool
	noColor   bool // NO_COLOR, TERM=dumb or --no-color
	quiet     bool

	redactors []*RedactingWriter
}

// System returns streams bound to the process's stdin, stdout and stderr.
func System() *IOStreams {
	s := &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdoutTTY: xterm.IsTerminal(int(os.Stdout.Fd())),
		stderrTTY: xterm.IsTerminal(int(os.Stderr.Fd())),
	}
	// https://no-color.org: any non-empty value disables colour.
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		s.noColor = true
	}
	return s
}

// Test returns streams backed by buffers, with no TTY, for tests.
func Test() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal; progress bars and colour
// are drawn only then.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetTTY overrides TTY detection (tests, and golden output for both modes).
func (s *IOStreams) SetTTY(stdout, stderr bool) { s.stdoutTTY, s.stderrTTY = stdout, stderr }

// SetNoColor disables colour (the --no-color flag).
func (s *IOStreams) SetNoColor(v bool) { s.noColor = s.noColor || v }

// ColorEnabled reports whether stderr output may use ANSI colour.
func (s *IOStreams) ColorEnabled() bool { return s.stderrTTY && !s.noColor }

// StdoutColorScheme colours text for stdout: only when stdout is a terminal
// and colour is not turned off, so piped results stay plain.
func (s *IOStreams) StdoutColorScheme() ColorScheme {
	return ColorScheme{enabled: s.stdoutTTY && !s.noColor}
}

// SetQuiet makes the streams quiet: no progress, no reports, no warnings;
// errors and results on stdout still appear.
func (s *IOStreams) SetQuiet(v bool) { s.quiet = v }

// Quiet reports whether --quiet is in effect.
func (s *IOStreams) Quiet() bool { return s.quiet }

// Redact makes every later write to ErrOut (logs, warnings, errors) replace
// the given secrets with their redacted form. Out is left alone: it carries
// results (a resolved trace, a JSON report) that must never be rewritten, and
// no result mapback prints holds a secret. It may be called several times;
// empty and short secrets are ignored. Call Flush before exiting.
func (s *IOStreams) Redact(secrets ...string) {
	if len(s.redactors) == 0 {
		errOut := NewRedactingWriter(s.ErrOut)
		s.ErrOut = errOut
		s.redactors = []*RedactingWriter{errOut}
	}
	for _, r := range s.redactors {
		r.Add(secrets...)
	}
}

// Flush writes out anything a redacting writer still holds back.
func (s *IOStreams) Flush() error {
	var first error
	for _, r := range s.redactors {
		if err := r.Flush(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
