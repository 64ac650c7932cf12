package sentrytest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// Fault makes matching requests misbehave, to test a client's retries, timeouts and error messages.
type Fault struct {
	Endpoint   string        // EndpointCapability, EndpointChunks, EndpointAssemble, EndpointLookup, or "" for any
	Status     int           // reply with this status and Body instead of serving
	Body       string        // default {"detail":"injected fault"}; sent as application/json when it is JSON
	RetryAfter string        // Retry-After header value, on the fault reply or (without Status) the normal one
	Delay      time.Duration // wait before answering; the request ends early when the client goes away
	Drop       bool          // close the connection without a reply (a chunk POST is read partly first)
	Times      int           // how many matching requests the fault applies to; 0 = every one
}

type faultEntry struct {
	f    Fault
	left int // requests still to hit; < 0 = unlimited
}

// AddFault appends a fault. Each request takes the first fault (in the order added) that matches its
// endpoint; a fault with Times runs out after that many requests.
func (s *Server) AddFault(f Fault) {
	left := f.Times
	if left <= 0 {
		left = -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultEntry{f: f, left: left})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) takeFault(endpoint string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.faults {
		if e.f.Endpoint != "" && e.f.Endpoint != endpoint {
			continue
		}
		if e.left > 0 {
			e.left--
			if e.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return e.f, true
	}
	return Fault{}, false
}

// maxBufferedChunkBody bounds how much of a chunk POST is read into memory before a delay.
const maxBufferedChunkBody = 256 << 20

// applyFault carries out f and reports whether the request is finished (true) or should be served
// normally (a delay-only or Retry-After-only fault).
func (s *Server) applyFault(w http.ResponseWriter, rw *replyWriter, r *http.Request, endpoint string, f Fault) bool {
	if f.Delay > 0 {
		if endpoint == EndpointChunks {
			// net/http notices a closed connection only once the body is consumed, so read it first
			// (bounded; the rest, if any, stays on the wire) and serve from the copy.
			buf, err := io.ReadAll(io.LimitReader(r.Body, maxBufferedChunkBody))
			if err != nil {
				return true
			}
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(buf), r.Body), r.Body}
		}
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		case <-s.ctx.Done():
			t.Stop()
			rw.writeError(http.StatusServiceUnavailable, "server closed")
			return true
		}
	}
	if f.Drop {
		if endpoint == EndpointChunks {
			// Read part of the body so the client is mid-upload when the connection goes.
			n := int64(1024)
			if r.ContentLength > 1 {
				n = min(r.ContentLength/2, 32<<10)
			}
			_, _ = io.CopyN(io.Discard, r.Body, n) // the connection is dropped next anyway
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			// No hijacking (HTTP/2, ResponseRecorder): abort the response; net/http resets the stream.
			panic(http.ErrAbortHandler)
		}
		_ = conn.Close() // dropping the connection is the point; its close error tells nothing
		return true
	}
	if f.RetryAfter != "" {
		rw.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Status == 0 {
		return false
	}
	body := f.Body
	if body == "" {
		body = `{"detail":"injected fault"}`
	}
	if json.Valid([]byte(body)) {
		rw.Header().Set("Content-Type", "application/json")
		var e struct {
			Detail string `json:"detail"`
		}
		if json.Unmarshal([]byte(body), &e) == nil {
			rw.detail = e.Detail
		}
	} else {
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rw.detail = "injected non-JSON body"
	}
	if endpoint == EndpointChunks {
		// Consume the body (bounded) so the client reads the status instead of a reset connection.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBufferedChunkBody))
	}
	rw.WriteHeader(f.Status)
	_, _ = io.WriteString(rw, body) // a write error means the client went away
	return true
}
