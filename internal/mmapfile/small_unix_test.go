//go:build linux || darwin

package mmapfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestReadSmallSizeChanged: a small file read with a size its stat gave before it changed reads as
// a read to its end would: what is left when it shrank, errGrew (so the caller reads it whole) when
// it grew; pooled or not.
func TestReadSmallSizeChanged(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	content := bytes.Repeat([]byte("abcdefgh"), 1000)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, pooled := range []bool{false, true} {
		for _, statSize := range []int64{int64(len(content)), int64(len(content)) + 10, int64(len(content)) - 10} {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			data, free, err := readSmall(f, statSize, pooled)
			f.Close()
			switch {
			case statSize < int64(len(content)):
				if err != errGrew || data != nil {
					t.Fatalf("pooled %v, stat %d: %d bytes, %v; want errGrew", pooled, statSize, len(data), err)
				}
			default:
				if err != nil || !bytes.Equal(data, content) {
					t.Fatalf("pooled %v, stat %d: %d bytes, %v", pooled, statSize, len(data), err)
				}
				free()
			}
		}
	}
}
