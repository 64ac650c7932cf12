package term

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// RedactingWriter replaces secrets in everything written through it. Secrets
// can be split across Write calls (progress bars and buffered writers do
// that), so the writer holds back the shortest tail that could still grow into
// a secret and releases it on the next Write or on Flush.
type RedactingWriter struct {
	mu      sync.Mutex
	w       io.Writer
	secrets []string
	pending []byte
}

// NewRedactingWriter wraps w.
func NewRedactingWriter(w io.Writer) *RedactingWriter { return &RedactingWriter{w: w} }

// Add registers more secrets. Values shorter than MinSecretLen are not
// treated as secrets: replacing every "test" in the output would garble it
// and protect little (configuration warns about such tokens instead).
func (r *RedactingWriter) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s) < MinSecretLen {
			continue
		}
		dup := false
		for _, have := range r.secrets {
			dup = dup || have == s
		}
		if !dup {
			r.secrets = append(r.secrets, s)
		}
	}
}

// MinSecretLen is the shortest secret hidden from output. Real tokens are
// far longer; "line" or "test" (a dev-server token) occur everywhere.
const MinSecretLen = 8

// Write redacts p (together with any held-back tail) and writes it on.
func (r *RedactingWriter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.secrets) == 0 && len(r.pending) == 0 {
		return r.w.Write(p)
	}
	buf := append(r.pending, p...)
	buf = r.replace(buf)
	keep := r.heldBack(buf)
	out := buf[:len(buf)-keep]
	r.pending = append([]byte(nil), buf[len(buf)-keep:]...)
	if _, err := r.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes the held-back tail, which by now cannot become a secret.
func (r *RedactingWriter) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) == 0 {
		return nil
	}
	_, err := r.w.Write(r.pending)
	r.pending = nil
	return err
}

func (r *RedactingWriter) replace(b []byte) []byte {
	for _, s := range r.secrets {
		if bytes.Contains(b, []byte(s)) {
			b = bytes.ReplaceAll(b, []byte(s), []byte(Redact(s)))
		}
	}
	return b
}

// heldBack returns the length of the longest suffix of b that is a proper
// prefix of a secret.
func (r *RedactingWriter) heldBack(b []byte) int {
	keep := 0
	for _, s := range r.secrets {
		for n := min(len(s)-1, len(b)); n > keep; n-- {
			if bytes.HasSuffix(b, []byte(s[:n])) {
				keep = n
				break
			}
		}
	}
	return keep
}

// Redact shows only the last four characters of a secret, enough to tell two
// tokens apart. Short values are hidden entirely, since four characters would
// reveal too much of them.
func Redact(secret string) string {
	if secret == "" {
		return ""
	}
	if len(secret) < 12 {
		return "****"
	}
	return strings.Repeat("*", 4) + secret[len(secret)-4:]
}
