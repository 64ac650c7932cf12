package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mapback/mapback/internal/buildinfo"
)

func newVersionCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print mapback's version, commit and build date",
		Example: `  mapback version
  mapback version --json | jq -r .version`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := buildinfo.Get()
			if asJSON {
				enc := json.NewEncoder(a.streams.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			_, err := fmt.Fprintln(a.streams.Out, formatVersion(info))
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func formatVersion(info buildinfo.Info) string {
	s := "mapback " + info.Version
	if info.Commit != "" {
		c := info.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " (commit " + c
		if info.Date != "" {
			s += ", built " + info.Date
		}
		s += ")"
	}
	return s + " " + info.GoVersion + " " + info.Platform
}

// quoteArg quotes an argument for an error message. Long ones are not
// repeated: a misplaced argument may be a token pasted in the wrong place.
func quoteArg(s string) string {
	if len(s) > 24 {
		return fmt.Sprintf("a %d-character argument", len(s))
	}
	return fmt.Sprintf("%q", s)
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf(cmd.CommandPath(), "%s takes no arguments, got %s", cmd.CommandPath(), quoteArg(args[0]))
	}
	return nil
}
