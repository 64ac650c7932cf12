package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/mapback/mapback/internal/buildinfo"
	"github.com/mapback/mapback/internal/config"
	"github.com/mapback/mapback/internal/doctor"
	"github.com/mapback/mapback/internal/posthog"
)

func newDoctorCmd(a *app) *cobra.Command {
	var (
		opts    doctor.Options
		asJSON  bool
		headers []string
		timeout string
	)
	cmd := &cobra.Command{
		Use:   "doctor [PATH...]",
		Short: "Find out why a stack trace is still minified, and how to fix it",
		Long: `Run the troubleshooting checklist on a build (default: the current directory)
and the configured server, and print what is wrong with a one-line fix under
each problem:

  1. Source maps are generated (every bundle has a map)
  2. Source maps are valid and complete
  3. Debug IDs are injected and consistent
  4. The server is configured and reachable
  5. The upload arrived (the server holds each bundle and its map)
  6. A trace resolves (--trace FILE): which bundle each frame matches, and the
     exact --url-prefix when the uploaded URLs differ from the trace's
  7. An event carries debug IDs (--event FILE, a Sentry event JSON)

--offline skips the server checks. The checklist goes to stderr; --json prints
the same to stdout. Exit status 1 if any check failed, 0 otherwise (warnings
do not fail).`,
		Example: `  # Check a build and the server it is uploaded to
  mapback doctor ./dist

  # A trace from production is still minified: why?
  mapback doctor --trace trace.txt ./dist

  # An event from Sentry, saved from the issue page (JSON link)
  mapback doctor --event event.json ./dist

  # Only the local checks, no network
  mapback doctor --offline ./dist

  # Machine-readable
  mapback doctor --json ./dist | jq '.checks[] | select(.status != "ok")'`,
		Annotations: needsConfigAnnotation,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if err := a.doctorOptions(cmd, &opts, headers); err != nil {
				return err
			}
			var err error
			if opts.ServerTimeout, err = a.timeoutFlag(cmd, timeout, doctor.DefaultServerTimeout); err != nil {
				return err
			}
			report, err := doctor.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if !a.streams.Quiet() || report.Failed() {
				doctor.WriteText(a.streams.ErrOut, report, a.streams.ColorScheme())
			}
			if asJSON {
				if err := doctor.WriteJSON(a.streams.Out, report); err != nil {
					return err
				}
			}
			if report.Failed() {
				return ErrSilent
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.Offline, "offline", false, "skip the server checks (4 and 5): no network request")
	f.StringVar(&opts.TraceFile, "trace", "", "a stack trace to check against the bundles (check 6)")
	f.StringVar(&opts.EventFile, "event", "", "a Sentry event JSON to check for debug IDs (check 7)")
	f.StringVarP(&opts.URLPrefix, "url-prefix", "u", "~", "the --url-prefix your upload uses, to compare uploaded URLs with the trace's")
	f.StringSliceVarP(&opts.Extensions, "ext", "x", nil, "bundle extensions, repeatable or comma-separated (default js,mjs,cjs)")
	f.StringArrayVarP(&opts.Ignore, "ignore", "i", nil, "skip paths matching this glob (doublestar syntax), repeatable")
	f.StringVarP(&opts.IgnoreFile, "ignore-file", "I", "", "skip paths matched by this file (gitignore syntax)")
	f.StringArrayVar(&headers, "header", nil, "extra HTTP header 'Key: Value' on every request, repeatable")
	f.StringVar(&timeout, "timeout", "", "give the server checks this long in all, e.g. 30s (default 2m; env MAPBACK_TIMEOUT)")
	f.BoolVar(&asJSON, "json", false, "print the checklist as JSON on stdout")
	return cmd
}

// doctorOptions fills in the server settings (with where each came from) and the client.
// Incomplete settings are not an error here: reporting them is the server check's job.
func (a *app) doctorOptions(cmd *cobra.Command, opts *doctor.Options, headerFlags []string) error {
	opts.Logger = a.log
	opts.Sentry, opts.PostHog = a.cfg.Backends.Sentry, a.cfg.Backends.PostHog
	for _, k := range []config.Key{config.KeyURL, config.KeyOrg, config.KeyProject, config.KeyAuthToken} {
		v := a.cfg.Get(k)
		opts.Settings = append(opts.Settings, doctor.Setting{
			Name: string(k), Value: v.Display(), Source: v.Source.String(), Set: v.Value != "",
		})
	}
	serverURL, org := a.serverTarget()
	opts.Org = org
	opts.Projects = splitProjects(a.cfg.Project)
	for i, s := range opts.Settings {
		if s.Name == string(config.KeyURL) && !strings.EqualFold(strings.TrimSuffix(s.Value, "/"), strings.TrimSuffix(serverURL, "/")) {
			opts.Settings[i].Value, opts.Settings[i].Source = serverURL, "the organization token"
		}
		if s.Name == string(config.KeyOrg) && org != "" && s.Value != org {
			opts.Settings[i].Value, opts.Settings[i].Source, opts.Settings[i].Set = org, "the organization token", true
		}
	}
	if opts.Offline {
		return nil
	}
	headers, err := parseHeaders(cmd, headerFlags)
	if err != nil {
		return err
	}
	opts.Client, opts.ClientErr = a.newClient(serverURL, headers)
	if cfg := a.cfg; cfg.Backends.PostHog && cfg.PostHogKey != "" && cfg.PostHogProject != "" {
		// A bad host or project ID is the PostHog check's to report: without a client it says so.
		opts.PostHogClient, _ = posthog.NewClient(posthog.ClientOptions{Host: cfg.PostHogHost, ProjectID: cfg.PostHogProject,
			Token: cfg.PostHogKey, UserAgent: buildinfo.UserAgent(), Logger: a.log})
	}
	return nil
}
