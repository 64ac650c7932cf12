package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mapback/mapback/internal/buildinfo"
	"github.com/mapback/mapback/internal/posthog"
	"github.com/mapback/mapback/internal/resolve"
	"github.com/mapback/mapback/internal/sentry"
	"github.com/mapback/mapback/internal/serverfetch"
	"github.com/mapback/mapback/internal/upload"
)

func newResolveCmd(a *app) *cobra.Command {
	var (
		opts       resolve.Options
		names      string
		forced     []string
		transitive bool
		strict     bool
		server     bool
	)
	cmd := &cobra.Command{
		Use:   "resolve [FILE]",
		Short: "Turn a minified stack trace into original files, lines and names, offline",
		Long: `Read a stack trace from FILE (or stdin) and write it back with every frame that
a local bundle and its source map can explain rewritten to the original file,
line and column. Every other line, and every frame that cannot be mapped, is
written back exactly as it was.

Frames are matched to the bundles under --maps (default: the current
directory) by their path: the local file whose path shares the longest ending
with the frame's URL, ignoring scheme, host, query and hash, or else the only
file with that name. Each bundle uses the map its sourceMappingURL comment
names, or the map beside it. Lookups stay on the frame's line: a position
before the first mapping of its line is left unmapped rather than guessed.

Function names: --names scope (default) names each frame after the function
that encloses its original position, found by parsing the original source
(else the function enclosing it in the bundle, mapped back through the map),
and keeps the runtime's name when it already is the original's. An unnamed
function prints as <anonymous>; top-level code keeps the runtime's label.
--names callsite also names unnamed functions after the caller's call site
in the map; --names minified keeps the names from the trace.

Map chains: when a frame resolves to a local file that has a source map of
its own (an earlier build stage: tsc before terser, babel before webpack, a
library's published map), resolve follows that map too, to the sources the
developer wrote; --json lists each intermediate position under map.chain.
Only files under --root or in the map's own project are read.
--transitive=false stops at the first map.

--json prints every line with, for each frame, the minified and original
positions, the map used and how it was found, or why the frame stayed as it
was (not_resolvable, no_file, ambiguous_file, no_map, no_mapping, no_source,
map_error).

When frames stay as they were, stderr says how many and why, with what to do
(-q silences it). Exit status: 0 when every frame that could resolve did (or
there were none: native frames only); 1 when there were some and none
resolved; with --strict, 1 as soon as one did not.`,
		Example: `  # Paste a trace from a CI log
  mapback resolve --maps dist/ < trace.txt

  # Why did a frame stay minified?
  mapback resolve --json --maps dist/ trace.txt | jq '.lines[].frame | select(.status != "resolved")'

  # Resolve the demo trace shipped with mapback's sources
  mapback resolve --maps testdata/fixtures/esbuild-cjs testdata/fixtures/esbuild-cjs/traces/class-method.txt`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf(cmd.CommandPath(), "resolve reads one trace; got %d files", len(args))
			}
			return nil
		},
		Annotations: needsConfigAnnotation,
		RunE: func(cmd *cobra.Command, args []string) error {
			collectGarbageOnlyUnderPressure()
			switch resolve.Names(names) {
			case resolve.NamesScope, resolve.NamesCallsite, resolve.NamesMinified:
				opts.Names = resolve.Names(names)
			default:
				return usageErrorf(cmd.CommandPath(), "--names must be scope, callsite or minified, not %q", names)
			}
			for _, pair := range forced {
				i := strings.LastIndex(pair, "=")
				if i <= 0 || i == len(pair)-1 {
					return usageErrorf(cmd.CommandPath(), "--map wants URL=FILE, got %q", pair)
				}
				if _, err := os.Stat(pair[i+1:]); err != nil {
					return fmt.Errorf("--map %s: %w", pair, err)
				}
				opts.Forced = append(opts.Forced, resolve.Forced{URL: pair[:i], File: pair[i+1:]})
			}
			in := a.streams.In
			if len(args) == 1 {
				f, err := os.Open(args[0])
				if err != nil {
					return fmt.Errorf("read the trace: %w", err)
				}
				defer f.Close()
				in = f
			}
			opts.OneLevel = !transitive
			if server {
				src, err := a.serverSource()
				if err != nil {
					return err
				}
				opts.Server = src
			}
			if cs := a.streams.StdoutColorScheme(); cs.Enabled() {
				opts.Dim = cs.Dim
			}
			sum, err := resolve.Run(cmd.Context(), opts, in, a.streams.Out)
			if err != nil {
				return err
			}
			for _, w := range sum.Warnings {
				a.log.Warn(w)
			}
			if text := sum.Explain(); text != "" && !a.streams.Quiet() {
				fmt.Fprintln(a.streams.ErrOut, text)
			}
			return resolveOutcome(sum, strict)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.Maps, "maps", nil, "directory (or file) with bundles and maps, repeatable (default .)")
	f.StringVar(&names, "names", string(resolve.NamesScope), "function names: scope, callsite or minified")
	f.StringArrayVar(&opts.Bundles, "bundle", nil, "a Sentry artifact bundle (the zip sentry-cli or mapback uploads) to find bundles and maps in, repeatable")
	f.StringArrayVar(&forced, "map", nil, "URL=FILE: use the map FILE for frames of URL (matched like --maps), repeatable")
	f.IntVar(&opts.Context, "context", 0, "show N lines of original code around each in-app frame")
	f.BoolVar(&opts.JSON, "json", false, "print a JSON report: every line, each frame's original position, status and reason")
	f.StringVar(&opts.Root, "root", "", "show original paths relative to this directory (default: the working directory)")
	f.BoolVar(&strict, "strict", false, "exit 1 unless every frame that could resolve did (default: only when none did)")
	f.BoolVar(&server, "server", false, "fetch what the servers hold for an event's debug or chunk IDs missing locally (cached in the user cache directory)")
	f.BoolVar(&transitive, "transitive", true, "follow an original file's own source map to its sources (a tsc → terser build); --transitive=false stops at the first map")
	return cmd
}

// errNothingResolved and errPartlyResolved end a resolve run whose trace was
// written but whose frames did not resolve: the reasons are already on
// stderr, the exit status tells a script.
var (
	errNothingResolved = fmt.Errorf("no frame resolved: %w", ErrSilent)
	errPartlyResolved  = fmt.Errorf("not every frame resolved (--strict): %w", ErrSilent)
)

// resolveOutcome is resolve's exit status: 0 when every frame that could
// resolve did, or when there were none (a trace of native frames, a log
// without traces); 1 when there were some and none resolved, and with
// --strict when any did not.
func resolveOutcome(sum resolve.Summary, strict bool) error {
	switch {
	case sum.Candidates > 0 && sum.Resolved == 0:
		return errNothingResolved
	case strict && sum.Resolved < sum.Candidates:
		return errPartlyResolved
	}
	return nil
}

// resolveMemoryLimit is the heap size at which the garbage collector starts working during resolve:
// above the 60 MB the largest maps need, low enough that a log of 100,000 frames (whose lines,
// results and output are garbage soon after use) peaks at about 200 MB instead of the limit.
const resolveMemoryLimit = 192 << 20

// collectGarbageOnlyUnderPressure turns the garbage collector's periodic cycles off for resolve, a
// short run whose inputs are memory-mapped and whose heap stays small (60 MB for three 60 MB maps):
// the cycles cost ~10% of its CPU time, and the process exits soon after. The memory limit brings
// the collector back should the heap ever approach it (a huge trace). A GOGC or GOMEMLIMIT set by
// the user wins.
func collectGarbageOnlyUnderPressure() {
	if !ownProcess || os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(resolveMemoryLimit)
	debug.SetGCPercent(-1)
}

// serverSource is what resolve --server asks: the Sentry server of the
// configuration when its settings are complete, PostHog when its
// credentials are set; downloads are cached under the user cache directory.
func (a *app) serverSource() (*serverfetch.Source, error) {
	cfg := a.cfg
	dir := filepath.Join(os.TempDir(), "mapback-resolve-"+strconv.Itoa(os.Getuid()))
	if a.env.UserCacheDir != "" {
		dir = filepath.Join(a.env.UserCacheDir, "mapback", "resolve")
	}
	src := &serverfetch.Source{CacheDir: dir}
	serverURL, org := a.serverTarget()
	if org != "" && cfg.Project != "" && (cfg.AuthToken != "" || sentry.IsLoopbackURL(serverURL)) {
		c, err := a.newClient(serverURL, nil)
		if err != nil {
			return nil, err
		}
		src.Sentry, src.Org, src.Projects = c, org, splitProjects(cfg.Project)
	}
	if cfg.PostHogKey != "" && cfg.PostHogProject != "" {
		c, err := posthog.NewClient(posthog.ClientOptions{Host: cfg.PostHogHost, ProjectID: cfg.PostHogProject, Token: cfg.PostHogKey,
			UserAgent: buildinfo.UserAgent(), Logger: a.log})
		if err != nil {
			return nil, &upload.SettingError{Msg: err.Error(), Hint: "check POSTHOG_CLI_HOST and POSTHOG_CLI_PROJECT_ID"}
		}
		src.PostHog = c
	}
	if src.Sentry == nil && src.PostHog == nil {
		return nil, &upload.SettingError{Msg: "--server: no server is configured",
			Hint: "set --url, --org, --project and SENTRY_AUTH_TOKEN for Sentry, or POSTHOG_CLI_API_KEY and POSTHOG_CLI_PROJECT_ID for PostHog"}
	}
	return src, nil
}
