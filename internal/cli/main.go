// Package cli is mapback's command line: cobra commands that turn arguments
// into options and call the domain packages. It is the only package that
// imports cobra, and it decides the exit code.
package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/mapback/mapback/internal/config"
	"github.com/mapback/mapback/internal/term"
)

// Main runs mapback with the process's arguments, streams and environment
// and returns the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal, restore the default handling so a second
		// Ctrl-C stops mapback at once even if something does not return.
		<-ctx.Done()
		stop()
	}()
	ownProcess = true
	if path := os.Getenv("MAPBACK_CPUPROFILE"); path != "" {
		// For development (docs/development.md): a CPU profile of one command, for go tool pprof.
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
		}
	}
	return Run(ctx, os.Args[1:], term.System(), config.SystemEnvironment())
}

// ownProcess is true when mapback runs as its own process (Main), not inside a test binary that
// calls Run: only then may a command tune process-wide settings such as the garbage collector.
var ownProcess bool

// Run executes one command line. Tests call it with buffers and a fake
// environment.
func Run(ctx context.Context, args []string, streams *term.IOStreams, env config.Environment) int {
	// Tokens from the environment are hidden from every byte mapback writes,
	// before any command runs; flag and file tokens are added once known.
	// Redact always wraps the streams, so secrets added later are caught too.
	streams.Redact(config.EnvSecrets(env)...)
	// An argument shaped like a token was pasted where a path or a name
	// belongs: no error or log may repeat it.
	streams.Redact(config.TokenShapedArgs(args)...)

	if tok, ok := config.MisplacedToken(args); ok {
		// Refused before any command can put it in a report on stdout.
		reportError(streams, ExitUsage, &UsageError{Command: "mapback", Err: fmt.Errorf(
			"an argument has the shape of an API token (%s): pass tokens with --auth-token or an environment variable, never where a path or a name belongs", term.Redact(tok))})
		_ = streams.Flush()
		return ExitUsage
	}
	app := newApp(streams, env)
	root := newRootCmd(app)
	root.SetArgs(args)
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)

	err := root.ExecuteContext(ctx)
	// Flags are parsed even when a usage error stops the command before its
	// pre-run, so --no-color and --quiet still shape the error report.
	streams.SetNoColor(app.flags.noColor)
	if t := app.flags.values[config.KeyAuthToken]; t != nil {
		streams.Redact(*t)
	}
	code := ExitCode(ctx, err)
	if err != nil {
		reportError(streams, code, err)
	}
	_ = streams.Flush()
	return code
}
