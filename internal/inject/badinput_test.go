package inject

import (
	"bytes"
	"context"
	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/testkit"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInput runs inject over a tree holding one bundle per kind of bad
// input beside a good one. Each bad file must be reported on one line naming
// it and the reason, stay byte-for-byte as it was, and not stop the others.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	goodMap := `{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}`
	files := map[string]string{
		"good.js":              "var good=1;\n//# sourceMappingURL=good.js.map\n",
		"good.js.map":          goodMap,
		"binary.js":            "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00garbage",
		"notjson.js":           "var a=1;\n//# sourceMappingURL=notjson.js.map\n",
		"notjson.js.map":       "<!DOCTYPE html><html>404 Not Found</html>",
		"truncated.js":         "var a=1;\n//# sourceMappingURL=truncated.js.map\n",
		"truncated.js.map":     goodMap[:len(goodMap)/2],
		"v2.js":                "var a=1;\n//# sourceMappingURL=v2.js.map\n",
		"v2.js.map":            `{"version":2,"sources":[],"names":[],"mappings":""}`,
		"notamap.js":           "var a=1;\n//# sourceMappingURL=notamap.js.map\n",
		"notamap.js.map":       `{"name":"some-package","version":3}`,
		"latin1.js":            "var s='caf\xe9';\n",
		"dirref.js":            "var a=1;\n//# sourceMappingURL=maps\n",
		"maps/placeholder.txt": "",
		"readonly.js":          "var a=1;\n//# sourceMappingURL=readonly.js.map\n",
		"readonly.js.map":      goodMap,
		"readonlymap.js":       "var a=1;\n//# sourceMappingURL=readonlymap.js.map\n",
		"readonlymap.js.map":   goodMap,
		"deep.js":              "var a=1;\n//# sourceMappingURL=deep.js.map\n",
		"deep.js.map":          `{"version":3,"sources":[],"names":[],"mappings":"AAAA","x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "}",
		"hugevlq.js":           "/* c */ var a=1;\n//# sourceMappingURL=hugevlq.js.map\n",
		"hugevlq.js.map":       `{"version":3,"sources":["a.js"],"names":[],"mappings":"` + strings.Repeat("g", 40) + `C"}`,
		"idmismatch.js":        "var a=1;\n//# debugId=426c2454-0fe6-542f-9eda-01246987e82a\n",
		"idmismatch.js.map":    `{"version":3,"sources":[],"names":[],"mappings":"","debugId":"09417d58-a204-5946-be70-beaec140d1cc"}`,
		"badid.js":             "var a=1;\n//# sourceMappingURL=badid.js.map\n",
		"badid.js.map":         `{"version":3,"sources":[],"names":[],"mappings":"","debugId":"not-a-uuid"}`,
	}
	testkit.WriteTree(t, dir, files)
	must(t, os.Chmod(filepath.Join(dir, "readonly.js"), 0o444))
	must(t, os.Chmod(filepath.Join(dir, "readonlymap.js.map"), 0o444))
	must(t, os.WriteFile(filepath.Join(outside, "secret.js"), []byte("var s=1;"), 0o644))
	must(t, os.Symlink(filepath.Join(outside, "secret.js"), filepath.Join(dir, "escape.js")))
	must(t, os.Symlink(filepath.Join(dir, "missing.js"), filepath.Join(dir, "dangling.js")))
	before := snapshot(t, dir)

	report, err := Run(context.Background(), Options{Scan: scanOf(dir)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // file → a fragment of its one-line reason
		"binary.js":      "not a JavaScript file (binary data)",
		"notjson.js":     "map " + filepath.Join(dir, "notjson.js.map") + ": not a source map: the file is not a JSON object",
		"truncated.js":   "map " + filepath.Join(dir, "truncated.js.map") + ": not valid JSON: unexpected end of JSON",
		"v2.js":          "version: is 2; only version 3 source maps exist",
		"notamap.js":     `mappings: missing (a source map needs "mappings", a string)`,
		"latin1.js":      "not valid UTF-8 (at byte 10)",
		"dirref.js":      "sourceMappingURL points to a directory",
		"readonly.js":    filepath.Join(dir, "readonly.js") + " is read-only",
		"readonlymap.js": "map " + filepath.Join(dir, "readonlymap.js.map") + ": read-only",
		"deep.js":        "nested too deeply",
		"hugevlq.js":     "mappings, generated line 1, segment 1: a VLQ value does not fit in 32 bits (byte 0 of the mappings): inject does not edit",
		"idmismatch.js":  "bundle has debug ID 426c2454-0fe6-542f-9eda-01246987e82a but its map has 09417d58-a204-5946-be70-beaec140d1cc",
		"badid.js":       `debugId: "not-a-uuid" is not a debug ID (a UUID such as 8cf3d888-fc9e-457d-a999-6ffef384b736): correct or remove the member, then inject again`,
	}
	got := map[string]FileReport{}
	for _, f := range report.Files {
		got[filepath.Base(f.Path)] = f
	}
	for name, fragment := range want {
		f, ok := got[name]
		if !ok {
			t.Errorf("%s: not reported", name)
			continue
		}
		if f.Status != StatusFailed || !strings.Contains(f.Reason, fragment) || strings.Contains(f.Reason, "\n") {
			t.Errorf("%s: status %s, reason %q; want a one-line failure containing %q", name, f.Status, f.Reason, fragment)
		}
	}
	if g := got["good.js"]; g.Status != StatusModified {
		t.Errorf("good.js: %s %s", g.Status, g.Reason)
	}

	skipped := map[string]string{}
	for _, s := range report.Skipped {
		skipped[filepath.Base(s.Path)] = s.Reason
	}
	if r := skipped["escape.js"]; !strings.Contains(r, "outside") {
		t.Errorf("symlink outside the root: skipped reason %q", r)
	}
	if r := skipped["dangling.js"]; !strings.Contains(r, "dangling") && !strings.Contains(r, "does not exist") {
		t.Errorf("dangling symlink: skipped reason %q", r)
	}
	if _, ok := got["escape.js"]; ok {
		t.Error("a symlink outside the root was processed")
	}

	// Nothing but the good pair changed; no temporaries are left.
	after := snapshot(t, dir)
	for path, data := range before {
		base := filepath.Base(path)
		if base == "good.js" || base == "good.js.map" {
			if bytes.Equal(after[path], data) {
				t.Errorf("%s was not injected", base)
			}
			continue
		}
		if !bytes.Equal(after[path], data) {
			t.Errorf("%s changed although it failed", path)
		}
	}
	for path := range after {
		if strings.HasSuffix(path, ".mapback-tmp") {
			t.Errorf("temporary left behind: %s", path)
		}
	}
	if secret, _ := os.ReadFile(filepath.Join(outside, "secret.js")); string(secret) != "var s=1;" {
		t.Error("the file outside the root was modified")
	}
}

// TestUnreadableBundle needs a user that permissions apply to; root reads
// everything, so there the case cannot be set up.
func TestUnreadableBundle(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: file permissions do not stop reads")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "secret.js")
	must(t, os.WriteFile(p, []byte("var a=1;"), 0o000))
	report, err := Run(context.Background(), Options{Scan: scanOf(dir)})
	if err != nil {
		t.Fatal(err)
	}
	if f := report.Files[0]; f.Status != StatusFailed || !strings.Contains(f.Reason, "permission denied") {
		t.Errorf("unreadable: %+v", f)
	}
}

// TestHugeSingleLineBundle: a 50 MB bundle on one line, with its map, is
// injected correctly (not an error, but the input size bugs hide behind).
func TestHugeSingleLineBundle(t *testing.T) {
	if testing.Short() {
		t.Log("-short: using a 5 MB bundle instead of 50 MB")
	}
	size := 50 << 20
	if testing.Short() {
		size = 5 << 20
	}
	dir := t.TempDir()
	var js bytes.Buffer
	js.Grow(size + 100)
	for js.Len() < size {
		js.WriteString("var a=function(b){return b+1};")
	}
	js.WriteString("\n//# sourceMappingURL=big.js.map\n")
	mapping := `{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA,CAAC"}`
	must(t, os.WriteFile(filepath.Join(dir, "big.js"), js.Bytes(), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "big.js.map"), []byte(mapping), 0o644))
	report, err := Run(context.Background(), Options{Scan: scanOf(dir)})
	if err != nil || report.Files[0].Status != StatusModified {
		t.Fatalf("err=%v report=%+v", err, report.Files)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "big.js"))
	if !bytes.HasPrefix(out, []byte("\n!function(){try{")) || !bytes.Contains(out[len(out)-100:], []byte("//# debugId="+report.Files[0].DebugID)) {
		t.Error("big.js not injected as expected")
	}
	m, _ := os.ReadFile(filepath.Join(dir, "big.js.map"))
	if !bytes.Contains(m, []byte(`"mappings":";;AAAA,CAAC"`)) {
		t.Errorf("big.js.map: %s", m)
	}
}

func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&os.ModeSymlink != 0 {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func scanOf(dir string) dist.Options { return dist.Options{Paths: []string{dir}} }
