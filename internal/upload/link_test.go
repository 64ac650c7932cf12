package upload

import (
	"testing"
	"time"
)

// The choice follows the measured link: unknown or slow links get the fewest bytes (never more
// than the reference client), fast ones the least CPU.
func TestCompressionFor(t *testing.T) {
	for _, tt := range []struct {
		rate float64
		want compression
	}{
		{0, compression{smallestLevel, slowWireLevel}},
		{1e6, compression{smallestLevel, slowWireLevel}},  // 8 Mbit/s
		{6.25e6, compression{middleLevel, slowWireLevel}}, // 50 Mbit/s
		{125e6, compression{fastestLevel, fastWireLevel}}, // 1 Gbit/s
	} {
		if got := compressionFor(tt.rate); got != tt.want {
			t.Errorf("compressionFor(%g) = %+v, want %+v", tt.rate, got, tt.want)
		}
	}
}

func TestLinkRecord(t *testing.T) {
	c := buildCache{dir: t.TempDir()}
	if r := c.linkRate("https://sentry.io"); r != 0 {
		t.Fatalf("unknown server: %v", r)
	}
	c.recordLink("https://sentry.io", 1<<20, time.Second) // too small a sample to judge a link
	if r := c.linkRate("https://sentry.io"); r != 0 {
		t.Errorf("a 1 MiB sample was kept: %v", r)
	}
	c.recordLink("https://sentry.io", 64<<20, 2*time.Second)
	if r := c.linkRate("https://sentry.io"); r != 32<<20 {
		t.Errorf("rate %v, want %v", r, 32<<20)
	}
	if r := c.linkRate("https://sentry.example.com"); r != 0 {
		t.Errorf("another server shares the record: %v", r)
	}
	if r := (buildCache{}).linkRate("https://sentry.io"); r != 0 {
		t.Errorf("without a cache: %v", r)
	}
}
