package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/mapback/mapback/internal/config"
	"github.com/mapback/mapback/internal/term"
)

// app is what every command shares: the streams, the environment, the global
// flags and, once loaded, the configuration and the logger.
type app struct {
	streams *term.IOStreams
	env     config.Environment
	flags   globalFlags
	log     *slog.Logger

	cfg *config.Config
}

// globalFlags are the persistent flags of the root command.
type globalFlags struct {
	values     map[config.Key]*string // --url, --auth-token, --org, --project, --log-level
	configFile string
	quiet      bool
	noColor    bool
}

func newApp(streams *term.IOStreams, env config.Environment) *app {
	a := &app{streams: streams, env: env, flags: globalFlags{values: map[config.Key]*string{}}}
	a.log = term.NewLogger(streams.ErrOut, slog.LevelWarn)
	return a
}

// loadConfig resolves the configuration from the flags the user set, sets up
// logging at the configured level and reports warnings. Commands that need no
// configuration (version, completion) never call it, so a broken config file
// cannot stop them.
func (a *app) loadConfig(ctx context.Context, explicitFlags map[config.Key]string) error {
	cfg, err := config.Load(ctx, a.env, config.Options{
		Flags:      explicitFlags,
		ConfigFile: a.flags.configFile,
		OnSecret:   func(s string) { a.streams.Redact(s) },
	})
	var invalid *config.SourceError
	if errors.As(err, &invalid) && invalid.Value.Source.Kind == config.SourceFlag {
		return &UsageError{Err: err, Command: "mapback"}
	}
	if err != nil {
		return err
	}
	a.cfg = cfg

	level, err := term.ParseLogLevel(cfg.LogLevel)
	if err != nil { // validated by config.Load; kept for safety
		return fmt.Errorf("log level: %w", err)
	}
	if a.streams.Quiet() {
		level = slog.LevelError
	}
	a.log = term.NewLogger(a.streams.ErrOut, level)

	for _, w := range cfg.Warnings {
		a.log.Warn(w)
	}
	for _, f := range cfg.Files {
		a.log.Debug("config file", "path", f.Path, "found", f.Found, "why", f.Why)
	}
	for _, v := range cfg.Values() {
		a.log.Debug("config value", "key", string(v.Key), "value", v.Display(), "source", v.Source.String())
	}
	return nil
}
