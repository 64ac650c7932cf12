package sentrytest

import (
	"bufio"
	"compress/gzip"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
)

// serveCapability answers the chunk-upload options GET (§3). encoding/json sorts the map's keys, which
// is the order Sentry's reply has in §11.
func (s *Server) serveCapability(rw *replyWriter, r *http.Request, org string) {
	c := s.capa
	u := "/api/0/organizations/" + url.PathEscape(org) + "/chunk-upload/"
	if !c.RelativeURL {
		u = baseURL(r) + u
	}
	m := map[string]any{
		"url":              u,
		"chunkSize":        c.ChunkSize,
		"chunksPerRequest": c.ChunksPerRequest,
		"maxRequestSize":   c.MaxRequestSize,
		"concurrency":      c.Concurrency,
		"hashAlgorithm":    "sha1",
		"compression":      c.Compression,
		"maxFileSize":      c.MaxFileSize,
		"accept":           acceptList,
	}
	if c.MaxWait > 0 {
		m["maxWait"] = c.MaxWait
	}
	for _, k := range c.Omit {
		delete(m, k)
	}
	rw.writeJSON(http.StatusOK, m)
}

// chunkError is a 400 reply; rank orders the size checks as Sentry runs them (it validates every part's
// size, then the request size, then the part count, before looking at any content).
type chunkError struct {
	rank   int
	detail string
}

const (
	rankChunkTooLarge = iota + 1
	rankRequestTooLarge
	rankTooManyChunks
	rankContent // checksum mismatch: only reported when every size check passed
)

// serveChunks stores the parts of a chunk POST (§5). Parts are decoded into temporary files while the
// body streams in and renamed into place only when the whole request passed, so a rejected request stores
// nothing. It returns the parts for the request record.
func (s *Server) serveChunks(rw *replyWriter, r *http.Request) []Part {
	var parts []Part
	type staged struct{ id, tmp string }
	var stage []staged
	defer func() {
		for _, st := range stage {
			_ = os.Remove(st.tmp) // after a successful rename the temp name is gone: nothing to remove
		}
	}()
	fail := func(status int, detail string) []Part {
		// Drain (bounded) so the client reads the reply rather than a connection reset.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBufferedChunkBody))
		rw.writeError(status, detail)
		return parts
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return fail(http.StatusBadRequest, "Invalid multipart body: "+err.Error())
	}
	var (
		count int
		total int64
		worst *chunkError
	)
	note := func(rank int, detail string) {
		if worst == nil || rank < worst.rank {
			worst = &chunkError{rank, detail}
		}
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(http.StatusBadRequest, "Invalid multipart body: "+err.Error())
		}
		part := Part{Name: p.FormName(), Filename: p.FileName(), ContentType: p.Header.Get("Content-Type")}
		if part.Name != "file" && part.Name != "file_gzip" {
			// Sentry reads only these two fields; anything else is ignored.
			n, err := io.Copy(io.Discard, p)
			part.Size = n
			parts = append(parts, part)
			if err != nil {
				return fail(http.StatusBadRequest, "Invalid multipart body: "+err.Error())
			}
			continue
		}
		count++
		// Once the request is known to fail, parts are still decoded (a later part may fail a
		// higher-ranked check) but no longer written to disk.
		keep := worst == nil && count <= s.capa.ChunksPerRequest && total <= s.capa.MaxRequestSize
		var tmp *os.File
		if keep {
			tmp, err = os.CreateTemp(s.chunkDir, tempPrefix+"chunk-*")
			if err != nil {
				return fail(http.StatusInternalServerError, "storing chunk: "+err.Error())
			}
			stage = append(stage, staged{tmp: tmp.Name()})
		}
		size, sum, derr := s.decodePart(p, &part, tmp)
		if tmp != nil {
			if cerr := tmp.Close(); cerr != nil && derr == nil {
				return fail(http.StatusInternalServerError, "storing chunk: "+cerr.Error())
			}
		}
		parts = append(parts, part)
		if derr != nil {
			var de decodeError
			if errors.As(derr, &de) {
				return fail(http.StatusBadRequest, fmt.Sprintf("Invalid chunk %q: %v", part.Filename, de.err))
			}
			return fail(http.StatusInternalServerError, "storing chunk: "+derr.Error())
		}
		total += size
		if size > s.capa.ChunkSize {
			note(rankChunkTooLarge, "Chunk size too large")
		}
		if sum != part.Filename {
			note(rankContent, fmt.Sprintf("Checksum mismatch: chunk %q has SHA-1 %s", part.Filename, sum))
		}
		if keep {
			stage[len(stage)-1].id = sum
		}
	}
	if total > s.capa.MaxRequestSize {
		note(rankRequestTooLarge, "Request too large")
	}
	if count > s.capa.ChunksPerRequest {
		note(rankTooManyChunks, "Too many chunks")
	}
	if worst != nil {
		rw.writeError(http.StatusBadRequest, worst.detail)
		return parts
	}
	for _, st := range stage {
		if err := os.Rename(st.tmp, s.chunkPath(st.id)); err != nil {
			rw.writeError(http.StatusInternalServerError, "storing chunk: "+err.Error())
			return parts
		}
	}
	rw.WriteHeader(http.StatusOK)
	return parts
}

// decodeError is a client mistake in a part's encoding (bad gzip), as opposed to a local I/O failure.
type decodeError struct{ err error }

func (e decodeError) Error() string { return e.err.Error() }

// decodePart reads one part, gunzipping file_gzip parts (exactly one gzip member, as the reference client
// sends), writes the decoded bytes to dst when it is not nil and returns their size and SHA-1. At most
// ChunkSize+1 decoded bytes are read: enough to know the chunk is too large. Errors reading the part are the
// client's (decodeError); errors writing dst are local.
func (s *Server) decodePart(p io.Reader, part *Part, dst *os.File) (int64, string, error) {
	src := p
	var br *bufio.Reader
	if part.Name == "file_gzip" {
		head := &headRecorder{want: 10}
		br = bufio.NewReader(io.TeeReader(p, head))
		zr, err := gzip.NewReader(br)
		part.GzipHeader = head.buf
		if err != nil {
			return 0, "", decodeError{fmt.Errorf("gzip: %w", err)}
		}
		zr.Multistream(false)
		src = zr
	}
	h := sha1.New()
	var w io.Writer = h
	var dw *errWriter
	if dst != nil {
		dw = &errWriter{w: dst}
		w = io.MultiWriter(dw, h)
	}
	n, err := io.Copy(w, io.LimitReader(src, s.capa.ChunkSize+1))
	part.Size = n
	if err != nil {
		if dw != nil && dw.err != nil {
			return n, "", dw.err
		}
		if br != nil {
			err = fmt.Errorf("gzip: %w", err)
		}
		return n, "", decodeError{err}
	}
	if br != nil && n <= s.capa.ChunkSize {
		// The member ended: anything after it is a second member or garbage.
		if _, err := br.ReadByte(); err == nil {
			return n, "", decodeError{errors.New("gzip: data after the first member")}
		}
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// headRecorder keeps the first want bytes written to it.
type headRecorder struct {
	want int
	buf  []byte
}

func (h *headRecorder) Write(p []byte) (int, error) {
	if k := h.want - len(h.buf); k > 0 {
		h.buf = append(h.buf, p[:min(k, len(p))]...)
	}
	return len(p), nil
}

// errWriter remembers its write error, so a failed copy can be blamed on the disk rather than the client.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

func isSHA1Hex(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (s *Server) chunkPath(id string) string { return filepath.Join(s.chunkDir, id) }

// HasChunk reports whether a chunk with this SHA-1 is stored.
func (s *Server) HasChunk(id string) bool {
	if !isSHA1Hex(id) {
		return false
	}
	_, err := os.Stat(s.chunkPath(id))
	return err == nil
}

// DeleteChunk removes a stored chunk, so the next assemble lists it as missing.
func (s *Server) DeleteChunk(id string) error {
	if !isSHA1Hex(id) {
		return fmt.Errorf("sentrytest: %q is not a chunk id", id)
	}
	return os.Remove(s.chunkPath(id))
}

// missingChunks lists the ids that are not stored, in request order without duplicates.
func (s *Server) missingChunks(ids []string) []string {
	missing := []string{}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if !s.HasChunk(id) {
			missing = append(missing, id)
		}
	}
	return missing
}
