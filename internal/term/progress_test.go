package term

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestLineProgressIsSparse(t *testing.T) {
	var out bytes.Buffer
	clock := time.Unix(0, 0)
	p := newLineProgress(&out, "uploading", 10_000_000, Bytes, func() time.Time { return clock })
	// 1000 small steps over 100 seconds: at most one line per tenth.
	for range 1000 {
		clock = clock.Add(100 * time.Millisecond)
		p.Add(10_000)
	}
	p.Done()
	p.Done() // idempotent
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 10 {
		t.Fatalf("want 9 intermediate lines and a final one, got %d:\n%s", len(lines), out.String())
	}
	if last := lines[len(lines)-1]; last != "uploading: 10.0 MB / 10.0 MB (100%)" {
		t.Errorf("last line = %q", last)
	}
}

func TestLineProgressRateLimited(t *testing.T) {
	var out bytes.Buffer
	clock := time.Unix(0, 0)
	p := newLineProgress(&out, "files", 10, Items, func() time.Time { return clock })
	for range 10 {
		p.Add(1) // all within the same instant: nothing worth a line
	}
	p.Done()
	if got := out.String(); got != "" {
		t.Fatalf("a job done in an instant printed %q", got)
	}

	out.Reset()
	p = newLineProgress(&out, "files", 10, Items, func() time.Time { return clock })
	p.Add(10)
	clock = clock.Add(3 * time.Second) // a slow last step: the end is reported
	p.Done()
	if got := out.String(); got != "files: 10 / 10 (100%)\n" {
		t.Fatalf("got %q", got)
	}
}

func TestNewProgressPicksRenderer(t *testing.T) {
	s, _, _, errOut := Test()
	s.SetQuiet(true)
	p := s.NewProgress("x", 1, Items)
	p.Add(1)
	p.Done()
	if errOut.Len() != 0 {
		t.Fatalf("quiet progress wrote %q", errOut)
	}
	if _, ok := p.(nopProgress); !ok {
		t.Fatalf("quiet: got %T", p)
	}
	s.SetQuiet(false)
	if _, ok := s.NewProgress("x", 1, Items).(*lineProgress); !ok {
		t.Fatal("non-TTY should log lines")
	}
	s.SetTTY(false, true)
	if _, ok := s.NewProgress("x", 1, Items).(*barProgress); !ok {
		t.Fatal("TTY should draw a bar")
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1500: "1.5 KB", 23_400_000: "23.4 MB", 2_500_000_000: "2.50 GB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
