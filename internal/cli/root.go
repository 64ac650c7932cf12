package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/mapback/mapback/internal/config"
)

// skipConfig marks commands that must work whatever the config files say.
const skipConfig = "mapback/skip-config"

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "mapback",
		Short: "Inject, upload and resolve JavaScript source maps",
		Long: `mapback works with JavaScript source maps: it gives bundles and maps matching
debug IDs, uploads them to Sentry or any Sentry-compatible server, turns minified
stack traces back into original code offline, and explains why a trace is still
minified.

Settings come from flags, then MAPBACK_* (or SENTRY_*) environment variables,
then .mapback.yaml or .sentryclirc files, then defaults: see 'mapback config'.`,
		Example: `  # Show the effective configuration and where each value comes from
  mapback config

  # Print the version as JSON
  mapback version --json

  # Enable shell completion for bash in the current shell
  source <(mapback completion bash)`,
		SilenceErrors:              true,
		SilenceUsage:               true,
		SuggestionsMinimumDistance: 2,
		// Without a RunE cobra would print help and succeed for "mapback typo".
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := "unknown command \"" + args[0] + "\" for \"mapback\""
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean \"" + strings.Join(s, "\", \"") + "\"?"
			}
			return usageErrorf("mapback", "%s", msg)
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			a.streams.SetQuiet(a.flags.quiet)
			a.streams.SetNoColor(a.flags.noColor)
			explicit := map[config.Key]string{}
			for k, v := range a.flags.values {
				if cmd.Flags().Changed(config.FlagName(k)) {
					explicit[k] = *v
				}
			}
			// Hide a token given as a flag before anything can print it.
			a.streams.Redact(explicit[config.KeyAuthToken])
			if cmd.Annotations[skipConfig] == "true" {
				return nil
			}
			return a.loadConfig(cmd.Context(), explicit)
		},
	}

	pf := root.PersistentFlags()
	for _, k := range config.Keys() {
		name := config.FlagName(k)
		if name == "" {
			continue // release and dist are per-command flags
		}
		a.flags.values[k] = pf.String(name, "", flagHelp(k))
	}
	pf.StringVar(&a.flags.configFile, "config", "", "read settings from this YAML file instead of the nearest .mapback.yaml (env MAPBACK_CONFIG)")
	pf.BoolVarP(&a.flags.quiet, "quiet", "q", false, "print only errors and results: no progress, reports or warnings")
	pf.BoolVar(&a.flags.noColor, "no-color", false, "never use colour (NO_COLOR is honoured too)")

	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &UsageError{Err: err, Command: cmd.CommandPath()}
	})

	root.AddCommand(newVersionCmd(a), newConfigCmd(a), newSourcemapsCmd(a), newInjectCmd(a))
	addCompletionExamples(root)
	return root
}

func flagHelp(k config.Key) string {
	envs := config.EnvVars(k)
	switch k {
	case config.KeyURL:
		return "server URL (default " + config.DefaultURL + "; env " + strings.Join(envs, ", ") + ")"
	case config.KeyAuthToken:
		return "auth token, never printed (env " + strings.Join(envs, ", ") + ")"
	case config.KeyOrg:
		return "organisation slug (env " + strings.Join(envs, ", ") + ")"
	case config.KeyProject:
		return "project slug (env " + strings.Join(envs, ", ") + ")"
	case config.KeyLogLevel:
		return "error, warn, info or debug (default warn; env " + strings.Join(envs, ", ") + ")"
	}
	return string(k)
}

// addCompletionExamples creates cobra's built-in completion and help
// commands now (cobra would add them lazily) so they carry examples too and
// skip config loading.
func addCompletionExamples(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Example = "  mapback help config"
			c.Annotations = map[string]string{skipConfig: "true"}
		case "completion":
			c.Example = `  # bash, for the current shell
  source <(mapback completion bash)
  # zsh, permanently
  mapback completion zsh > "${fpath[1]}/_mapback"
  # fish
  mapback completion fish > ~/.config/fish/completions/mapback.fish`
			c.Annotations = map[string]string{skipConfig: "true"}
			for _, sub := range c.Commands() {
				sub.Example = "  mapback completion " + sub.Name() + " > mapback." + sub.Name()
				sub.Annotations = map[string]string{skipConfig: "true"}
			}
		}
	}
}
