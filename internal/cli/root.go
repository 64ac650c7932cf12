package cli

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mapback/mapback/internal/config"
)

// needsConfig marks the commands that load configuration. Loading is opt-in
// so that help, completion (which runs on every TAB) and version work
// whatever the config files say.
const needsConfig = "mapback/needs-config"

var needsConfigAnnotation = map[string]string{needsConfig: "true"}

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
			msg := "unknown command " + quoteArg(args[0]) + " for \"mapback\""
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
			if cmd.Annotations[needsConfig] != "true" {
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
		v := new(string)
		a.flags.values[k] = v
		switch k {
		case config.KeyProject: // repeatable, as in the reference client: -p web -p admin
			pf.VarP(listFlag{v}, name, "p", config.FlagHelp(k)+"; repeatable")
		case config.KeyOrg:
			pf.StringVarP(v, name, "o", "", config.FlagHelp(k))
		default:
			pf.StringVar(v, name, "", config.FlagHelp(k))
		}
	}
	pf.StringVar(&a.flags.configFile, "config", "", "read settings from this YAML file instead of .mapback.yaml and the user config file (env MAPBACK_CONFIG)")
	pf.BoolVarP(&a.flags.quiet, "quiet", "q", false, "print only errors and results: no progress, reports or warnings")
	pf.BoolVar(&a.flags.noColor, "no-color", false, "never use colour (NO_COLOR is honoured too)")

	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &UsageError{Err: err, Command: cmd.CommandPath()}
	})

	root.AddCommand(newVersionCmd(a), newConfigCmd(a), newSourcemapsCmd(a), newInjectCmd(a), newUploadCmd(a), newDevServerCmd(a), newResolveCmd(a), newDoctorCmd(a))
	addCompletionExamples(root)
	root.SetHelpCommand(newHelpCmd())
	usageErrorsForArgs(root)
	return root
}

// usageErrorsForArgs makes every argument check, cobra's own included,
// report a usage error (exit 2) with a pointer to the command's help.
func usageErrorsForArgs(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				var usage *UsageError
				if errors.As(err, &usage) {
					return err
				}
				return &UsageError{Err: err, Command: cmd.CommandPath()}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageErrorsForArgs(sub)
	}
}

// newHelpCmd replaces cobra's help command, which prints the root's help
// and succeeds for an unknown topic.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "help [command]",
		Short:   "Help about any command",
		Example: "  mapback help sourcemaps inject",
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := cmd.Root().Find(args)
			if err != nil || len(rest) > 0 || (target == cmd.Root() && len(args) > 0) {
				return usageErrorf("mapback", "unknown help topic %q", strings.Join(args, " "))
			}
			return target.Help()
		},
	}
}

// addCompletionExamples creates cobra's built-in completion command now
// (cobra would add it lazily) so it carries examples and rejects unknown
// shells as a usage error.
func addCompletionExamples(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "completion":
			c.Example = `  # bash, for the current shell
  source <(mapback completion bash)
  # zsh, permanently
  mapback completion zsh > "${fpath[1]}/_mapback"
  # fish
  mapback completion fish > ~/.config/fish/completions/mapback.fish`
			c.Args = func(cmd *cobra.Command, args []string) error {
				if len(args) > 0 {
					return usageErrorf(cmd.CommandPath(), "unknown shell %q: use bash, zsh, fish or powershell", args[0])
				}
				return nil
			}
			c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
			for _, sub := range c.Commands() {
				sub.Example = "  mapback completion " + sub.Name() + " > mapback." + sub.Name()
			}
		}
	}
}
