package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/mapback/mapback/internal/inject"
	"github.com/mapback/mapback/internal/term"
)

func newSourcemapsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sourcemaps",
		Short: "Work with bundles and their source maps",
		Example: `  mapback sourcemaps inject ./dist
  mapback sourcemaps upload --org my-org --project web ./dist`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newInjectCmd(a), newUploadCmd(a))
	return cmd
}

// newInjectCmd builds `sourcemaps inject`; it is also registered at the top
// level as `mapback inject`, so it is built once per parent.
func newInjectCmd(a *app) *cobra.Command {
	var (
		opts   inject.Options
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "inject [PATH...]",
		Short: "Give every bundle and its source map the same debug ID",
		Long: `Inject a debug ID into every JavaScript bundle under the given paths (default:
the current directory) and into its source map, so Sentry-compatible servers
can match stack traces to maps without relying on file names.

The debug IDs and the bundle bytes are the same as sentry-cli 3.8.0 produces
for the same input. Maps are edited as text: every other byte, including
unknown keys, x_google_ignoreList and formatting, is kept. Each bundle and its
map are written crash-safely: after an interruption, the next run finishes or
discards the half-done pair.

Files: bundles are *.js, *.mjs and *.cjs (--ext replaces the list). Hidden
directories and node_modules are skipped unless given as a PATH, and
.gitignore and .ignore files below a PATH are honoured. Each bundle is paired
with the map its last sourceMappingURL comment names (a file or a data: URL),
else with a map beside it (app.js.map, app.map).

Already injected bundles are left alone; if such a bundle's map lacks the ID,
it is added when mapback can prove the map is the right one. The report goes
to stderr; --json prints the same to stdout. Exit status 1 if any bundle
failed or a directory could not be read: the others are still injected.`,
		Example: `  # Inject everything under ./dist
  mapback sourcemaps inject ./dist

  # See what would change, without writing
  mapback sourcemaps inject --dry-run ./dist

  # Only .js files, skipping legacy bundles
  mapback inject --ext js --ignore 'legacy/**' build/

  # Machine-readable report
  mapback inject --json ./dist > inject-report.json`,
		Annotations: needsConfigAnnotation,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Scan.Paths = args
			opts.Backends = inject.Backends{Sentry: a.cfg.Backends.Sentry, PostHog: a.cfg.Backends.PostHog}
			opts.Lock.Dir = a.lockDir()
			opts.Lock.OnWait = func(tree string) {
				a.log.Warn(fmt.Sprintf("waiting for another mapback run that is writing %s (or a tree inside it), for up to %s", tree, opts.Lock.Timeout))
			}
			opts.NewProgress = func(total int) term.Progress {
				return a.streams.NewProgress("injecting", int64(total), term.Items)
			}
			report, err := inject.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if a.streams.Quiet() {
				inject.WriteFailures(a.streams.ErrOut, report) // errors still show
			} else {
				inject.WriteText(a.streams.ErrOut, report, a.streams.ColorScheme())
			}
			if asJSON {
				if err := inject.WriteJSON(a.streams.Out, report); err != nil {
					return err
				}
			}
			if report.Count(inject.StatusFailed) > 0 || report.Unreadable() > 0 {
				return ErrSilent
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&opts.Scan.Extensions, "ext", "x", nil, "bundle extensions to process, repeatable or comma-separated (default js,mjs,cjs)")
	f.StringArrayVarP(&opts.Scan.Ignore, "ignore", "i", nil, "skip paths matching this glob (doublestar syntax, e.g. 'legacy/**'), repeatable")
	f.StringVarP(&opts.Scan.IgnoreFile, "ignore-file", "I", "", "skip paths matched by this file (gitignore syntax)")
	f.BoolVar(&opts.DryRun, "dry-run", false, "report what would change without writing anything")
	f.BoolVar(&opts.AllowOutside, "allow-outside", false, "also edit maps outside the given paths (named by an absolute or ../ sourceMappingURL, or behind a symlink)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON on stdout")
	f.IntVar(&opts.Jobs, "jobs", 0, "bundles processed at once (default 4 per CPU)")
	f.DurationVar(&opts.Lock.Timeout, "lock-timeout", 5*time.Minute, "how long to wait for another run writing the same tree; 0 fails at once")
	return cmd
}

// lockDir is where runs that write a tree keep their lock files: the user's
// cache directory, else a per-user directory under the system's temporary
// one (never inside the tree, which would ship the lock file).
func (a *app) lockDir() string {
	if a.env.UserCacheDir != "" {
		return filepath.Join(a.env.UserCacheDir, "mapback", "locks")
	}
	return filepath.Join(os.TempDir(), "mapback-locks-"+strconv.Itoa(os.Getuid()))
}
