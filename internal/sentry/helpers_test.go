package sentry

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

const testToken = "sntryu_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"

// sleepRecorder is the Sleep seam: it records the delays and does not wait.
type sleepRecorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.delays = append(s.delays, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.delays...)
}

// newTestClient returns a client for srv with the token set, 5 retries and
// the recorder as Sleep seam.
func newTestClient(t *testing.T, srv *httptest.Server, modify ...func(*Options)) (*Client, *sleepRecorder) {
	t.Helper()
	rec := &sleepRecorder{}
	opts := Options{
		BaseURL:    srv.URL,
		Token:      testToken,
		UserAgent:  "mapback/test",
		MaxRetries: 5,
		HTTPClient: srv.Client(),
		Sleep:      rec.sleep,
	}
	for _, m := range modify {
		m(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

func sha1Hex(b []byte) string {
	s := sha1.Sum(b)
	return hex.EncodeToString(s[:])
}

// deflatedZip builds n bytes of what the chunks really are: the start of a
// zip whose entries are deflated minified-JavaScript-like text. The text is
// pseudo-random from a fixed seed (identifiers, keywords, numbers,
// punctuation) so it deflates about as well as real bundles, 3–4×.
func deflatedZip(tb testing.TB, n int) []byte {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"function", "return", "var", "const", "let", "this", "new", "if", "else", "for",
		"null", "undefined", "typeof", "prototype", "length", "push", "call", "apply", "Object", "Array",
		"document", "window", "exports", "module", "require", "default", "async", "await", "Promise"}
	punct := []string{"(", ")", "{", "}", ";", ",", ".", "=", "==", "===", "!", "&&", "||", "?", ":", "+", "[", "]", "=>"}
	ident := func() string {
		const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$"
		b := make([]byte, 1+r.IntN(3))
		for i := range b {
			b[i] = letters[r.IntN(len(letters))]
		}
		return string(b)
	}
	var out bytes.Buffer
	out.WriteString("SYSB\x02\x00\x00\x00")
	zw := zip.NewWriter(&out)
	zw.SetOffset(8)
	var text bytes.Buffer
	for entry := 0; out.Len() < n; entry++ {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "files/_/_/chunk" + strconv.Itoa(entry) + ".js", Method: zip.Deflate})
		if err != nil {
			tb.Fatal(err)
		}
		text.Reset()
		for text.Len() < 1<<20 {
			switch k := r.IntN(10); {
			case k < 4:
				text.WriteString(ident())
			case k < 6:
				text.WriteString(words[r.IntN(len(words))])
				text.WriteByte(' ')
			case k < 7:
				text.WriteString(strconv.Itoa(r.IntN(100000)))
			default:
				text.WriteString(punct[r.IntN(len(punct))])
			}
		}
		if _, err := w.Write(text.Bytes()); err != nil {
			tb.Fatal(err)
		}
		if err := zw.Flush(); err != nil {
			tb.Fatal(err)
		}
	}
	return out.Bytes()[:n]
}

// splitChunks cuts data into chunks of size bytes.
func splitChunks(data []byte, size int) []Chunk {
	var chunks []Chunk
	for i := 0; i < len(data); i += size {
		d := data[i:min(i+size, len(data))]
		chunks = append(chunks, Chunk{ID: sha1Hex(d), Data: d})
	}
	return chunks
}

// jsonHandler answers every request with status and body.
func jsonHandler(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func jsonMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
