package readcap

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBounds(t *testing.T) {
	var tl *TooLargeError
	if _, err := Reader(strings.NewReader(strings.Repeat("x", 11)), 10, "the trace"); !errors.As(err, &tl) ||
		err.Error() != "the trace is larger than 10 bytes; mapback reads at most that" {
		t.Fatalf("11 bytes, limit 10: %v", err)
	}
	if data, err := Reader(strings.NewReader("0123456789"), 10, "x"); err != nil || len(data) != 10 {
		t.Fatalf("10 bytes, limit 10: %d %v", len(data), err)
	}
	p := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(p, make([]byte, 2<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := File(p, 1<<20, "source map big"); !errors.As(err, &tl) || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Fatalf("regular file: %v", err)
	}
	// A device that never ends costs the bound, not the memory.
	if _, err := os.Stat("/dev/zero"); err == nil {
		if _, err := File("/dev/zero", 1<<20, "x"); !errors.As(err, &tl) {
			t.Fatalf("/dev/zero: %v", err)
		}
	}
}
