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
	if _, _, _, err := Map(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, _, _, err := Load(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file (Load): %v", err)
	}
}
