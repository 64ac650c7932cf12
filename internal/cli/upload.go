package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mapback/mapback/internal/buildinfo"
	"github.com/mapback/mapback/internal/phupload"
	"github.com/mapback/mapback/internal/posthog"
	"github.com/mapback/mapback/internal/sentry"
	"github.com/mapback/mapback/internal/term"
	"github.com/mapback/mapback/internal/upload"
)

// uploadFlags are the flags of `sourcemaps upload` that need work before they become Options.
type uploadFlags struct {
	release, dist string
	headers       []string
	waitFor       int
	asJSON        bool
	noCache       bool
	timeout       string
}

// newUploadCmd builds `sourcemaps upload`; like inject it is also registered at the top level.
func newUploadCmd(a *app) *cobra.Command {
	var (
		opts upload.Options
		fl   uploadFlags
	)
	cmd := &cobra.Command{
		Use:   "upload [PATH...]",
		Short: "Upload bundles and source maps to Sentry or a Sentry-compatible server",
		Long: `Upload every bundle and source map under the given paths (default: the current
directory) as one artifact bundle, the format Sentry's servers read. The bundle
is cut into SHA-1 addressed chunks and the server is asked which it lacks:
only those are sent, so a second upload of the same build sends nothing and an
upload interrupted half-way resumes where it stopped.

Files: *.js, *.cjs, *.mjs and *.map (--ext replaces the list), found like
'mapback sourcemaps inject' finds them. Each is uploaded exactly as it is on
disk, under the URL ~/<path relative to PATH> (--url-prefix, --url-suffix).
Run 'mapback sourcemaps inject' first: bundles with debug IDs are matched to
events whatever their URL. Without debug IDs a --release is required.

Settings: --url, --auth-token, --org and --project are global and also come
from SENTRY_URL, SENTRY_AUTH_TOKEN, SENTRY_ORG, SENTRY_PROJECT and
.sentryclirc (see 'mapback config'). An organization token (sntrys_...)
carries its server URL and organization, which then take precedence.

The report goes to stderr; --json prints it to stdout. Exit status 1 when the
upload or the server's processing fails, 130 when interrupted (a rerun sends
only the missing chunks).`,
		Example: `  # In CI, after the build and 'mapback sourcemaps inject ./dist'
  SENTRY_AUTH_TOKEN=... mapback sourcemaps upload --org my-org --project web ./dist

  # Several projects, a release, and wait until the server has processed it
  mapback upload -o my-org -p web -p admin --release 1.4.2 --wait ./dist

  # Files served from https://example.com/static/
  mapback upload --url-prefix '~/static' ./dist

  # Build the artifact bundle and show what would be sent, without a network call
  mapback upload --dry-run --bundle-out bundle.zip ./dist

  # Try it all offline against a local server ('mapback dev-server' in another shell)
  mapback upload --url http://127.0.0.1:8080 -o demo -p demo ./dist`,
		Annotations: needsConfigAnnotation,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			return a.runUpload(cmd, &opts, fl)
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&opts.Extensions, "ext", "x", nil, "file extensions to upload, repeatable or comma-separated (default js,cjs,mjs,map)")
	f.StringArrayVarP(&opts.Ignore, "ignore", "i", nil, "skip paths matching this glob (doublestar syntax), repeatable")
	f.StringVarP(&opts.IgnoreFile, "ignore-file", "I", "", "skip paths matched by this file (gitignore syntax)")
	f.StringVarP(&fl.release, "release", "r", "", "release to associate the files with (env SENTRY_RELEASE); needed only without debug IDs")
	f.StringVarP(&fl.dist, "dist", "d", "", "distribution within the release (env SENTRY_DIST)")
	f.StringVarP(&opts.URLPrefix, "url-prefix", "u", "~", "prefix of every file's URL, e.g. '~/static'")
	f.StringVar(&opts.URLSuffix, "url-suffix", "", "suffix of every file's URL, e.g. '?v=3'")
	f.StringVar(&opts.Note, "note", "", "note stored in the bundle's manifest")
	f.BoolVar(&opts.Wait, "wait", false, "wait until the server has processed the bundle (up to 300 s)")
	f.IntVar(&fl.waitFor, "wait-for", 0, "wait up to this many seconds for the server to process the bundle")
	f.StringArrayVar(&fl.headers, "header", nil, "extra HTTP header 'Key: Value' on every request, repeatable")
	f.BoolVar(&opts.DryRun, "dry-run", false, "build the bundle and show what would be sent; no network request")
	f.StringVar(&opts.BundleOut, "bundle-out", "", "also write the artifact bundle to this file")
	f.BoolVar(&fl.asJSON, "json", false, "print the report as JSON on stdout")
	f.IntVar(&opts.Jobs, "jobs", 0, "files compressed at once (default: two per CPU)")
	f.BoolVar(&opts.AllowNoMaps, "allow-no-maps", false, "upload even when no bundle has a source map (which can resolve nothing)")
	f.StringVar(&fl.timeout, "timeout", "", "give up after this long in all, e.g. 10m (default 30m; env MAPBACK_TIMEOUT)")
	f.BoolVar(&fl.noCache, "no-cache", false, "always read the files and build the bundle, even when they are unchanged since an earlier upload (no build cache, tree record or measured link)")
	return cmd
}

// uploadOptions completes opts from the configuration and the flags, and builds the client.
func (a *app) uploadOptions(cmd *cobra.Command, opts *upload.Options, fl uploadFlags) error {
	cfg := a.cfg
	opts.Release, opts.Dist = cfg.Release, cfg.Dist
	if cmd.Flags().Changed("release") {
		opts.Release = fl.release
	}
	if cmd.Flags().Changed("dist") {
		opts.Dist = fl.dist
	}
	if fl.waitFor < 0 {
		return usageErrorf(cmd.CommandPath(), "--wait-for must be a positive number of seconds")
	}
	if fl.waitFor > 0 {
		opts.Wait, opts.WaitFor = true, time.Duration(fl.waitFor)*time.Second
	}
	opts.Logger = a.log
	opts.NewProgress = func(total int64) term.Progress {
		return a.streams.NewProgress("uploading", total, term.Bytes)
	}
	if !fl.noCache && a.env.UserCacheDir != "" {
		opts.CacheDir = filepath.Join(a.env.UserCacheDir, "mapback", "upload")
	}

	headers, err := parseHeaders(cmd, fl.headers) // checked on a dry run too: the real run would fail
	if err != nil {
		return err
	}
	serverURL, org := a.serverTarget()
	opts.Org = org
	opts.Projects = splitProjects(cfg.Project)
	if opts.DryRun {
		return nil
	}

	if cfg.AuthToken == "" && !sentry.IsLoopbackURL(serverURL) {
		return &upload.SettingError{Msg: "no auth token", Hint: "pass --auth-token or set SENTRY_AUTH_TOKEN (an organization token from Settings → Auth Tokens)"}
	}
	client, err := a.newClient(serverURL, headers)
	if err != nil {
		return err
	}
	opts.Client = client
	return nil
}

// runUpload uploads to each backend that is on, both at once when both are
// (every injection is done by then), and reports each.
func (a *app) runUpload(cmd *cobra.Command, opts *upload.Options, fl uploadFlags) error {
	limit, err := a.timeoutFlag(cmd, fl.timeout, upload.DefaultTimeout)
	if err != nil {
		return err
	}
	be := a.cfg.Backends
	var ph phupload.Options
	if be.PostHog {
		if ph, err = a.postHogOptions(opts, be.Sentry); err != nil {
			return err
		}
	}
	if be.Sentry {
		if err := a.uploadOptions(cmd, opts, fl); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeoutCause(cmd.Context(), limit, &upload.TimeoutError{Limit: limit})
	defer cancel()
	var (
		wg               sync.WaitGroup
		sentryRep        *upload.Report
		phRep            *phupload.Report
		sentryErr, phErr error
	)
	if be.Sentry {
		wg.Go(func() { sentryRep, sentryErr = upload.Run(ctx, *opts) })
	}
	if be.PostHog {
		wg.Go(func() { phRep, phErr = phupload.Run(ctx, ph) })
	}
	wg.Wait()
	// The run's own deadline, not a failure of the request it cut short.
	var te *upload.TimeoutError
	if cause := context.Cause(ctx); cmd.Context().Err() == nil && errors.As(cause, &te) {
		if sentryErr != nil {
			sentryErr = te
		}
		if phErr != nil {
			phErr = te
		}
	}
	if sentryRep != nil && sentryErr != nil {
		sentryRep.Error = sentryErr.Error()
	}
	if phRep != nil && phErr != nil {
		phRep.Error = phErr.Error()
	}
	if !a.streams.Quiet() {
		if sentryRep != nil && sentryRep.BundleDebugID != "" {
			upload.WriteText(a.streams.ErrOut, sentryRep, a.streams.ColorScheme())
		}
		if phRep != nil && len(phRep.Chunks) > 0 {
			phupload.WriteText(a.streams.ErrOut, phRep, a.streams.ColorScheme())
		}
	}
	// A failed run still prints its JSON, with "error" set, so a CI script
	// can tell what was sent before the failure.
	if fl.asJSON {
		var jerr error
		switch {
		case be.Sentry && be.PostHog:
			jerr = writeJSON(a.streams.Out, map[string]any{"sentry": sentryRep, "posthog": phRep})
		case sentryRep != nil:
			jerr = upload.WriteJSON(a.streams.Out, sentryRep)
		case phRep != nil:
			jerr = phupload.WriteJSON(a.streams.Out, phRep)
		}
		if jerr != nil && sentryErr == nil && phErr == nil {
			return jerr
		}
	}
	return errors.Join(sentryErr, phErr)
}

// postHogOptions builds the PostHog upload from the configuration; quiet
// keeps its progress bar off when Sentry's is on the terminal too.
func (a *app) postHogOptions(opts *upload.Options, quiet bool) (phupload.Options, error) {
	ph := phupload.Options{Paths: opts.Paths, Extensions: opts.Extensions, Ignore: opts.Ignore, IgnoreFile: opts.IgnoreFile,
		DryRun: opts.DryRun, Logger: a.log}
	if !quiet {
		ph.NewProgress = func(total int64) term.Progress {
			return a.streams.NewProgress("uploading to PostHog", total, term.Bytes)
		}
	}
	if opts.DryRun {
		return ph, nil
	}
	cfg := a.cfg
	if cfg.PostHogKey == "" || cfg.PostHogProject == "" {
		return ph, &upload.SettingError{Msg: "no PostHog credentials",
			Hint: "set POSTHOG_CLI_API_KEY (a personal API key, phx_…) and POSTHOG_CLI_PROJECT_ID (the number in your project's URL), and POSTHOG_CLI_HOST for an instance other than https://us.posthog.com"}
	}
	c, err := posthog.NewClient(posthog.ClientOptions{Host: cfg.PostHogHost, ProjectID: cfg.PostHogProject, Token: cfg.PostHogKey,
		UserAgent: buildinfo.UserAgent(), Logger: a.log})
	if err != nil {
		return ph, &upload.SettingError{Msg: err.Error(), Hint: "check POSTHOG_CLI_HOST and POSTHOG_CLI_PROJECT_ID"}
	}
	ph.Client = c
	return ph, nil
}

// writeJSON writes v indented, as the reports do.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
