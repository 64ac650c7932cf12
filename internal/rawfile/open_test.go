package rawfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestReadFileLikeOS: ReadFile and Open give what package os gives, errors included, for regular
// files of any size, a file that is not regular, a directory and a missing file.
func TestReadFileLikeOS(t *testing.T) {
	dir := t.TempDir()
	paths := []string{filepath.Join(dir, "missing"), dir, "/dev/null"}
	for name, content := range map[string][]byte{
		"empty": nil,
		"small": []byte("var a=1;\n"),
		"large": bytes.Repeat([]byte("0123456789abcdef"), 1<<16),
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	for _, p := range paths {
		got, err := ReadFile(p)
		want, werr := os.ReadFile(p)
		if !bytes.Equal(got, want) || (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) {
			t.Errorf("%s: %d bytes, %v; os: %d bytes, %v", p, len(got), err, len(want), werr)
		}
		f, err := Open(p)
		if _, werr := os.Open(p); (err == nil) != (werr == nil) {
			t.Errorf("Open %s: %v; os: %v", p, err, werr)
		}
		if err == nil {
			_ = f.Close()
		}
	}
}
