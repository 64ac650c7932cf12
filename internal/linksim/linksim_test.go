package linksim

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]float64{
		"50mbit": 50e6 / 8, "1gbit": 1e9 / 8, "800kbit": 800e3 / 8, "1Gbit/s": 1e9 / 8,
		"10MB/s": 10e6, "1.5MiB/s": 1.5 * (1 << 20), "100 kB/s": 100e3, "12bit": 1.5,
	} {
		got, err := ParseRate(in)
		if err != nil || math.Abs(got-want) > 1e-9 {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "fast", "0mbit", "-5mbit", "50", "50 parsecs", "mbit"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
}

// Two bodies sent at once share the link: together they take as long as their sum at the rate,
// and every byte is counted.
func TestLinkPacesAndCounts(t *testing.T) {
	const rate = 4 << 20 // 4 MiB/s
	link := New(rate)
	srv := httptest.NewServer(link.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	})))
	defer srv.Close()

	payload := bytes.Repeat([]byte("x"), 1<<20)
	start := time.Now()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(srv.URL+"/upload", "application/octet-stream", bytes.NewReader(payload))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	// 2 MiB at 4 MiB/s is 500 ms: never less; allow scheduling slack above.
	if elapsed < 480*time.Millisecond || elapsed > 2*time.Second {
		t.Errorf("2 MiB at 4 MiB/s took %v, want about 500 ms", elapsed)
	}

	resp, err := http.Get(srv.URL + StatsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.RequestBodyBytes != 2<<20 || st.Requests != 2 || st.RateBytesPerSec != rate {
		t.Errorf("stats %+v, want 2 MiB in 2 requests at %d B/s", st, rate)
	}
}

// Without a rate the link only counts.
func TestUnlimitedLinkOnlyCounts(t *testing.T) {
	link := New(0)
	h := link.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	start := time.Now()
	for range 3 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/x", bytes.NewReader(make([]byte, 8<<20))))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("unlimited link took %v for 24 MiB", d)
	}
	if st := link.Stats(); st.RequestBodyBytes != 24<<20 || st.Requests != 3 {
		t.Errorf("stats %+v", st)
	}
}
