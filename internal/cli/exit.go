package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/mapback/mapback/internal/term"
)

// Exit codes. ExitCode is the only place that decides between them.
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitInterrupted = 130
)

// UsageError is a mistake in how mapback was called: an unknown command or
// flag, a missing or surplus argument, conflicting flags.
type UsageError struct {
	Err error
	// Command is the full command path ("mapback config") for the help hint.
	Command string
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(cmdPath, format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...), Command: cmdPath}
}

// ErrSilent reports a failure that the command has already explained on
// stderr (a report listing the files that failed, a failed checklist): the
// exit code is 1 and nothing more is printed.
var ErrSilent = errors.New("failed (details above)")

// ExitCode maps the outcome of a command to the process exit code. An
// interrupted context wins over any error it caused (a cancelled request
// surfaces as a network error, but the user pressed Ctrl-C).
func ExitCode(ctx context.Context, err error) int {
	var usage *UsageError
	switch {
	case err == nil:
		return ExitOK
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &usage):
		return ExitUsage
	default:
		return ExitFailure
	}
}

// reportError prints err for the user on stderr, in the form its exit code
// calls for.
func reportError(streams *term.IOStreams, code int, err error) {
	cs := streams.ColorScheme()
	switch {
	case code == ExitInterrupted:
		fmt.Fprintln(streams.ErrOut, "mapback: interrupted")
	case errors.Is(err, ErrSilent):
	case code == ExitUsage:
		var usage *UsageError
		errors.As(err, &usage)
		fmt.Fprintf(streams.ErrOut, "%s %s\n", cs.Red("error:"), err)
		if usage.Command != "" {
			fmt.Fprintf(streams.ErrOut, "Run '%s --help' for usage.\n", usage.Command)
		}
	default:
		fmt.Fprintf(streams.ErrOut, "%s %s\n", cs.Red("error:"), err)
		var f fixer
		if errors.As(err, &f) && f.Fix() != "" {
			fmt.Fprintf(streams.ErrOut, "  %s %s\n", cs.Bold("fix:"), f.Fix())
		}
	}
}

// fixer is an error that knows what the user can do about it (a server's 401 → set the token).
type fixer interface {
	error
	Fix() string
}
