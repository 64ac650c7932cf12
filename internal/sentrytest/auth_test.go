package sentrytest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestAuth(t *testing.T) {
	const token = "sntrys_secret-token-value"
	h := newHarness(t, Options{Token: token})
	paths := []struct{ method, path string }{
		{"GET", chunkURL(testOrg)},
		{"POST", chunkURL(testOrg)},
		{"POST", assembleURL(testOrg)},
		{"GET", lookupURL(testOrg, testProject) + "?debug_id=" + idMain},
	}
	for _, p := range paths {
		for _, tok := range []string{"", "wrong", token + "x"} {
			st, _, out := h.do(p.method, p.path, tok, "", nil)
			if st != http.StatusUnauthorized || detailOf(out) != "Invalid token" {
				t.Errorf("%s %s with token %q = %d %s; want 401 Invalid token", p.method, p.path, tok, st, out)
			}
		}
	}
	// An unknown path is 404 whatever the token, as in Sentry (URL resolution comes first).
	if st, _, _ := h.do("GET", "/api/0/nothing/here/", "wrong", "", nil); st != http.StatusNotFound {
		t.Errorf("unknown path with a wrong token = %d; want 404", st)
	}
	// Other schemes are refused; the right Bearer token is served (case of "Bearer" does not matter).
	for _, hdr := range []string{"Basic " + token, token, "DSN " + token} {
		req, _ := http.NewRequest("GET", h.url(chunkURL(testOrg)), nil)
		req.Header.Set("Authorization", hdr)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization %q = %d", strings.Replace(hdr, token, "<token>", 1), resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", h.url(chunkURL(testOrg)), nil)
	req.Header.Set("Authorization", "bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("right token = %d", resp.StatusCode)
	}

	// Without Options.Token any token, or none, is accepted.
	open := newHarness(t, Options{})
	for _, tok := range []string{"", "anything", token} {
		if st, _, out := open.do("GET", chunkURL(testOrg), tok, "", nil); st != http.StatusOK {
			t.Errorf("open server with token %q = %d %s", tok, st, out)
		}
	}
}

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestTokenNeverRecorded: neither the log nor Requests() contains the token, whatever the outcome; the log
// has one line per request.
func TestTokenNeverRecorded(t *testing.T) {
	const token = "sntryu_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
	var logs syncBuffer
	h := newHarness(t, Options{Token: token, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Capability: Capability{ChunkSize: 1024, ChunksPerRequest: 8}})
	bundle := buildBundle(t, testFiles(), idBundle)
	chunks, body := split(bundle, 1024, "")
	pb, ct := multipartBody(t, gzParts(chunks))
	h.srv.AddFault(Fault{Endpoint: EndpointLookup, Status: 502, Times: 1})
	h.do("GET", chunkURL(testOrg), token, "", nil)
	h.do("POST", chunkURL(testOrg), token, ct, pb)
	h.do("POST", chunkURL(testOrg), "wrong-"+token, ct, pb)
	ab, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	h.do("POST", assembleURL(testOrg), "tok", "application/json", ab) // a wrong token: refused
	h.do("GET", lookupURL(testOrg, testProject)+"?debug_id="+idMain, token, "", nil)
	h.do("GET", "/elsewhere", token, "", nil)

	out := logs.String()
	if strings.Contains(out, token) || strings.Contains(strings.ToLower(out), "authorization") || strings.Contains(out, "Bearer") {
		t.Fatalf("log leaks the token or the header:\n%s", out)
	}
	reqs := h.srv.Requests()
	if len(reqs) != 6 {
		t.Fatalf("%d requests recorded; want 6", len(reqs))
	}
	if lines := strings.Count(out, "msg=request"); lines != len(reqs) {
		t.Fatalf("%d log lines for %d requests:\n%s", lines, len(reqs), out)
	}
	for _, r := range reqs {
		for k, vs := range r.Header {
			for _, v := range vs {
				if strings.Contains(v, token) || strings.Contains(v, "tok") && strings.EqualFold(k, "Authorization") {
					t.Fatalf("recorded header %s: %s", k, v)
				}
			}
		}
		if r.Header.Get("Authorization") != "" || r.Header.Get("User-Agent") == "" {
			t.Fatalf("recorded headers %v", r.Header)
		}
	}
	for _, want := range []string{"status=401", "status=502", "status=404", "endpoint=chunks", `detail="Invalid token"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
