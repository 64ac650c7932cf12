package mmapfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestMap(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string][]byte{
		"empty":  nil,
		"small":  []byte("var a=1;\n"),
		"large":  bytes.Repeat([]byte("0123456789abcdef"), 1<<16), // 1 MiB
		"binary": {0, 1, 2, 255},
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, load := range []func(string) ([]byte, func(), func(), error){Map, Load} {
			data, free, evict, err := load(p)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !bytes.Equal(data, content) {
				t.Errorf("%s: %d bytes, want %d", name, len(data), len(content))
			}
			evict() // the pages are read again from the page cache when touched
			if !bytes.Equal(data, content) {
				t.Errorf("%s: content differs after evict", name)
			}
			free()
		}
	}
	// Read and Borrow give the bytes of small (pooled) and large files alike; a second give-back is
	// harmless, so a pooled buffer never goes back twice to be handed to two readers.
	for _, name := range []string{"empty", "small", "large"} {
		want, _ := os.ReadFile(filepath.Join(dir, name))
		for _, read := range []func(string) ([]byte, func(), error){Read, Borrow} {
			data, free, err := read(filepath.Join(dir, name))
			if err != nil || !bytes.Equal(data, want) {
				t.Fatalf("%s: %d bytes, %v", name, len(data), err)
			}
			free()
			free()
			a, freeA, _ := read(filepath.Join(dir, "small"))
			b, freeB, _ := read(filepath.Join(dir, "binary"))
			if !bytes.Equal(a, []byte("var a=1;\n")) || !bytes.Equal(b, []byte{0, 1, 2, 255}) {
				t.Fatalf("two live reads share a buffer: %q %q", a, b)
			}
			freeA()
			freeB()
		}
	}
	if _, _, err := Read(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file (Read): %v", err)
	}
	if _, _, _, err := Map(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, _, _, err := Load(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file (Load): %v", err)
	}
}
