package sentrytest

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFaultStatusAndTimes(t *testing.T) {
	h := newHarness(t, Options{})
	h.srv.AddFault(Fault{Endpoint: EndpointCapability, Status: 502, RetryAfter: "3", Times: 2})
	h.srv.AddFault(Fault{Endpoint: EndpointAssemble, Status: 500, Body: `{"detail":"boom"}`})
	h.srv.AddFault(Fault{Endpoint: EndpointLookup, Status: 503, Body: "<html>down</html>", Times: 1})

	for i := 0; i < 2; i++ {
		st, hdr, out := h.do("GET", chunkURL(testOrg), "", "", nil)
		if st != 502 || hdr.Get("Retry-After") != "3" || detailOf(out) != "injected fault" || hdr.Get("Content-Type") != "application/json" {
			t.Fatalf("capability #%d = %d %q %s", i, st, hdr.Get("Retry-After"), out)
		}
	}
	if st, hdr, _ := h.do("GET", chunkURL(testOrg), "", "", nil); st != 200 || hdr.Get("Retry-After") != "" {
		t.Fatalf("after Times ran out: %d", st)
	}
	for i := 0; i < 3; i++ { // Times 0: every request
		if st, _, out := h.do("POST", assembleURL(testOrg), "", "application/json", []byte(`{}`)); st != 500 || detailOf(out) != "boom" {
			t.Fatalf("assemble = %d %s", st, out)
		}
	}
	st, hdr, out := h.do("GET", lookupURL(testOrg, testProject), "", "", nil)
	if st != 503 || string(out) != "<html>down</html>" || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("non-JSON fault body = %d %q %s", st, hdr.Get("Content-Type"), out)
	}
	// The assemble body is recorded even when a fault answered, so tests can compare retried bodies.
	var bodies int
	for _, r := range h.srv.Requests() {
		if r.Endpoint == EndpointAssemble && string(r.Body) == `{}` && r.Status == 500 {
			bodies++
		}
	}
	if bodies != 3 {
		t.Fatalf("%d faulted assemble requests recorded with body and status; want 3", bodies)
	}

	h.srv.ClearFaults()
	if st, _, _ := h.do("POST", assembleURL(testOrg), "", "application/json", []byte(`{}`)); st != 400 {
		t.Fatalf("after ClearFaults: %d; want the normal 400", st)
	}
}

// TestFaultFirstMatchWins: faults apply in the order added; "" matches every endpoint.
func TestFaultFirstMatchWins(t *testing.T) {
	h := newHarness(t, Options{})
	h.srv.AddFault(Fault{Endpoint: EndpointChunks, Status: 507, Times: 1})
	h.srv.AddFault(Fault{Status: 504, Times: 2})
	body, ct := multipartBody(t, gzParts([][]byte{[]byte("x")}))
	if st, _, _ := h.do("POST", chunkURL(testOrg), "", ct, body); st != 507 {
		t.Fatalf("chunks = %d; want 507", st)
	}
	if st, _, _ := h.do("POST", chunkURL(testOrg), "", ct, body); st != 504 {
		t.Fatalf("chunks = %d; want 504 from the catch-all", st)
	}
	if st, _, _ := h.do("GET", chunkURL(testOrg), "", "", nil); st != 504 {
		t.Fatalf("capability = %d; want 504", st)
	}
	if st, _, _ := h.do("POST", chunkURL(testOrg), "", ct, body); st != 200 {
		t.Fatalf("chunks = %d; want 200 once faults ran out", st)
	}
	if h.srv.HasChunk(sha1hex([]byte("x"))) != true {
		t.Fatal("chunk not stored by the unfaulted request")
	}
}

// TestFaultRetryAfterOnly: without Status the request is served normally, with the header added.
func TestFaultRetryAfterOnly(t *testing.T) {
	h := newHarness(t, Options{})
	h.srv.AddFault(Fault{Endpoint: EndpointCapability, RetryAfter: "9"})
	st, hdr, out := h.do("GET", chunkURL(testOrg), "", "", nil)
	if st != 200 || hdr.Get("Retry-After") != "9" || !bytes.Contains(out, []byte(`"chunkSize"`)) {
		t.Fatalf("%d %q %s", st, hdr.Get("Retry-After"), out)
	}
}

func TestFaultDelay(t *testing.T) {
	h := newHarness(t, Options{})
	const d = 200 * time.Millisecond
	h.srv.AddFault(Fault{Endpoint: EndpointCapability, Delay: d, Times: 1})
	start := time.Now()
	if st, _, _ := h.do("GET", chunkURL(testOrg), "", "", nil); st != 200 {
		t.Fatalf("delayed capability = %d", st)
	}
	if el := time.Since(start); el < d {
		t.Fatalf("answered after %v; want at least %v", el, d)
	}

	// A client that gives up ends the delayed request at once: the handler returns, nothing is in flight.
	for _, ep := range []string{EndpointCapability, EndpointChunks} {
		h.srv.AddFault(Fault{Endpoint: ep, Delay: time.Hour, Times: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		var err error
		if ep == EndpointChunks {
			body, ct := multipartBody(t, gzParts([][]byte{[]byte("slow")}))
			req, _ := http.NewRequestWithContext(ctx, "POST", h.url(chunkURL(testOrg)), bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			var resp *http.Response
			if resp, err = http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		} else {
			err = ctxGet(ctx, h.url(chunkURL(testOrg)))
		}
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: client error %v; want its deadline", ep, err)
		}
		waitFor(t, func() bool {
			for _, r := range h.srv.Requests() {
				if r.Endpoint == ep && r.Status == 0 && !inFlight(h.srv, ep) {
					return true
				}
			}
			return false
		}, ep+": handler still waiting after the client left")
		if ep == EndpointChunks && h.srv.HasChunk(sha1hex([]byte("slow"))) {
			t.Fatal("the abandoned chunk POST was served")
		}
	}
}

func inFlight(s *Server, ep string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight[ep] > 0
}

func waitFor(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFaultDrop: the connection closes without a reply; the chunk POST is cut mid-body.
func TestFaultDrop(t *testing.T) {
	h := newHarness(t, Options{})
	h.srv.AddFault(Fault{Endpoint: EndpointChunks, Drop: true, Times: 1})
	h.srv.AddFault(Fault{Endpoint: EndpointAssemble, Drop: true, Times: 1})

	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB, far beyond what Drop reads
	body, ct := multipartBody(t, []part{{name: "file", filename: sha1hex(big), data: big}})
	// No keep-alive reuse: each attempt is a fresh connection, like the reference client.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	req, _ := http.NewRequest("POST", h.url(chunkURL(testOrg)), bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.GetBody = nil // forbid the transport's silent retry of the request
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped chunk POST got a reply: %d", resp.StatusCode)
	}
	if h.srv.HasChunk(sha1hex(big)) {
		t.Fatal("dropped POST stored its chunk")
	}
	req, _ = http.NewRequest("POST", h.url(assembleURL(testOrg)), strings.NewReader(`{}`))
	req.GetBody = nil
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped assemble got a reply: %d", resp.StatusCode)
	}
	// The next request is served.
	req, _ = http.NewRequest("POST", h.url(chunkURL(testOrg)), bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after the drop: %v %v", resp, err)
	}
	resp.Body.Close()
	var dropped int
	for _, r := range h.srv.Requests() {
		if r.Status == 0 {
			dropped++
		}
	}
	if dropped != 2 {
		t.Fatalf("%d requests recorded without a reply; want 2", dropped)
	}
}

// TestMaxInFlight: concurrent chunk POSTs held by a delay are counted per endpoint.
func TestMaxInFlight(t *testing.T) {
	h := newHarness(t, Options{})
	h.srv.AddFault(Fault{Endpoint: EndpointChunks, Delay: 150 * time.Millisecond})
	const n = 5
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := []byte{byte('a' + i)}
			body, ct := multipartBody(t, gzParts([][]byte{c}))
			resp, err := http.Post(h.url(chunkURL(testOrg)), ct, bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}(i)
	}
	wg.Wait()
	if got := h.srv.MaxInFlight(EndpointChunks); got != n {
		t.Fatalf("MaxInFlight(chunks) = %d; want %d", got, n)
	}
	if got := h.srv.MaxInFlight(EndpointAssemble); got != 0 {
		t.Fatalf("MaxInFlight(assemble) = %d", got)
	}
	h.srv.ClearFaults()
	h.srv.ResetRequests()
	if _, _, _ = h.do("GET", chunkURL(testOrg), "", "", nil); h.srv.MaxInFlight(EndpointChunks) != 0 || h.srv.MaxInFlight(EndpointCapability) != 1 {
		t.Fatalf("after ResetRequests: chunks %d capability %d", h.srv.MaxInFlight(EndpointChunks), h.srv.MaxInFlight(EndpointCapability))
	}
	if len(h.srv.Requests()) != 1 {
		t.Fatalf("ResetRequests left %d requests", len(h.srv.Requests()))
	}
}
