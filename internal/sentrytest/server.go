// Package sentrytest is a real HTTP server that speaks Sentry's chunk-upload / artifact-bundle protocol
// (docs/internals/upload-protocol.md): the capability GET, multipart chunk POSTs, assemble with its state machine, and
// the artifact-lookup endpoint that finds stored bundles by debug ID. It stores chunks and bundles on disk,
// so it serves three users: in-process tests of the upload code, `mapback dev-server` for trying a CI upload
// offline, and conformance tests in which the reference client uploads to it. Tests can inject faults,
// steer the assemble state and inspect the requests (the most recent DefaultMaxRequests by default).
// A bare section number (§7.3) in this package's comments is one of docs/internals/upload-protocol.md.
package sentrytest

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Endpoint names, as used by Fault.Endpoint, Request.Endpoint and MaxInFlight.
const (
	EndpointCapability = "capability" // GET …/organizations/{org}/chunk-upload/
	EndpointChunks     = "chunks"     // POST …/organizations/{org}/chunk-upload/
	EndpointAssemble   = "assemble"   // POST …/organizations/{org}/artifactbundle/assemble/
	EndpointLookup     = "lookup"     // GET …/projects/{org}/{project}/artifact-lookup/
	EndpointUnknown    = "unknown"    // anything else (answered 404 or 405)
)

// Options configure a Server.
type Options struct {
	// Dir is the storage root: chunks under Dir/chunks/<sha1>, assembled bundles under Dir/bundles/.
	// Required. Bundles already there are re-indexed by New, so a restarted server still answers lookups.
	Dir string
	// Token, when set, is the only Bearer token accepted; anything else (or no Authorization header) is
	// answered 401 {"detail":"Invalid token"}. Empty accepts any request, with or without a token.
	Token string
	// Capability is what the capability GET advertises and what the server enforces.
	Capability Capability
	// Logger receives one line per request (never the Authorization header). nil discards.
	Logger *slog.Logger
	// AssembleStateTTL is how long a finished assembly's state ("ok" or "error") is remembered per (org,
	// checksum) and answered without assembling again; Sentry keeps it about 600 s (§7.3). 0 means
	// DefaultAssembleStateTTL. A state is also forgotten as soon as the bundle it reports is replaced by a
	// newer bundle with the same bundle id, so a re-upload assembles and stores it again. States of
	// assemblies still running ("created", "assembling") do not expire.
	AssembleStateTTL time.Duration
	// MaxRequests caps the request log (Requests): only the most recent MaxRequests requests are kept, so a
	// long-running dev-server does not grow without bound. 0 means DefaultMaxRequests; a negative value
	// keeps every request. MaxInFlight is counted separately and is not affected by the cap.
	MaxRequests int
}

// Defaults for Options.
const (
	DefaultAssembleStateTTL = 600 * time.Second
	DefaultMaxRequests      = 10000
)

// Capability is the chunk-upload options reply (§3). Zero fields take Sentry's typical values (§11).
type Capability struct {
	ChunkSize        int64 // default 8388608; also the largest decoded chunk accepted
	ChunksPerRequest int   // default 64; more parts in one POST → 400 "Too many chunks"
	MaxRequestSize   int64 // default 33554432; more decoded bytes in one POST → 400 "Request too large"
	Concurrency      int   // default 8
	Compression      []string
	NoCompression    bool  // advertise "compression": [] (Compression is then ignored)
	MaxWait          int   // seconds; sent only when > 0 (Sentry does not send it)
	MaxFileSize      int64 // default 2147483648; a larger assembled bundle fails with "File … exceeds maximum size"
	// RelativeURL advertises "/api/0/organizations/{org}/chunk-upload/" instead of an absolute URL built
	// from the request's Host and scheme.
	RelativeURL bool
	// Omit lists JSON field names to leave out of the reply, to test client defaults and errors.
	Omit []string
}

// Sentry's typical capability values (§3, §11).
const (
	defaultChunkSize        = 8388608
	defaultChunksPerRequest = 64
	defaultMaxRequestSize   = 33554432
	defaultConcurrency      = 8
	defaultMaxFileSize      = 2147483648
)

// acceptList is Sentry's "accept" value (§11); 3.x clients ignore it, older ones need artifact_bundles.
var acceptList = []string{"debug_files", "release_files", "pdbs", "sources", "bcsymbolmaps", "il2cpp",
	"portablepdbs", "artifact_bundles", "proguard"}

func (c Capability) withDefaults() Capability {
	if c.ChunkSize <= 0 {
		c.ChunkSize = defaultChunkSize
	}
	if c.ChunksPerRequest <= 0 {
		c.ChunksPerRequest = defaultChunksPerRequest
	}
	if c.MaxRequestSize <= 0 {
		c.MaxRequestSize = defaultMaxRequestSize
	}
	if c.Concurrency <= 0 {
		c.Concurrency = defaultConcurrency
	}
	if c.MaxFileSize <= 0 {
		c.MaxFileSize = defaultMaxFileSize
	}
	switch {
	case c.NoCompression:
		c.Compression = []string{}
	case c.Compression == nil:
		c.Compression = []string{"gzip"}
	default:
		c.Compression = append([]string(nil), c.Compression...)
	}
	c.Omit = append([]string(nil), c.Omit...)
	return c
}

// Request is one request as the server saw it.
type Request struct {
	Method, Endpoint, Path, Query string
	Header                        http.Header // Authorization (and Proxy-Authorization) removed
	Body                          []byte      // assemble and capability requests only
	Parts                         []Part      // chunk POSTs only, in body order
	Status                        int         // 0 while in flight, or when no reply was sent (dropped, client gone)
	At                            time.Time   // arrival
}

// Part is one multipart part of a chunk POST.
type Part struct {
	Name, Filename, ContentType string
	Size                        int64  // decoded bytes (gunzipped for file_gzip); at most ChunkSize+1 is counted
	GzipHeader                  []byte // first 10 raw bytes of a file_gzip part
}

// Server is the protocol server. Create it with New; it is an http.Handler.
type Server struct {
	dir, chunkDir, bundleDir string
	token                    string
	capa                     Capability
	log                      *slog.Logger

	ctx       context.Context // cancelled by Close: stops assembly goroutines and fault delays
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	storeMu   sync.Mutex // serialises bundle stores so replacement by bundle ID is race-free

	mu            sync.Mutex // guards everything below
	closed        bool
	faults        []*faultEntry
	requests      requestLog
	inflight      map[string]int
	maxInflight   map[string]int
	states        map[stateKey]assembleState
	stateTTL      time.Duration
	lastSweep     time.Time // when expired states were last removed from states
	now           func() time.Time
	assembleDelay time.Duration
	forcedState   string
	forcedDetail  string
	bundles       map[int]*storedBundle
	nextBundle    int
}

// New creates the storage directories, removes temporary files left by a crash, and re-indexes stored
// bundles.
func New(opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("sentrytest: Options.Dir is required")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ttl := opts.AssembleStateTTL
	if ttl <= 0 {
		ttl = DefaultAssembleStateTTL
	}
	maxReq := opts.MaxRequests
	if maxReq == 0 {
		maxReq = DefaultMaxRequests
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		dir:         opts.Dir,
		chunkDir:    filepath.Join(opts.Dir, "chunks"),
		bundleDir:   filepath.Join(opts.Dir, "bundles"),
		token:       opts.Token,
		capa:        opts.Capability.withDefaults(),
		log:         log,
		ctx:         ctx,
		cancel:      cancel,
		inflight:    map[string]int{},
		maxInflight: map[string]int{},
		states:      map[stateKey]assembleState{},
		stateTTL:    ttl,
		now:         time.Now,
		requests:    requestLog{max: maxReq},
		bundles:     map[int]*storedBundle{},
		nextBundle:  1,
	}
	for _, d := range []string{s.chunkDir, s.bundleDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			cancel()
			return nil, fmt.Errorf("sentrytest: %w", err)
		}
		if err := removeTemps(d); err != nil {
			cancel()
			return nil, fmt.Errorf("sentrytest: %w", err)
		}
	}
	if err := s.reindex(); err != nil {
		cancel()
		return nil, fmt.Errorf("sentrytest: %w", err)
	}
	return s, nil
}

// Close stops background assembly (a bundle being assembled stays "assembling") and ends pending fault
// delays. It waits for the assembly goroutines and is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		s.wg.Wait()
	})
	return nil
}

// route is what the path names.
type route struct {
	endpoint     string
	org, project string
}

// parseRoute matches the four protocol paths, with or without a trailing slash; method mismatches are left
// to the handlers so they can answer 405.
func parseRoute(method, path string) route {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) < 4 || segs[0] != "api" || segs[1] != "0" {
		return route{endpoint: EndpointUnknown}
	}
	for _, s := range segs {
		if s == "" {
			return route{endpoint: EndpointUnknown}
		}
	}
	switch {
	case len(segs) == 5 && segs[2] == "organizations" && segs[4] == "chunk-upload":
		if method == http.MethodPost {
			return route{endpoint: EndpointChunks, org: segs[3]}
		}
		return route{endpoint: EndpointCapability, org: segs[3]}
	case len(segs) == 6 && segs[2] == "organizations" && segs[4] == "artifactbundle" && segs[5] == "assemble":
		return route{endpoint: EndpointAssemble, org: segs[3]}
	case len(segs) == 6 && segs[2] == "projects" && segs[5] == "artifact-lookup":
		return route{endpoint: EndpointLookup, org: segs[3], project: segs[4]}
	}
	return route{endpoint: EndpointUnknown}
}

// maxJSONBody bounds the assemble and capability bodies that are read into memory (a 2 GiB bundle in
// 1000-byte chunks lists 2 million ids: about 90 MB, far beyond any real client).
const maxJSONBody = 64 << 20

// ServeHTTP records the request, applies a matching fault, checks the token and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rt := parseRoute(r.Method, r.URL.Path)
	rec := s.begin(rt.endpoint, r, start)
	rw := &replyWriter{ResponseWriter: w}
	var body []byte
	var parts []Part
	defer func() {
		s.finish(rt.endpoint, rec, rw, body, parts)
		attrs := []slog.Attr{
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("query", r.URL.RawQuery),
			slog.String("endpoint", rt.endpoint), slog.Int("status", rw.status),
			slog.Duration("duration", time.Since(start)), slog.String("remote", r.RemoteAddr),
		}
		if rw.state != "" {
			attrs = append(attrs, slog.String("state", rw.state))
		}
		if rw.detail != "" {
			attrs = append(attrs, slog.String("detail", rw.detail))
		}
		if len(parts) > 0 {
			attrs = append(attrs, slog.Int("parts", len(parts)))
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	}()

	if rt.endpoint == EndpointAssemble || rt.endpoint == EndpointCapability {
		// Read now so the body is recorded even when a fault answers, and so that a delay fault sees the
		// client go away (net/http only watches the connection once the body has been read).
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
		if err != nil {
			return // the client went away mid-body: nobody to answer
		}
		if len(body) > maxJSONBody {
			rw.writeError(http.StatusBadRequest, "Request too large")
			return
		}
	}

	if f, ok := s.takeFault(rt.endpoint); ok {
		if s.applyFault(w, rw, r, rt.endpoint, f) {
			return
		}
	}
	if rt.endpoint == EndpointUnknown {
		// Sentry resolves the URL before it authenticates: an unknown path is 404 whatever the token.
		rw.writeError(http.StatusNotFound, "The requested resource does not exist")
		return
	}
	if !s.authorized(r) {
		rw.writeError(http.StatusUnauthorized, "Invalid token")
		return
	}
	switch rt.endpoint {
	case EndpointCapability:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			rw.writeError(http.StatusMethodNotAllowed, fmt.Sprintf("Method %q not allowed.", r.Method))
			return
		}
		s.serveCapability(rw, r, rt.org)
	case EndpointChunks:
		parts = s.serveChunks(rw, r)
	case EndpointAssemble:
		if r.Method != http.MethodPost {
			rw.writeError(http.StatusMethodNotAllowed, fmt.Sprintf("Method %q not allowed.", r.Method))
			return
		}
		s.serveAssemble(rw, rt.org, body)
	case EndpointLookup:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			rw.writeError(http.StatusMethodNotAllowed, fmt.Sprintf("Method %q not allowed.", r.Method))
			return
		}
		s.serveLookup(rw, r, rt.org, rt.project)
	}
}

// authorized checks the Bearer token in constant time; without Options.Token everything is accepted.
func (s *Server) authorized(r *http.Request) bool {
	if s.token == "" {
		return true
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.token)) == 1
}

// begin records the arrival of a request and counts it in flight.
func (s *Server) begin(endpoint string, r *http.Request, at time.Time) *Request {
	h := r.Header.Clone()
	h.Del("Authorization")
	h.Del("Proxy-Authorization")
	rec := &Request{Method: r.Method, Endpoint: endpoint, Path: r.URL.Path, Query: r.URL.RawQuery, Header: h, At: at}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.add(rec)
	s.inflight[endpoint]++
	if n := s.inflight[endpoint]; n > s.maxInflight[endpoint] {
		s.maxInflight[endpoint] = n
	}
	return rec
}

func (s *Server) finish(endpoint string, rec *Request, rw *replyWriter, body []byte, parts []Part) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight[endpoint]--
	rec.Status = rw.status
	rec.Body = body
	rec.Parts = parts
}

// Requests returns a copy of the requests since New or the last ResetRequests, in arrival order: at most
// the Options.MaxRequests (by default DefaultMaxRequests) most recent ones.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := s.requests.all()
	out := make([]Request, len(recs))
	for i, r := range recs {
		c := *r
		c.Header = r.Header.Clone()
		c.Body = append([]byte(nil), r.Body...)
		c.Parts = append([]Part(nil), r.Parts...)
		out[i] = c
	}
	return out
}

// ResetRequests forgets the recorded requests and the in-flight maxima.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.reset()
	for k := range s.maxInflight {
		s.maxInflight[k] = s.inflight[k]
	}
}

// MaxInFlight is the highest number of concurrent requests seen on an endpoint (EndpointChunks, …).
func (s *Server) MaxInFlight(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInflight[endpoint]
}

// requestLog keeps the most recent max requests (all of them when max < 0) in a ring.
type requestLog struct {
	max  int
	recs []*Request
	next int // when full: the index of the oldest record, which the next add overwrites
}

func (l *requestLog) add(r *Request) {
	if l.max < 0 || len(l.recs) < l.max {
		l.recs = append(l.recs, r)
		return
	}
	l.recs[l.next] = r
	l.next = (l.next + 1) % l.max
}

// all returns the records oldest first.
func (l *requestLog) all() []*Request {
	out := make([]*Request, 0, len(l.recs))
	out = append(out, l.recs[l.next:]...)
	return append(out, l.recs[:l.next]...)
}

func (l *requestLog) reset() {
	l.recs, l.next = nil, 0
}

// replyWriter remembers the status and, for the log line, the error detail or assemble state.
type replyWriter struct {
	http.ResponseWriter
	status        int
	detail, state string
}

func (w *replyWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *replyWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *replyWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *replyWriter) writeJSON(status int, v any) {
	data, err := marshalJSON(v)
	if err != nil { // only our own types are encoded: a failure is a bug in this package
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data) // a write error means the client went away; nothing to do
}

// writeError answers with Sentry's error shape {"detail": "…"}.
func (w *replyWriter) writeError(status int, detail string) {
	w.detail = detail
	w.writeJSON(status, map[string]string{"detail": detail})
}

// marshalJSON encodes compactly without HTML escaping (URLs stay readable) and without a trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

// baseURL is scheme://host of the request, for absolute URLs in replies.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// removeTemps deletes temporary files a crash may have left in dir.
func removeTemps(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// tempPrefix marks files being written; they are renamed into place only when complete.
const tempPrefix = ".tmp-"
