// Package posthogtest is a real HTTP server that speaks PostHog's
// error-tracking symbol-set API (docs/internals/posthog.md) and the object
// store its presigned POSTs go to: bulk_check_upload, bulk_start_upload,
// the multipart object POST, bulk_finish_upload, and the list and download
// routes that find a stored symbol set by chunk ID. It follows the server's
// validation table (conflicts, release mismatch, missing or oversized
// objects, duplicate IDs), so it serves the upload code's tests and
// `mapback dev-server`. Tests can inject faults and read the request log.
package posthogtest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mapback/mapback/internal/posthog"
)

// Endpoint names, as Fault.Endpoint and Request.Endpoint use them.
const (
	EndpointCheck    = "check"    // POST …/symbol_sets/bulk_check_upload
	EndpointStart    = "start"    // POST …/symbol_sets/bulk_start_upload
	EndpointObject   = "object"   // POST /objects (the presigned URL)
	EndpointFallback = "fallback" // POST /objects-fallback (the fallback presigned URL)
	EndpointFinish   = "finish"   // POST …/symbol_sets/bulk_finish_upload
	EndpointList     = "list"     // GET …/symbol_sets/?ref=
	EndpointDownload = "download" // GET …/symbol_sets/{id}/download
	EndpointGet      = "get"      // GET /objects/{key} (a presigned GET)
	EndpointUnknown  = "unknown"
)

// Options configure a Server.
type Options struct {
	// Dir, when set, keeps stored objects on disk (Dir/objects); otherwise
	// they are kept in memory.
	Dir string
	// Token, when set, is the only Bearer token the API accepts (the object
	// store checks the presigned fields instead, as S3 does).
	Token string
	// Logger gets a line per request (never the Authorization header).
	Logger *slog.Logger
	// NoFallback leaves fallback_presigned_url out of start replies.
	NoFallback bool
	// NoCheck answers bulk_check_upload 404, as servers before it did.
	NoCheck bool
}

// Request is one request the server answered.
type Request struct {
	Endpoint string
	Method   string
	Path     string
	Status   int
	Body     []byte // JSON bodies only
}

// Fault changes the answer to requests of an endpoint.
type Fault struct {
	Endpoint string        // one of the Endpoint constants, or "" for any
	Status   int           // answer with this status and Body
	Body     string        // default: a DRF-style error
	Delay    time.Duration // wait before answering
	Drop     bool          // close the connection without an answer
	Times    int           // how many requests; 0: all
}

// symbolSet is one row of the server's table.
type symbolSet struct {
	ID          string
	Ref         string // the chunk ID
	ReleaseID   *string
	StoragePtr  string
	ContentHash *string
}

// Server is the fake. Serve it with net/http.
type Server struct {
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	sets     map[string]*symbolSet // by chunk ID
	byID     map[string]*symbolSet
	objects  map[string][]byte // in memory, when Dir is empty
	policies map[string]time.Time
	releases map[string]bool
	faults   []*faultEntry
	requests []Request
}

type faultEntry struct {
	f    Fault
	left int
}

// New returns a server.
func New(opts Options) (*Server, error) {
	if opts.Dir != "" {
		if err := os.MkdirAll(filepath.Join(opts.Dir, "objects"), 0o755); err != nil {
			return nil, err
		}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{opts: opts, log: log, sets: map[string]*symbolSet{}, byID: map[string]*symbolSet{},
		objects: map[string][]byte{}, policies: map[string]time.Time{}, releases: map[string]bool{}}, nil
}

// AddFault appends a fault; each request takes the first that matches.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	left := f.Times
	if left <= 0 {
		left = -1
	}
	s.faults = append(s.faults, &faultEntry{f, left})
}

// AddRelease makes a release ID known to the project.
func (s *Server) AddRelease(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releases[id] = true
}

// Requests returns the requests answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Stored returns the symbol data stored for a chunk ID, once finished.
func (s *Server) Stored(chunkID string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.sets[chunkID]
	if set == nil || set.ContentHash == nil {
		return nil, false
	}
	data, err := s.object(set.StoragePtr)
	return data, err == nil
}

// Has reports whether a finished symbol set exists for a chunk ID.
func (s *Server) Has(chunkID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.sets[chunkID]
	return set != nil && set.ContentHash != nil
}

// ChunkIDs lists the chunk IDs with finished symbol sets.
func (s *Server) ChunkIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id, set := range s.sets {
		if set.ContentHash != nil {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

var (
	apiPath      = regexp.MustCompile(`^/api/(?:projects|environments)/([^/]+)/error_tracking/symbol_sets/?(.*?)/?$`)
	downloadPath = regexp.MustCompile(`^([0-9a-f-]+)/download$`)
)

const (
	objectPath   = "/objects"
	fallbackPath = "/objects-fallback"
)

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	endpoint := s.endpointOf(r)
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	var body []byte
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		body, _ = io.ReadAll(io.LimitReader(r.Body, 8<<20))
	}
	defer func() {
		s.mu.Lock()
		s.requests = append(s.requests, Request{Endpoint: endpoint, Method: r.Method, Path: r.URL.Path, Status: rec.status, Body: body})
		s.mu.Unlock()
		s.log.Info("posthog request", "method", r.Method, "path", r.URL.Path, "status", rec.status)
	}()
	if f, ok := s.takeFault(endpoint); ok && s.applyFault(rec, r, f) {
		return
	}
	switch endpoint {
	case EndpointObject, EndpointFallback:
		s.postObject(rec, r)
		return
	case EndpointGet:
		s.getObject(rec, r)
		return
	}
	if s.opts.Token != "" {
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.Token)) != 1 {
			apiError(rec, http.StatusUnauthorized, "authentication_error", "authentication_failed", "Personal API key found in request Authorization header is invalid.")
			return
		}
	}
	switch endpoint {
	case EndpointCheck:
		if s.opts.NoCheck {
			apiError(rec, http.StatusNotFound, "invalid_request", "not_found", "Not found.")
			return
		}
		s.check(rec, body)
	case EndpointStart:
		s.start(rec, r, body)
	case EndpointFinish:
		s.finish(rec, body)
	case EndpointList:
		s.list(rec, r)
	case EndpointDownload:
		s.download(rec, r)
	default:
		apiError(rec, http.StatusNotFound, "invalid_request", "not_found", "Not found.")
	}
}

func (s *Server) endpointOf(r *http.Request) string {
	switch {
	case r.URL.Path == objectPath && r.Method == http.MethodPost:
		return EndpointObject
	case r.URL.Path == fallbackPath && r.Method == http.MethodPost:
		return EndpointFallback
	case strings.HasPrefix(r.URL.Path, objectPath+"/") && r.Method == http.MethodGet:
		return EndpointGet
	}
	m := apiPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		return EndpointUnknown
	}
	switch rest := m[2]; {
	case rest == "bulk_check_upload" && r.Method == http.MethodPost:
		return EndpointCheck
	case rest == "bulk_start_upload" && r.Method == http.MethodPost:
		return EndpointStart
	case rest == "bulk_finish_upload" && r.Method == http.MethodPost:
		return EndpointFinish
	case rest == "" && r.Method == http.MethodGet:
		return EndpointList
	case downloadPath.MatchString(rest) && r.Method == http.MethodGet:
		return EndpointDownload
	}
	return EndpointUnknown
}

type uploadEntry struct {
	ChunkID     string  `json:"chunk_id"`
	ReleaseID   *string `json:"release_id"`
	ContentHash *string `json:"content_hash"`
}

type uploadBody struct {
	SymbolSets     []uploadEntry `json:"symbol_sets"`
	ChunkIDs       []string      `json:"chunk_ids"` // legacy form
	ReleaseID      *string       `json:"release_id"`
	Force          bool          `json:"force"`
	SkipOnConflict bool          `json:"skip_on_conflict"`
}

func (b *uploadBody) entries() []uploadEntry {
	out := append([]uploadEntry(nil), b.SymbolSets...)
	for _, id := range b.ChunkIDs {
		out = append(out, uploadEntry{ChunkID: id, ReleaseID: b.ReleaseID})
	}
	return out
}

func (s *Server) check(w http.ResponseWriter, body []byte) {
	var b uploadBody
	if err := json.Unmarshal(body, &b); err != nil {
		apiError(w, http.StatusBadRequest, "validation_error", "invalid_input", "JSON parse error")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	need := []string{}
	for _, e := range b.entries() {
		set := s.sets[e.ChunkID]
		switch {
		case set == nil, set.ContentHash == nil:
			need = append(need, e.ChunkID)
		case e.ContentHash != nil && *set.ContentHash != *e.ContentHash && !b.SkipOnConflict:
			need = append(need, e.ChunkID)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"chunk_ids_to_upload": need})
}

// start applies the validation table of bulk_start_upload.
func (s *Server) start(w http.ResponseWriter, r *http.Request, body []byte) {
	var b uploadBody
	if err := json.Unmarshal(body, &b); err != nil {
		apiError(w, http.StatusBadRequest, "validation_error", "invalid_input", "JSON parse error")
		return
	}
	entries := b.entries()
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.ChunkID] || e.ChunkID == "" {
			apiError(w, http.StatusBadRequest, "validation_error", "invalid_chunk_ids", "Duplicate or empty chunk IDs")
			return
		}
		seen[e.ChunkID] = true
		if e.ReleaseID != nil && !s.releases[*e.ReleaseID] {
			apiError(w, http.StatusBadRequest, "validation_error", "invalid_release_id", "Unknown release ID")
			return
		}
	}
	idMap := map[string]any{}
	for _, e := range entries {
		set := s.sets[e.ChunkID]
		if set != nil {
			if !sameRelease(set.ReleaseID, e.ReleaseID) && set.ReleaseID != nil {
				apiError(w, http.StatusBadRequest, "validation_error", "release_id_mismatch", "Symbol set has already been uploaded for a different release")
				return
			}
			if set.ContentHash != nil && e.ContentHash != nil {
				if *set.ContentHash == *e.ContentHash {
					continue // already there
				}
				switch {
				case b.SkipOnConflict:
					continue
				case !b.Force:
					apiError(w, http.StatusBadRequest, "validation_error", "content_hash_mismatch", "Content hash mismatch for chunk "+e.ChunkID)
					return
				}
			}
		}
		if set == nil {
			set = &symbolSet{ID: newUUID(), Ref: e.ChunkID}
			s.sets[e.ChunkID] = set
			s.byID[set.ID] = set
		}
		if set.ReleaseID == nil {
			set.ReleaseID = e.ReleaseID
		}
		set.StoragePtr = "symbolsets/" + newUUID()
		set.ContentHash = nil
		entry := map[string]any{"presigned_url": s.presigned(r, objectPath, set.StoragePtr), "symbol_set_id": set.ID}
		if !s.opts.NoFallback {
			entry["fallback_presigned_url"] = s.presigned(r, fallbackPath, set.StoragePtr)
		}
		idMap[e.ChunkID] = entry
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id_map": idMap})
}

func sameRelease(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// presigned is an S3-style presigned POST: the URL and the form fields to
// send with the file. The policy is a one-time token for the key; it
// expires in 300 s, as PostHog's do.
func (s *Server) presigned(r *http.Request, path, key string) map[string]any {
	policy := newUUID()
	s.policies[policy+"\x00"+key] = time.Now().Add(300 * time.Second)
	return map[string]any{
		"url":    "http://" + r.Host + path,
		"fields": map[string]string{"key": key, "policy": policy, "x-amz-algorithm": "AWS4-HMAC-SHA256", "Content-Type": "application/octet-stream"},
	}
}

// postObject stores a multipart object POST: the fields, then "file".
func (s *Server) postObject(w http.ResponseWriter, r *http.Request) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		http.Error(w, "<Error><Code>InvalidRequest</Code></Error>", http.StatusBadRequest)
		return
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	fields := map[string]string{}
	var file []byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			http.Error(w, "<Error><Code>MalformedPOSTRequest</Code></Error>", http.StatusBadRequest)
			return
		}
		if part.FormName() == "file" {
			if part.FileName() == "" {
				http.Error(w, "<Error><Code>InvalidArgument</Code><Message>file has no filename</Message></Error>", http.StatusBadRequest)
				return
			}
			file, err = io.ReadAll(io.LimitReader(part, posthog.MaxSymbolData+1))
			if err != nil {
				return
			}
			if len(file) > posthog.MaxSymbolData {
				http.Error(w, "<Error><Code>EntityTooLarge</Code></Error>", http.StatusBadRequest)
				return
			}
			break // S3 ignores fields after the file
		}
		v, _ := io.ReadAll(io.LimitReader(part, 1<<16))
		fields[part.FormName()] = string(v)
	}
	key, policy := fields["key"], fields["policy"]
	s.mu.Lock()
	exp, ok := s.policies[policy+"\x00"+key]
	if ok {
		delete(s.policies, policy+"\x00"+key)
	}
	s.mu.Unlock()
	switch {
	case !ok:
		http.Error(w, "<Error><Code>AccessDenied</Code><Message>Invalid according to Policy</Message></Error>", http.StatusForbidden)
		return
	case time.Now().After(exp):
		http.Error(w, "<Error><Code>AccessDenied</Code><Message>Policy expired</Message></Error>", http.StatusForbidden)
		return
	case file == nil:
		http.Error(w, "<Error><Code>InvalidArgument</Code><Message>no file</Message></Error>", http.StatusBadRequest)
		return
	}
	if err := s.storeObject(key, file); err != nil {
		http.Error(w, "<Error><Code>InternalError</Code></Error>", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) storeObject(key string, data []byte) error {
	if s.opts.Dir == "" {
		s.mu.Lock()
		s.objects[key] = append([]byte(nil), data...)
		s.mu.Unlock()
		return nil
	}
	p := filepath.Join(s.opts.Dir, "objects", filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// object reads a stored object; the caller holds s.mu.
func (s *Server) object(key string) ([]byte, error) {
	if s.opts.Dir == "" {
		data, ok := s.objects[key]
		if !ok {
			return nil, os.ErrNotExist
		}
		return data, nil
	}
	return os.ReadFile(filepath.Join(s.opts.Dir, "objects", filepath.FromSlash(key)))
}

// finish applies bulk_finish_upload: every listed object must exist with a
// size in 1..100 MiB, or every listed symbol set is deleted.
func (s *Server) finish(w http.ResponseWriter, body []byte) {
	var b struct {
		ContentHashes map[string]string `json:"content_hashes"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		apiError(w, http.StatusBadRequest, "validation_error", "invalid_input", "JSON parse error")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(code, detail string) {
		for id := range b.ContentHashes {
			if set := s.byID[id]; set != nil {
				delete(s.byID, id)
				delete(s.sets, set.Ref)
			}
		}
		apiError(w, http.StatusBadRequest, "validation_error", code, detail)
	}
	for id := range b.ContentHashes {
		set := s.byID[id]
		if set == nil {
			fail("invalid_symbol_set_id", "Unknown symbol set "+id)
			return
		}
		data, err := s.object(set.StoragePtr)
		switch {
		case err != nil:
			fail("file_not_found", "Object for symbol set "+id+" not found")
			return
		case len(data) == 0 || len(data) > posthog.MaxSymbolData:
			fail("file_too_large", "Object for symbol set "+id+" is empty or over 100 MiB")
			return
		}
	}
	for id, hash := range b.ContentHashes {
		h := hash
		s.byID[id].ContentHash = &h
	}
	writeJSON(w, http.StatusCreated, map[string]any{"success": true})
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	ref := r.URL.Query().Get("ref")
	s.mu.Lock()
	defer s.mu.Unlock()
	results := []any{}
	for _, set := range s.sets {
		if (ref == "" || set.Ref == ref) && set.ContentHash != nil {
			results = append(results, map[string]any{"id": set.ID, "ref": set.Ref, "release": set.ReleaseID, "storage_ptr": set.StoragePtr, "failure_reason": nil})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(results), "next": nil, "previous": nil, "results": results})
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	m := apiPath.FindStringSubmatch(r.URL.Path)
	id := downloadPath.FindStringSubmatch(m[2])[1]
	s.mu.Lock()
	set := s.byID[id]
	s.mu.Unlock()
	if set == nil || set.ContentHash == nil {
		apiError(w, http.StatusNotFound, "invalid_request", "not_found", "Not found.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"url": "http://" + r.Host + objectPath + "/" + set.StoragePtr})
}

func (s *Server) getObject(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, objectPath+"/")
	s.mu.Lock()
	data, err := s.object(key)
	s.mu.Unlock()
	if err != nil {
		http.Error(w, "<Error><Code>NoSuchKey</Code></Error>", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(data)
}

func (s *Server) takeFault(endpoint string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.faults {
		if e.f.Endpoint != "" && e.f.Endpoint != endpoint {
			continue
		}
		if e.left > 0 {
			if e.left--; e.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return e.f, true
	}
	return Fault{}, false
}

// applyFault carries out f; false means serve the request normally (a delay).
func (s *Server) applyFault(w *recorder, r *http.Request, f Fault) bool {
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return true
		}
	}
	if f.Drop {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		if conn, _, err := http.NewResponseController(w.ResponseWriter).Hijack(); err == nil {
			_ = conn.Close()
			w.status = 0
			return true
		}
		panic(http.ErrAbortHandler)
	}
	if f.Status == 0 {
		return false
	}
	body := f.Body
	if body == "" {
		body = `{"type":"server_error","code":"injected","detail":"injected fault","attr":null}`
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, body)
	return true
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError writes Django REST framework's error body.
func apiError(w http.ResponseWriter, status int, typ, code, detail string) {
	writeJSON(w, status, map[string]any{"type": typ, "code": code, "detail": detail, "attr": nil})
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x70
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
