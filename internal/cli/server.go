package cli

import (
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mapback/mapback/internal/buildinfo"
	"github.com/mapback/mapback/internal/config"
	"github.com/mapback/mapback/internal/sentry"
)

// serverTarget is the server URL and organization to talk to: the configured ones, unless an
// organization token says otherwise.
func (a *app) serverTarget() (serverURL, org string) {
	cfg := a.cfg
	serverURL, org = cfg.URL, cfg.Org
	tok := sentry.ParseToken(cfg.AuthToken)
	if tok.Kind != "org" {
		return serverURL, org
	}
	// An organization token is bound to one server and organization; like the reference client,
	// mapback lets it win over the environment and config files, so a stale SENTRY_ORG cannot send
	// the upload elsewhere. An explicit --url (or a local dev-server) still wins: the user asked for
	// that server on this command line.
	urlSource := cfg.Get(config.KeyURL).Source.Kind
	if tok.URL != "" && !sameURL(tok.URL, serverURL) {
		if urlSource == config.SourceFlag || sentry.IsLoopbackURL(serverURL) {
			a.log.Warn("the auth token belongs to another server; using --url anyway", "token_url", tok.URL, "url", serverURL)
		} else {
			if urlSource != config.SourceDefault {
				a.log.Warn("the auth token belongs to another server; using the token's", "token_url", tok.URL, "configured", serverURL)
			}
			serverURL = tok.URL
		}
	}
	if tok.Org != "" && tok.Org != org {
		if org != "" {
			a.log.Warn("the auth token belongs to another organization; using the token's", "token_org", tok.Org, "configured", org)
		}
		org = tok.Org
	}
	return serverURL, org
}

// newClient builds the HTTP client for serverURL with the configured token. The client itself
// warns, once per host, when the token would travel over plain http to another machine.
func (a *app) newClient(serverURL string, headers http.Header) (*sentry.Client, error) {
	return sentry.New(sentry.Options{
		BaseURL: serverURL, Token: a.cfg.AuthToken, UserAgent: buildinfo.UserAgent(), Headers: headers,
		MaxRetries: 5, Logger: a.log,
	})
}

// parseHeaders reads repeated --header 'Key: Value' flags.
func parseHeaders(cmd *cobra.Command, values []string) (http.Header, error) {
	headers := http.Header{}
	for _, h := range values {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, usageErrorf(cmd.CommandPath(), "--header %s: want 'Key: Value'", quoteArg(h))
		}
		headers.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return headers, nil
}

// splitProjects reads the project setting: --project is repeatable and the value may also be a
// comma-separated list (SENTRY_PROJECT=web,admin).
func splitProjects(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func sameURL(a, b string) bool { return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/") }

// listFlag is a string flag that may be repeated: values are joined with commas, so the setting
// stays one string in the configuration (--project a --project b is "a,b").
type listFlag struct{ v *string }

func (l listFlag) String() string { return *l.v }
func (l listFlag) Type() string   { return "string" }
func (l listFlag) Set(s string) error {
	if *l.v == "" {
		*l.v = s
	} else {
		*l.v += "," + s
	}
	return nil
}

// timeoutFlag is the --timeout of upload and doctor: the flag when given,
// else the timeout setting (MAPBACK_TIMEOUT, config files), else def.
func (a *app) timeoutFlag(cmd *cobra.Command, flagValue string, def time.Duration) (time.Duration, error) {
	if cmd.Flags().Changed("timeout") {
		d, err := config.ParseTimeout(flagValue)
		if err != nil {
			return 0, usageErrorf(cmd.CommandPath(), "--timeout %s: %v", quoteArg(flagValue), err)
		}
		return d, nil
	}
	if a.cfg.Timeout > 0 {
		return a.cfg.Timeout, nil
	}
	return def, nil
}
