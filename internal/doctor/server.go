package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mapback/mapback/internal/sentry"
)

// serverFacts is what the server check learns once and the upload check reuses: whether the
// settings are complete, and what the capability request answered.
type serverFacts struct {
	// findings are the settings as shown to the user, and the problems with them.
	findings []Finding
	// contacted says the capability request was sent (the settings allowed it).
	contacted bool
	// options is the capability reply; nil when the request was not sent or failed.
	options *sentry.ChunkOptions
	// problem is a failure (as a finding) that makes the server unusable: incomplete settings, a bad
	// URL, a network or HTTP error. Several configuration problems each have a finding; problem is
	// the first, for the upload check's skip reason.
	problem *Finding
	// capability is the finding about the capability request (ok, warn or fail); nil when not sent.
	capability *Finding
}

// usable reports whether the server can be asked about uploads.
func (f *serverFacts) usable() bool { return f.problem == nil && f.options != nil }

// Names of the server settings in Options.Settings.
const (
	serverSettingURL     = "url"
	serverSettingOrg     = "org"
	serverSettingProject = "project"
	serverSettingToken   = "auth_token"
)

// serverSetting returns the named setting; ok is false when the cli did not pass it.
func (e *Env) serverSetting(name string) (Setting, bool) {
	for _, s := range e.Settings {
		if s.Name == name {
			return s, true
		}
	}
	return Setting{}, false
}

// serverInfo evaluates the settings and sends the capability request, once for all checks.
func (e *Env) serverInfo(ctx context.Context) *serverFacts {
	e.serverOnce.Do(func() { e.server = e.probeServer(ctx) })
	return &e.server
}

// probeServer is serverInfo's work. It never shows the token: only its setting's display value,
// which config has already redacted.
func (e *Env) probeServer(ctx context.Context) serverFacts {
	var f serverFacts
	fail := func(fd Finding) {
		fd.Status = StatusFail
		f.findings = append(f.findings, fd)
		if f.problem == nil {
			f.problem = &fd
		}
	}

	urlSetting, _ := e.serverSetting(serverSettingURL)
	shownURL := urlSetting.Value
	if shownURL == "" {
		shownURL = "the server"
	}
	if e.ClientErr == nil && (urlSetting.Set || urlSetting.Value != "") {
		f.findings = append(f.findings, Finding{Status: StatusOK, Subject: "url", Detail: serverWithSource(urlSetting)})
	}
	if e.ClientErr != nil {
		// Client's errors already hide a URL's password.
		fail(Finding{Subject: "url", Detail: e.ClientErr.Error(),
			Fix: "pass the server's root URL with --url or SENTRY_URL, such as https://sentry.io or http://127.0.0.1:8080"})
	}

	if org, ok := e.serverSetting(serverSettingOrg); e.Org != "" {
		if !ok {
			org = Setting{Value: e.Org, Set: true}
		}
		f.findings = append(f.findings, Finding{Status: StatusOK, Subject: "org", Detail: serverWithSource(org)})
	} else {
		fail(Finding{Subject: "org", Detail: "no organization slug is set",
			Fix: "pass --org or set SENTRY_ORG to the organization's slug (as in its sentry.io URL)"})
	}

	if proj, ok := e.serverSetting(serverSettingProject); len(e.Projects) > 0 {
		if !ok {
			proj = Setting{Value: strings.Join(e.Projects, ", "), Set: true}
		}
		f.findings = append(f.findings, Finding{Status: StatusOK, Subject: "project", Detail: serverWithSource(proj)})
	} else {
		fail(Finding{Subject: "project", Detail: "no project slug is set",
			Fix: "pass --project or set SENTRY_PROJECT to the project's slug (the one your app reports events to)"})
	}

	tok, _ := e.serverSetting(serverSettingToken)
	loopback := sentry.IsLoopbackURL(urlSetting.Value)
	switch {
	case tok.Set:
		f.findings = append(f.findings, Finding{Status: StatusOK, Subject: "auth token", Detail: serverWithSource(tok)})
		if w := sentry.InsecureTokenWarning(urlSetting.Value); w != "" {
			f.findings = append(f.findings, Finding{Status: StatusWarn, Subject: "auth token", Detail: w,
				Fix: "use the server's https:// URL with --url or SENTRY_URL"})
		}
	case loopback:
		// mapback dev-server accepts requests without a token, and upload sends none to a server on
		// this machine; if this one wants a token the capability request says so (401).
		f.findings = append(f.findings, Finding{Status: StatusOK, Subject: "auth token",
			Detail: "not set; a server on this machine (mapback dev-server) may not need one"})
	default:
		fail(Finding{Subject: "auth token", Detail: "no auth token is set",
			Fix: "create an organization token in Sentry under Settings → Auth Tokens and pass it with --auth-token or SENTRY_AUTH_TOKEN"})
	}

	// The settings are shown under the check however it ends: a 401 makes sense only next to
	// where the token came from.
	for i := range f.findings {
		f.findings[i].Context = true
	}

	if f.problem != nil || e.Client == nil {
		if f.problem == nil {
			// The cli passes no client only when the settings are incomplete; say so rather than pass.
			fail(Finding{Subject: "url", Detail: "no client could be made for " + shownURL,
				Fix: "check --url, --org, --project and --auth-token (mapback config shows them)"})
		}
		return f
	}

	f.contacted = true
	capCtx := e.serverContext(ctx)
	opts, err := e.Client.ChunkUploadOptions(capCtx, e.Org)
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		err = &serverTimeoutError{err: err, limit: e.ServerTimeout}
	}
	var capa Finding
	if err != nil {
		capa = serverCapabilityFailure(err, shownURL)
		serverNameToken(&capa, err, tok)
		if e.Logger != nil {
			e.Logger.DebugContext(ctx, "doctor: capability request failed", "error", err)
		}
	} else {
		f.options = opts
		capa = Finding{Status: StatusOK, Subject: "server", Detail: "reachable: " + serverDescribeOptions(opts)}
		if opts.Accept != nil && !serverAcceptsBundles(opts.Accept) {
			// nil means the reply had no "accept" at all (some compatible servers leave it out);
			// only a list without artifact bundles is a sign of an old server.
			f.findings = append(f.findings, capa)
			capa = Finding{Status: StatusWarn, Subject: "server",
				Detail: "this server does not announce artifact bundles: uploads may be rejected",
				Fix:    "update self-hosted Sentry to 23.x or newer"}
		}
	}
	f.findings = append(f.findings, capa)
	f.capability = &capa
	if capa.Status == StatusFail {
		f.problem = &capa
	}
	return f
}

// serverTimeoutError is a server request that ran out of the run's
// server time (Options.ServerTimeout).
type serverTimeoutError struct {
	err   error
	limit time.Duration
}

func (e *serverTimeoutError) Error() string {
	return fmt.Sprintf("no answer within %s (--timeout)", e.limit)
}
func (e *serverTimeoutError) Unwrap() error { return e.err }

// serverCapabilityFailure turns a failed capability request into a finding with the fix.
func serverCapabilityFailure(err error, shownURL string) Finding {
	fd := Finding{Status: StatusFail, Subject: "server"}
	var he *sentry.HTTPError
	var ue *url.Error
	var ne net.Error
	var te *serverTimeoutError
	switch {
	case errors.As(err, &te):
		fd.Detail = fmt.Sprintf("cannot reach %s: %v", shownURL, te)
		fd.Fix = "check the server URL (--url / SENTRY_URL), your proxy settings (HTTPS_PROXY, NO_PROXY) and that the server is up"
	case errors.As(err, &he):
		fd.Detail = he.Error()
		fd.Fix = he.Fix()
		if fd.Fix == "" {
			fd.Fix = "the server could not answer; try again later, or check its logs if you run it"
		}
	case errors.As(err, &ue) || errors.As(err, &ne):
		cause := err
		if ue != nil {
			cause = ue.Err // the request URL is shown once, as the user configured it
		}
		fd.Detail = fmt.Sprintf("cannot reach %s: %v", shownURL, cause)
		fd.Fix = "check the server URL (--url / SENTRY_URL), your proxy settings (HTTPS_PROXY, NO_PROXY) and that the host name resolves (DNS)"
	default:
		// The server answered, but not like Sentry (a web page, unusable options, a bad redirect).
		fd.Detail = err.Error()
		fd.Fix = "check that --url / SENTRY_URL is the root of a Sentry server, such as https://sentry.io"
	}
	return fd
}

// serverNameToken says, on a 401, which token was refused and where it came from, so that a
// stale SENTRY_AUTH_TOKEN in the environment is seen for what it is. tok is the setting as
// config displays it: redacted.
func serverNameToken(fd *Finding, err error, tok Setting) {
	var he *sentry.HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusUnauthorized {
		return
	}
	if !tok.Set {
		fd.Detail = "no token was sent and the server wants one: " + fd.Detail
		return
	}
	who := "the token"
	if tok.Source != "" {
		who += " from " + tok.Source
	}
	if tok.Value != "" {
		who += " (" + tok.Value + ")"
	}
	fd.Detail = who + " was refused: " + fd.Detail
	switch kind, name, _ := strings.Cut(tok.Source, " "); kind {
	case "env":
		fd.Fix = "replace the token in the environment variable " + name + ", or unset it (it is used before any config file). " + fd.Fix
	case "file":
		fd.Fix = "replace the token in " + name + ". " + fd.Fix
	}
}

// serverAcceptsBundles reports whether the capability lists artifact bundles.
func serverAcceptsBundles(accept []string) bool {
	for _, a := range accept {
		if a == "artifact_bundles" || a == "artifact_bundles_v2" {
			return true
		}
	}
	return false
}

// serverDescribeOptions is the capability in a few words: "chunk size 8 MiB, gzip, concurrency 8".
func serverDescribeOptions(o *sentry.ChunkOptions) string {
	comp := "no compression"
	if o.Gzip() {
		comp = "gzip"
	}
	return fmt.Sprintf("chunk size %s, %s, concurrency %d", serverSizeText(o.ChunkSize), comp, o.Concurrency)
}

// serverSizeText shows a byte count in MiB or KiB when it is a whole number of them.
func serverSizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// serverWithSource is a setting's value and where it came from: "my-org (from env SENTRY_ORG)".
func serverWithSource(s Setting) string {
	v := s.Value
	if v == "" {
		v = "set"
	}
	if s.Source == "" {
		return v
	}
	return v + " (from " + s.Source + ")"
}

// checkServer shows the server settings with their sources, then asks the server for its upload
// options: this proves the URL, the organization and the token in one request.
func checkServer(ctx context.Context, env *Env) Result {
	if env.Offline {
		return skip("--offline")
	}
	f := env.serverInfo(ctx)
	res := Result{Findings: append([]Finding(nil), f.findings...)}
	switch {
	case f.problem != nil && !f.contacted:
		res.Detail = "not contacted: " + f.problem.Subject + ": " + f.problem.Detail
	case f.problem != nil:
		res.Detail = f.problem.Detail
	case f.capability != nil && f.capability.Status == StatusWarn:
		res.Detail = serverAnswers(env) + serverDescribeOptions(f.options) + "; " + f.capability.Detail
	default:
		res.Detail = serverAnswers(env) + serverDescribeOptions(f.options)
	}
	return res
}

// serverAnswers starts the check's one-line detail: which server answered.
func serverAnswers(env *Env) string {
	if u, ok := env.serverSetting(serverSettingURL); ok && u.Value != "" {
		return u.Value + " answers: "
	}
	return "the server answers: "
}
