package sentrytest

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/mapback/mapback/internal/artifactbundle"
)

// Assemble states (§7.3).
const (
	StateNotFound   = "not_found"
	StateCreated    = "created"
	StateAssembling = "assembling"
	StateOK         = "ok"
	StateError      = "error"
)

type stateKey struct{ org, checksum string }

type assembleState struct {
	state, detail string
	at            time.Time // when the state was set
}

// finished reports whether the state is a result ("ok", "error") rather than an assembly still running.
func (st assembleState) finished() bool { return st.state == StateOK || st.state == StateError }

// cachedState returns the state remembered for key, forgetting it when it is a result older than the TTL
// (Sentry keeps assemble results about 600 s). It also sweeps every expired state now and then, so a
// long-running server does not keep them all. Callers hold s.mu.
func (s *Server) cachedState(key stateKey) (assembleState, bool) {
	now := s.now()
	if now.Sub(s.lastSweep) >= s.stateTTL {
		s.lastSweep = now
		for k, st := range s.states {
			if st.finished() && now.Sub(st.at) >= s.stateTTL {
				delete(s.states, k)
			}
		}
	}
	st, ok := s.states[key]
	if ok && st.finished() && now.Sub(st.at) >= s.stateTTL {
		delete(s.states, key)
		return assembleState{}, false
	}
	return st, ok
}

// assembleRequest is a validated assemble body (§7.1).
type assembleRequest struct {
	Checksum string
	Chunks   []string
	Projects []string
	Version  string
	Dist     string
}

// assembleReply is the reply shape of §7.2; missingChunks is always present, detail is null when empty.
type assembleReply struct {
	State         string   `json:"state"`
	MissingChunks []string `json:"missingChunks"`
	Detail        *string  `json:"detail"`
}

var sha1Pattern = "^[0-9a-f]{40}$"

// parseAssemble checks the body against Sentry's schema (only checksum, chunks, projects, version and dist;
// the first three required) and the release rules; the error text is the reply's detail. Messages follow the
// first line of Python jsonschema's, which is what Sentry returns.
func parseAssemble(body []byte) (assembleRequest, string) {
	var req assembleRequest
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return req, "Invalid json body"
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "checksum", "chunks", "projects", "version", "dist":
		default:
			return req, fmt.Sprintf("Additional properties are not allowed (%q was unexpected)", k)
		}
	}
	for _, k := range []string{"checksum", "chunks", "projects"} {
		if _, ok := raw[k]; !ok {
			return req, fmt.Sprintf("%q is a required property", k)
		}
	}
	str := func(k string, dst *string) string {
		if err := json.Unmarshal(raw[k], dst); err != nil || bytes.Equal(bytes.TrimSpace(raw[k]), []byte("null")) {
			return fmt.Sprintf("%s is not of type 'string' (%q)", string(raw[k]), k)
		}
		return ""
	}
	strs := func(k string, dst *[]string) string {
		if err := json.Unmarshal(raw[k], dst); err != nil || *dst == nil {
			return fmt.Sprintf("%s is not of type 'array' of strings (%q)", string(raw[k]), k)
		}
		return ""
	}
	if d := str("checksum", &req.Checksum); d != "" {
		return req, d
	}
	if !isSHA1Hex(req.Checksum) {
		return req, fmt.Sprintf("%q does not match %q", req.Checksum, sha1Pattern)
	}
	if d := strs("chunks", &req.Chunks); d != "" {
		return req, d
	}
	for _, c := range req.Chunks {
		if !isSHA1Hex(c) {
			return req, fmt.Sprintf("%q does not match %q", c, sha1Pattern)
		}
	}
	if d := strs("projects", &req.Projects); d != "" {
		return req, d
	}
	_, hasVersion := raw["version"]
	if hasVersion {
		if d := str("version", &req.Version); d != "" {
			return req, d
		}
		if req.Version == "" || strings.Contains(req.Version, "/") {
			return req, fmt.Sprintf("%q does not match '^[^/]+$'", req.Version)
		}
	}
	if _, ok := raw["dist"]; ok {
		if d := str("dist", &req.Dist); d != "" {
			return req, d
		}
	}
	if len(req.Projects) == 0 {
		return req, "You need to specify at least one project"
	}
	if req.Version == "" && req.Dist != "" {
		return req, "You need to specify a release together with a dist"
	}
	if d := checkRelease(req.Version); hasVersion && d != "" {
		return req, d
	}
	if req.Dist != "" && (strings.TrimSpace(req.Dist) != req.Dist || len(req.Dist) > 64) {
		return req, fmt.Sprintf("Invalid dist %q: no leading or trailing spaces, at most 64 characters", req.Dist)
	}
	return req, ""
}

// checkRelease applies Sentry's release-name rules (§7.1) beyond the schema's "no /".
func checkRelease(v string) string {
	switch {
	case strings.TrimSpace(v) != v:
		return fmt.Sprintf("Invalid release %q: leading or trailing spaces", v)
	case v == "." || v == "..":
		return fmt.Sprintf("Invalid release %q", v)
	case strings.ContainsAny(v, "\n\t\v\f"):
		return fmt.Sprintf("Invalid release %q: contains a newline, tab, vertical tab or form feed", v)
	}
	return ""
}

// serveAssemble runs Sentry's order of checks (§7.3): unknown chunks → not_found; a cached state for
// (org, checksum) → that state; no chunks → not_found with []; else "created" and the assembly starts.
func (s *Server) serveAssemble(rw *replyWriter, org string, body []byte) {
	req, detail := parseAssemble(body)
	if detail != "" {
		rw.writeError(http.StatusBadRequest, detail)
		return
	}
	reply := func(state, detail string, missing []string) {
		rw.state = state
		rw.detail = detail
		r := assembleReply{State: state, MissingChunks: missing}
		if detail != "" {
			r.Detail = &detail
		}
		rw.writeJSON(http.StatusOK, r)
	}
	if missing := s.missingChunks(req.Chunks); len(missing) > 0 {
		reply(StateNotFound, "", missing)
		return
	}
	key := stateKey{org, req.Checksum}
	s.mu.Lock()
	if s.forcedState != "" {
		st, d := s.forcedState, s.forcedDetail
		s.mu.Unlock()
		reply(st, d, []string{})
		return
	}
	if st, ok := s.cachedState(key); ok {
		s.mu.Unlock()
		if st.state == StateOK {
			st.detail = ""
		}
		reply(st.state, st.detail, []string{})
		return
	}
	if len(req.Chunks) == 0 {
		s.mu.Unlock()
		reply(StateNotFound, "", []string{})
		return
	}
	if s.closed {
		s.mu.Unlock()
		rw.writeError(http.StatusServiceUnavailable, "server closed")
		return
	}
	s.states[key] = assembleState{state: StateCreated, at: s.now()}
	s.wg.Add(1)
	delay := s.assembleDelay
	s.mu.Unlock()
	go s.runAssembly(key, req, delay)
	reply(StateCreated, "", []string{})
}

// SetAssembleDelay sets how long a new assembly stays "assembling" before it does its work (default 0).
func (s *Server) SetAssembleDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.assembleDelay = d
}

// ForceAssembleState makes every assemble reply that passes the missing-chunk check report state (with
// detail, null when empty) and start no assembly: "assembling" forever, "error" with a reason, any string a
// client must reject. "" restores normal behaviour.
func (s *Server) ForceAssembleState(state, detail string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forcedState, s.forcedDetail = state, detail
}

func (s *Server) setState(key stateKey, state, detail string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.states[key] = assembleState{state, detail, s.now()}
}

// runAssembly is the background task: "assembling", the delay, then "ok" or "error". Close interrupts it,
// leaving the state "assembling" as a killed Sentry worker would.
func (s *Server) runAssembly(key stateKey, req assembleRequest, delay time.Duration) {
	defer s.wg.Done()
	s.setState(key, StateAssembling, "")
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
			return
		}
	}
	detail, err := s.assemble(key.org, req)
	if errors.Is(err, errClosed) {
		return
	}
	if err != nil {
		s.log.Error("assembly failed", "org", key.org, "checksum", key.checksum, "error", err)
		s.setState(key, StateError, "Internal error: "+err.Error())
		return
	}
	if detail != "" {
		s.log.Info("assembly rejected", "org", key.org, "checksum", key.checksum, "detail", detail)
		s.setState(key, StateError, detail)
		return
	}
	s.setState(key, StateOK, "")
}

var errClosed = errors.New("server closed")

// assemble concatenates the chunks into a temporary file (streaming, never the whole bundle in memory),
// validates it like Sentry's assemble task and stores it. A non-empty detail is a rejection of the upload;
// err is a local failure.
func (s *Server) assemble(org string, req assembleRequest) (detail string, err error) {
	var total int64
	for _, id := range req.Chunks {
		fi, err := os.Stat(s.chunkPath(id))
		if err != nil {
			return "Not all chunks available for assembling", nil
		}
		total += fi.Size()
	}
	if total > s.capa.MaxFileSize {
		return fmt.Sprintf("File %s exceeds maximum size (%d > %d)", req.Checksum, total, s.capa.MaxFileSize), nil
	}
	tmp, err := os.CreateTemp(s.bundleDir, tempPrefix+"bundle-*")
	if err != nil {
		return "", err
	}
	stored := false
	defer func() {
		if !stored {
			_ = tmp.Close()           // already closed on some paths; the temp file is discarded anyway
			_ = os.Remove(tmp.Name()) // best effort: New removes leftovers too
		}
	}()
	h := sha1.New()
	w := io.MultiWriter(tmp, h)
	for _, id := range req.Chunks {
		if s.ctx.Err() != nil {
			return "", errClosed
		}
		if d, err := appendChunk(w, s.chunkPath(id)); d != "" || err != nil {
			return d, err
		}
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != req.Checksum {
		return "Checksum mismatch", nil
	}
	b, err := artifactbundle.Read(tmp, total)
	if err != nil {
		return "Invalid bundle: " + describeBundleError(err), nil
	}
	if err := b.Check(); err != nil {
		return "Invalid bundle: " + firstLine(err.Error()), nil
	}
	manifestJSON, err := b.ReadFile(artifactbundle.ManifestName)
	if err != nil {
		return "Invalid bundle: " + firstLine(err.Error()), nil
	}
	m := b.Manifest()
	if !hasDebugIDs(m) && req.Version == "" {
		return "uploading a bundle without debug ids or release is prohibited", nil
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	sb := StoredBundle{
		DebugID:      bundleID(m, req.Checksum),
		Checksum:     req.Checksum,
		Org:          org,
		Projects:     append([]string(nil), req.Projects...),
		Release:      req.Version,
		Dist:         req.Dist,
		Manifest:     m,
		ManifestJSON: manifestJSON,
	}
	if err := s.store(tmp.Name(), sb); err != nil {
		return "", err
	}
	stored = true
	return "", nil
}

// appendChunk copies one stored chunk to w; a chunk deleted since the missing-chunk check is the client's
// problem (it must upload again), not a server failure.
func appendChunk(w io.Writer, path string) (string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "Not all chunks available for assembling", nil
	}
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }() // read-only: a close error changes nothing
	_, err = io.Copy(w, f)
	return "", err
}

// zipErrPrefix starts artifactbundle's error for a zip archive/zip cannot open.
const zipErrPrefix = "not an artifact bundle: zip after SYSB header: "

// describeBundleError turns an artifactbundle read error into the short reason after "Invalid bundle: ".
func describeBundleError(err error) string {
	var ve *artifactbundle.VersionError
	var me *artifactbundle.ManifestError
	switch msg := err.Error(); {
	case errors.Is(err, artifactbundle.ErrNotBundle):
		return "missing SYSB header"
	case errors.As(err, &ve):
		return fmt.Sprintf("unsupported format version %d", ve.Version)
	case strings.HasPrefix(msg, zipErrPrefix):
		return "invalid zip (" + strings.TrimPrefix(msg, zipErrPrefix) + ")"
	case errors.As(err, &me) && me.Missing:
		return "missing manifest"
	case errors.As(err, &me):
		return "invalid manifest (" + me.Reason + ")"
	default:
		return firstLine(msg)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// hasDebugIDs reports whether any manifest entry carries a debug-id (or debug_id) header; the bundle's own
// debug_id does not count (Sentry's rule, §9).
func hasDebugIDs(m artifactbundle.Manifest) bool {
	for _, e := range m.Files {
		if e.DebugID() != "" {
			return true
		}
	}
	return false
}

// bundleID is the bundle's identity for replacement (§10.5): the manifest debug_id, normalised and cut
// to 36 characters; without one, a UUID made from the checksum's first 32 hex digits.
func bundleID(m artifactbundle.Manifest, checksum string) string {
	if id := artifactbundle.NormalizeDebugID(m.DebugID); id != "" {
		if len(id) > 36 {
			id = id[:36]
		}
		return id
	}
	return artifactbundle.NormalizeDebugID(checksum[:32])
}
