// Package linksim makes a local server behave like the far end of a real network link: request bodies
// arrive no faster than a given bandwidth, shared by every connection as one uplink is, and the bytes
// that arrived are counted. mapback dev-server uses it (--throttle) so that an upload measured on
// loopback pays for its bytes as it would on a CI runner's uplink, and so that two clients' bytes on
// the wire can be compared.
package linksim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ParseRate reads a bandwidth such as "50mbit", "1gbit", "800kbit", "10MB/s" or "1.5MiB/s" and
// returns it in bytes per second. Bits use decimal prefixes (as network links are sold); bytes per
// second accept decimal (kB, MB, GB) and binary (KiB, MiB, GiB) prefixes.
func ParseRate(s string) (float64, error) {
	in := strings.TrimSpace(s)
	lower := strings.ToLower(in)
	i := 0
	for i < len(lower) && (lower[i] >= '0' && lower[i] <= '9' || lower[i] == '.') {
		i++
	}
	v, err := strconv.ParseFloat(lower[:i], 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bandwidth %q: want a positive number and a unit, e.g. 50mbit or 10MB/s", s)
	}
	unit := strings.TrimSpace(in[i:])
	bits := map[string]float64{"bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9}
	if m, ok := bits[strings.ToLower(strings.TrimSuffix(strings.ToLower(unit), "/s"))]; ok {
		return v * m / 8, nil
	}
	bytes := map[string]float64{"b/s": 1, "kb/s": 1e3, "mb/s": 1e6, "gb/s": 1e9, "kib/s": 1 << 10, "mib/s": 1 << 20, "gib/s": 1 << 30}
	if m, ok := bytes[strings.ToLower(unit)]; ok {
		return v * m, nil
	}
	return 0, fmt.Errorf("bandwidth %q: unknown unit %q (use bit, kbit, mbit, gbit, or B/s, kB/s, MB/s, GB/s, KiB/s, MiB/s, GiB/s)", s, unit)
}

// Link paces and counts request bodies. The zero rate means unlimited (counting only).
type Link struct {
	rate float64 // bytes per second; 0: unlimited

	mu   sync.Mutex
	next time.Time // when the link is free again: the end of the last byte already admitted

	bytes    atomic.Int64
	requests atomic.Int64
}

// New returns a link of rate bytes per second (0: unlimited).
func New(rate float64) *Link { return &Link{rate: rate} }

// pace is how much a body is read between two waits: small enough that concurrent uploads
// interleave on the link, large enough that the waits cost nothing.
const pace = 16 << 10

// admit waits until n more bytes have crossed the link. Callers share one schedule, so concurrent
// bodies split the bandwidth between them. A reader may run up to slack ahead of the schedule
// without waiting: servers read bodies in pieces of a few KiB, and a timer per piece would add its
// own latency to every one of them and slow the link below its rate.
func (l *Link) admit(r *http.Request, n int) error {
	if l.rate <= 0 || n == 0 {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	start := l.next
	if start.Before(now) {
		start = now
	}
	done := start.Add(time.Duration(float64(n) / l.rate * float64(time.Second)))
	l.next = done
	l.mu.Unlock()
	wait := time.Until(done) - slack
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-r.Context().Done():
		return r.Context().Err()
	}
}

// slack is how far ahead of the link's schedule a body may be read.
const slack = 20 * time.Millisecond

// Stats is what crossed the link since the server started.
type Stats struct {
	RequestBodyBytes int64   `json:"request_body_bytes"`
	Requests         int64   `json:"requests"`
	RateBytesPerSec  float64 `json:"rate_bytes_per_sec,omitempty"`
}

// Stats returns the counters.
func (l *Link) Stats() Stats {
	return Stats{RequestBodyBytes: l.bytes.Load(), Requests: l.requests.Load(), RateBytesPerSec: l.rate}
}

// StatsPath answers GET with the link's Stats as JSON, for scripts that compare clients.
const StatsPath = "/_mapback/link"

// Wrap returns h behind the link: every request body is paced and counted, and StatsPath answers
// with the counters.
func (l *Link) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == StatsPath {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(l.Stats())
			return
		}
		l.requests.Add(1)
		if r.Body != nil {
			r.Body = &body{ReadCloser: r.Body, link: l, req: r}
		}
		h.ServeHTTP(w, r)
	})
}

// body is a request body read through the link.
type body struct {
	io.ReadCloser
	link *Link
	req  *http.Request
}

func (b *body) Read(p []byte) (int, error) {
	if len(p) > pace {
		p = p[:pace]
	}
	n, err := b.ReadCloser.Read(p)
	b.link.bytes.Add(int64(n))
	if werr := b.link.admit(b.req, n); werr != nil && err == nil {
		err = werr
	}
	return n, err
}
