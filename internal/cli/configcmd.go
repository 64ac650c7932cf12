package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mapback/mapback/internal/config"
)

func newConfigCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the effective configuration and where each value came from",
		Long: `Show every setting, its value and its source: a flag, an environment variable,
a config file or the default. The auth token is shown only by its last four
characters. Config files are listed in precedence order, highest first.`,
		Example: `  mapback config
  SENTRY_ORG=acme mapback config --json
  mapback --config ci/mapback.yaml config`,
		Args:        noArgs,
		Annotations: needsConfigAnnotation,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON {
				return writeConfigJSON(a, a.cfg)
			}
			return writeConfigText(a, a.cfg)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func writeConfigText(a *app, cfg *config.Config) error {
	tw := tabwriter.NewWriter(a.streams.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tVALUE\tSOURCE")
	for _, v := range cfg.Values() {
		value := v.Display()
		if value == "" {
			value = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Key, value, v.Source)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(a.streams.Out)
	fmt.Fprintln(a.streams.Out, "Config files, highest precedence first:")
	if len(cfg.Files) == 0 {
		fmt.Fprintln(a.streams.Out, "  (none)")
	}
	tw = tabwriter.NewWriter(a.streams.Out, 0, 4, 2, ' ', 0)
	for _, f := range cfg.Files {
		state := "read"
		if !f.Found {
			state = "not found" // stdout: never coloured
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Path, f.Why, state)
	}
	return tw.Flush()
}

// configJSON is the --json shape. Values are the displayed (redacted) ones:
// the token never leaves mapback in clear.
type configJSON struct {
	Settings []settingJSON `json:"settings"`
	Files    []config.File `json:"files"`
	Warnings []string      `json:"warnings"`
}

type settingJSON struct {
	Key    string        `json:"key"`
	Value  string        `json:"value"`
	Set    bool          `json:"set"`
	Secret bool          `json:"secret,omitempty"`
	Source config.Source `json:"source"`
}

func writeConfigJSON(a *app, cfg *config.Config) error {
	out := configJSON{Files: cfg.Files, Warnings: cfg.Warnings}
	if out.Files == nil {
		out.Files = []config.File{}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, v := range cfg.Values() {
		out.Settings = append(out.Settings, settingJSON{
			Key: string(v.Key), Value: v.Display(), Set: v.Value != "", Secret: v.Secret, Source: v.Source,
		})
	}
	enc := json.NewEncoder(a.streams.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
