// Package doctor is the troubleshooting checklist behind `mapback doctor`: a list of small checks,
// each answering one question about why a stack trace is still minified (are maps generated, valid,
// injected, uploaded, does the trace match?) with ok, warn or fail, a detail, and the fix.
//
// Every check runs (a failure in one does not hide the others); a check that does not apply to the
// run (no --trace given, --offline) reports skip with the reason. The renderer prints ✓ ! ✗ and the
// fix under each problem; --json prints the same data.
package doctor

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/posthog"
	"github.com/mapback/mapback/internal/sentry"
)

// Status is the outcome of a check or of one finding.
type Status string

const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
	StatusSkip Status = "skip" // the check does not apply to this run
)

// rank orders statuses from best to worst, so a check's status is its worst finding's.
func (s Status) rank() int {
	switch s {
	case StatusFail:
		return 3
	case StatusWarn:
		return 2
	case StatusOK:
		return 1
	default:
		return 0
	}
}

// Finding is one fact a check established: a file without a map, a frame that matched no bundle.
type Finding struct {
	Status  Status `json:"status"`
	Subject string `json:"subject,omitempty"` // the file, frame, setting or debug ID it is about
	Detail  string `json:"detail"`
	Fix     string `json:"fix,omitempty"`
	// Context marks a finding always shown in the text checklist, ok ones too (dimmed), unless
	// the check is skipped: the server settings and where each came from, which explain a 401.
	Context bool `json:"context,omitempty"`
}

// Result is the outcome of one check.
type Result struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	Status   Status    `json:"status"`
	Detail   string    `json:"detail"`        // one line: what was found
	Fix      string    `json:"fix,omitempty"` // one line: what to do, when Status is warn or fail
	Findings []Finding `json:"findings,omitempty"`
}

// Check is one item of the checklist.
type Check struct {
	ID    string
	Title string
	Run   func(ctx context.Context, env *Env) Result
	// Applies, when set, leaves the check out of a run it does not concern
	// (another backend's): not even listed as skipped.
	Applies func(env *Env) bool
}

// Checks is the checklist, in the order it is printed: from the build to the server to the trace.
var Checks = []Check{
	{ID: "sourcemaps-generated", Title: "Source maps are generated", Run: checkGenerated},
	{ID: "sourcemaps-valid", Title: "Source maps are valid and complete", Run: checkValid},
	{ID: "debug-ids", Title: "Debug IDs are injected and consistent", Run: checkDebugIDs, Applies: (*Env).sentry},
	{ID: "server", Title: "The server is configured and reachable", Run: checkServer},
	{ID: "upload", Title: "The upload arrived", Run: checkUploaded},
	{ID: "trace", Title: "The trace resolves", Run: checkTrace},
	{ID: "event", Title: "The event carries debug IDs", Run: checkEvent},
	{ID: "chunk-ids", Title: "PostHog chunk IDs are injected and consistent", Run: checkChunkIDs, Applies: func(e *Env) bool { return e.PostHog }},
	{ID: "posthog-upload", Title: "PostHog holds the symbol sets", Run: checkPostHogUpload, Applies: func(e *Env) bool { return e.PostHog }},
}

// Setting is one configuration value as doctor shows it: never the token itself.
type Setting struct {
	Name   string `json:"name"`   // url, org, project, auth_token
	Value  string `json:"value"`  // display form; the token is redacted
	Source string `json:"source"` // "flag --org", "env SENTRY_ORG", "default", ...
	Set    bool   `json:"set"`
}

// Options configure a run. The cli fills them from flags and configuration.
type Options struct {
	Paths      []string
	Extensions []string
	Ignore     []string
	IgnoreFile string
	// URLPrefix is the --url-prefix the upload uses (default "~"): with it doctor predicts each
	// file's uploaded URL and can say which prefix a trace's URLs need.
	URLPrefix string

	Offline bool
	// Sentry and PostHog are the backends (--backends): the debug ID check
	// is Sentry's, the chunk ID check PostHog's. Neither set means Sentry.
	Sentry, PostHog bool
	TraceFile       string // --trace: a stack trace to match against the local bundles
	EventFile       string // --event: a Sentry event JSON

	// Settings are the server settings with their sources, for the server check.
	Settings []Setting
	Org      string
	Projects []string
	// Client talks to the server; nil when the settings are incomplete (the server check says why).
	Client *sentry.Client
	// PostHogClient talks to PostHog; nil without credentials.
	PostHogClient *posthog.Client
	// ClientErr is why Client could not be made (a bad URL), shown by the server check.
	ClientErr error

	Logger *slog.Logger
	// ServerTimeout bounds all of a run's requests to the server together
	// (--timeout), counted from the first; 0 is DefaultServerTimeout.
	ServerTimeout time.Duration
}

// DefaultServerTimeout bounds doctor's server checks when --timeout is not
// set: a host that swallows packets would otherwise keep doctor waiting for
// minutes (the client is made for long uploads).
const DefaultServerTimeout = 2 * time.Minute

// Env is what the checks share: the options and facts computed once, on first use.
type Env struct {
	Options

	scanOnce sync.Once
	scan     *dist.Result
	scanErr  error

	serverOnce sync.Once
	server     serverFacts

	// serverCtx bounds every server request of the run (ServerTimeout),
	// made on first use; serverStop releases it.
	serverCtxOnce sync.Once
	serverCtx     context.Context
	serverStop    context.CancelFunc

	// uploadedURL is each local bundle's URL as the server holds it (bundle path → manifest URL),
	// learnt by the upload check and used by the trace check instead of a prediction.
	uploadedMu  sync.Mutex
	uploadedURL map[string]string
}

// noteUploadedURL records the URL the server holds a local bundle under.
func (e *Env) noteUploadedURL(path, url string) {
	e.uploadedMu.Lock()
	defer e.uploadedMu.Unlock()
	if e.uploadedURL == nil {
		e.uploadedURL = map[string]string{}
	}
	e.uploadedURL[path] = url
}

// uploadedURLOf returns the URL the server holds a local bundle under, if the upload check found it.
func (e *Env) uploadedURLOf(path string) (string, bool) {
	e.uploadedMu.Lock()
	defer e.uploadedMu.Unlock()
	u, ok := e.uploadedURL[path]
	return u, ok
}

// Scan returns the bundles and maps under the PATHs, walked once for all checks.
func (e *Env) Scan(ctx context.Context) (*dist.Result, error) {
	e.scanOnce.Do(func() {
		e.scan, e.scanErr = dist.Scan(ctx, dist.Options{Paths: e.Paths, Extensions: e.Extensions, Ignore: e.Ignore, IgnoreFile: e.IgnoreFile})
	})
	return e.scan, e.scanErr
}

// Report is the outcome of a run, in checklist order.
type Report struct {
	Results []Result `json:"checks"`
}

// Failed reports whether any check failed (the exit status is then 1).
func (r *Report) Failed() bool {
	for _, res := range r.Results {
		if res.Status == StatusFail {
			return true
		}
	}
	return false
}

// Result returns the result of the check with the given ID.
func (r *Report) Result(id string) (Result, bool) {
	for _, res := range r.Results {
		if res.ID == id {
			return res, true
		}
	}
	return Result{}, false
}

// Run runs every check in order. Checks share work through the Env (one scan of the PATHs, one
// capability request), so they run one after another; each is fast next to a network round trip.
func Run(ctx context.Context, opts Options) (*Report, error) {
	env := &Env{Options: opts}
	if env.Logger == nil {
		env.Logger = slog.New(slog.DiscardHandler)
	}
	defer func() {
		if env.serverStop != nil {
			env.serverStop()
		}
	}()
	rep := &Report{}
	for _, c := range Checks {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if c.Applies != nil && !c.Applies(env) {
			continue
		}
		start := time.Now()
		res := c.Run(ctx, env)
		env.Logger.Debug("check done", "id", c.ID, "duration", time.Since(start))
		res.ID, res.Title = c.ID, c.Title
		res.Status = worst(res)
		rep.Results = append(rep.Results, res)
	}
	return rep, ctx.Err()
}

// worst is the status a result reports: its own unless a finding is worse.
func worst(r Result) Status {
	s := r.Status
	for _, f := range r.Findings {
		if f.Status.rank() > s.rank() {
			s = f.Status
		}
	}
	if s == "" {
		s = StatusOK
	}
	return s
}

// skip is the result of a check that does not apply.
func skip(format string, args ...any) Result {
	return Result{Status: StatusSkip, Detail: fmt.Sprintf(format, args...)}
}

// serverContext is ctx bounded by the run's server deadline, which starts
// with the first request.
func (e *Env) serverContext(ctx context.Context) context.Context {
	e.serverCtxOnce.Do(func() {
		if e.ServerTimeout <= 0 {
			e.ServerTimeout = DefaultServerTimeout
		}
		e.serverCtx, e.serverStop = context.WithTimeoutCause(ctx, e.ServerTimeout, &serverTimeoutError{limit: e.ServerTimeout})
	})
	return e.serverCtx
}

// backendsArg is the --backends value of this run, for fixes.
func (e *Env) backendsArg() string {
	if e.PostHog && !e.sentry() {
		return "posthog"
	}
	if e.PostHog {
		return "sentry,posthog"
	}
	return "sentry"
}

// sentry reports whether the Sentry checks apply.
func (e *Env) sentry() bool { return e.Sentry || !e.PostHog }
