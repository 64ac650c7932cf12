package artifactbundle

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/testkit"
)

func writeBundle(t testing.TB, files []SourceFile, opts WriteOptions) ([]byte, *WriteResult) {
	t.Helper()
	var buf bytes.Buffer
	res, err := Write(context.Background(), &buf, files, opts)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if res.Size != int64(buf.Len()) {
		t.Errorf("Size = %d, wrote %d", res.Size, buf.Len())
	}
	return buf.Bytes(), res
}

// TestWriteReferenceParity rebuilds bundles made by sentry-cli 3.8.0 (`sourcemaps upload --no-rewrite`
// against a loopback fake server, the assembled chunk saved) from the same files and compares everything
// but the deflate streams: manifest.json bytes, debug_id, entry names, order, headers and contents.
//   - reference-3.8.0.bundle: testdata/reference-src, `-o o -p p --release r --dist d1`.
//   - reference-3.8.0-dups.bundle: `-o o -p p --release r` on a directory holding "a\t .js", "a .js" and
//     "a%20.js" (one bundle path, so ".1" and "..2"), "bad.js" (bytes ff fe: skipped, yet hashed),
//     "h#f.js", "q?x.js" (query dropped) and "ü {x}|^[].js" (percent-encoding); each file's content is
//     below.
func TestWriteReferenceParity(t *testing.T) {
	dupsContent := map[string]string{
		"~/a\t .js":      "var c=3;\n",
		"~/a .js":        "var a=1;\n",
		"~/a%20.js":      "var b=2;\n",
		"~/bad.js":       "var d=\"\xff\xfe\";\n",
		"~/h#f.js":       "var f=6;\n",
		"~/q?x.js":       "var e=5;\n",
		"~/ü {x}|^[].js": "var g=7;\n",
	}
	tests := []struct {
		bundle  string
		opts    WriteOptions
		id      string
		skipped []string
		// file returns the on-disk path for a URL.
		file func(t *testing.T, url string) string
		// extra lists URLs not in the reference manifest (skipped by the reference).
		extra []SourceFile
	}{
		{
			bundle: "testdata/reference-3.8.0.bundle",
			opts:   WriteOptions{Org: "o", Projects: []string{"p"}, Release: "r", Dist: "d1"},
			id:     "397fa121-104f-5e54-9d41-d7bd45740273",
			file: func(t *testing.T, url string) string {
				return filepath.Join("testdata/reference-src", strings.TrimPrefix(url, "~/"))
			},
		},
		{
			bundle:  "testdata/reference-3.8.0-dups.bundle",
			opts:    WriteOptions{Org: "o", Projects: []string{"p"}, Release: "r"},
			id:      "3d6455ad-d955-5cee-a5c6-4230dd5bd05c",
			skipped: []string{"~/bad.js"},
			file: func(t *testing.T, url string) string {
				p := filepath.Join(t.TempDir(), "f")
				testkit.WriteFile(t, p, dupsContent[url])
				return p
			},
			extra: []SourceFile{{URL: "~/bad.js", Type: TypeMinifiedSource}},
		},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.bundle), func(t *testing.T) {
			refData, err := os.ReadFile(tt.bundle)
			if err != nil {
				t.Fatal(err)
			}
			ref := readBytes(t, refData)
			refManifest, err := ref.ReadFile(ManifestName)
			if err != nil {
				t.Fatal(err)
			}
			var files []SourceFile
			for _, zp := range ref.Files() {
				e, _ := ref.Entry(zp)
				files = append(files, SourceFile{URL: e.URL, Type: e.Type, Headers: e.Headers, Path: tt.file(t, e.URL)})
			}
			for _, f := range tt.extra {
				f.Path = tt.file(t, f.URL)
				files = append(files, f)
			}
			got, res := writeBundle(t, files, tt.opts)

			if res.DebugID != tt.id {
				t.Errorf("debug_id = %s, want %s", res.DebugID, tt.id)
			}
			b := readBytes(t, got)
			gotManifest, err := b.ReadFile(ManifestName)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gotManifest, refManifest) {
				t.Errorf("manifest.json differs:\n got %s\nwant %s", gotManifest, refManifest)
			}
			if !reflect.DeepEqual(res.Manifest, ref.Manifest()) {
				t.Errorf("WriteResult.Manifest = %+v\nwant %+v", res.Manifest, ref.Manifest())
			}
			var skipped []string
			for _, s := range res.Skipped {
				skipped = append(skipped, s.URL)
				if s.Reason != "not valid UTF-8" || s.Path == "" {
					t.Errorf("skipped %+v", s)
				}
			}
			if !reflect.DeepEqual(skipped, tt.skipped) {
				t.Errorf("skipped %q, want %q", skipped, tt.skipped)
			}

			// Same records in the same order with the same fields; only the deflate streams (and so the
			// compressed sizes and later offsets) may differ.
			gotRecs, refRecs := parseZip(t, got), parseZip(t, refData)
			checkLayout(t, gotRecs)
			checkLayout(t, refRecs)
			if len(gotRecs) != len(refRecs) {
				t.Fatalf("%d entries, reference has %d", len(gotRecs), len(refRecs))
			}
			for i := range gotRecs {
				g, r := gotRecs[i], refRecs[i]
				g.csize, r.csize, g.offset, r.offset, g.data, r.data = 0, 0, 0, 0, nil, nil
				if !reflect.DeepEqual(g, r) {
					t.Errorf("entry %d:\n got %+v\nwant %+v", i, g, r)
				}
				want, err := ref.ReadFile(r.name)
				if err != nil {
					t.Fatal(err)
				}
				if data, err := b.ReadFile(g.name); err != nil || !bytes.Equal(data, want) {
					t.Errorf("%s: content %q (%v), want %q", g.name, data, err, want)
				}
			}
			for i, f := range res.Files {
				if f.ZipPath != gotRecs[i].name || int64(gotRecs[i].usize) != f.Size {
					t.Errorf("Files[%d] = %+v, zip has %s (%d bytes)", i, f, gotRecs[i].name, gotRecs[i].usize)
				}
			}
		})
	}
}

// fixtureFiles lists the committed build fixtures (five bundlers' output) as SourceFiles under "~/".
func fixtureFiles(t testing.TB) []SourceFile {
	t.Helper()
	return dirFiles(t, "../../testdata/fixtures", "~/", 0)
}

// dirFiles walks dir for .js/.mjs/.cjs/.map files, at most limit bytes in all (0: no limit).
func dirFiles(t testing.TB, dir, prefix string, limit int64) []SourceFile {
	t.Helper()
	var files []SourceFile
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		typ := ""
		switch filepath.Ext(p) {
		case ".js", ".mjs", ".cjs":
			typ = TypeMinifiedSource
		case ".map":
			typ = TypeSourceMap
		default:
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if limit > 0 && total+info.Size() > limit {
			return nil
		}
		total += info.Size()
		rel, _ := filepath.Rel(dir, p)
		files = append(files, SourceFile{URL: prefix + filepath.ToSlash(rel), Type: typ, Path: p})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no files under %s", dir)
	}
	return files
}

// TestWriteRoundTrip: a bundle of the real fixtures reads back through the package's reader and through
// archive/zip given only the zip part, with every byte of every file intact.
func TestWriteRoundTrip(t *testing.T) {
	files := fixtureFiles(t)
	files[0].Headers = map[string]string{HeaderDebugID: "85ff4393-24a9-566b-9f04-4f4ba55e7b68", HeaderSourceMap: "x.js.map"}
	data, res := writeBundle(t, files, WriteOptions{Org: "o", Projects: []string{"p"}, Release: "r"})
	checkLayout(t, parseZip(t, data))

	b := readBytes(t, data)
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	if len(b.Files()) != len(files) || len(res.Files) != len(files) {
		t.Fatalf("%d entries in manifest, %d in result, %d files", len(b.Files()), len(res.Files), len(files))
	}
	for _, f := range files {
		zp, e, ok := b.FindByURL(f.URL)
		if !ok || zp != "files/"+BundlePath(f.URL) || e.Type != f.Type || !reflect.DeepEqual(e.Headers, f.Headers) {
			t.Errorf("%s: %q %+v %v", f.URL, zp, e, ok)
			continue
		}
		want, _ := os.ReadFile(f.Path)
		if got, err := b.ReadFile(zp); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: content differs (%v)", f.URL, err)
		}
	}
	if p, ok := b.FindByDebugID("85ff4393-24a9-566b-9f04-4f4ba55e7b68", TypeMinifiedSource); !ok || p != res.Files[0].ZipPath {
		t.Errorf("FindByDebugID = %q %v", p, ok)
	}

	// archive/zip on the zip part alone: it finds the 8-byte shift from the end record and reads on.
	zr, err := zip.NewReader(io.NewSectionReader(bytes.NewReader(data), HeaderSize, int64(len(data)-HeaderSize)), int64(len(data)-HeaderSize))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != len(files)+1 || zr.File[len(zr.File)-1].Name != ManifestName {
		t.Fatalf("archive/zip sees %d entries", len(zr.File))
	}
	for i, zf := range zr.File {
		if !zf.Modified.Equal(time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)) || zf.Mode() != 0o644 || zf.Method != zip.Deflate {
			t.Errorf("%s: modified %v mode %v method %d", zf.Name, zf.Modified, zf.Mode(), zf.Method)
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc) // archive/zip checks the CRC at EOF
		rc.Close()
		if err != nil {
			t.Errorf("%s: %v", zf.Name, err)
		}
		if i < len(res.Files) && int64(len(got)) != res.Files[i].Size {
			t.Errorf("%s: %d bytes, result says %d", zf.Name, len(got), res.Files[i].Size)
		}
	}
}

// TestWriteDeterministic: the bytes depend on the files and options only, not on Jobs or input order.
func TestWriteDeterministic(t *testing.T) {
	files := fixtureFiles(t)
	want, _ := writeBundle(t, files, WriteOptions{Org: "o", Release: "r", Jobs: 1})
	rng := rand.New(rand.NewSource(1))
	for _, jobs := range []int{1, 2, 3, 8, 64, 0} {
		shuffled := append([]SourceFile(nil), files...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got, _ := writeBundle(t, shuffled, WriteOptions{Org: "o", Release: "r", Jobs: jobs})
		if !bytes.Equal(got, want) {
			t.Errorf("jobs %d, shuffled input: bytes differ", jobs)
		}
	}
	// A different level changes the deflate streams but not the manifest or the debug_id.
	other, res := writeBundle(t, files, WriteOptions{Org: "o", Release: "r", Level: 1})
	if bytes.Equal(other, want) {
		t.Error("level 1 wrote the same bytes as the default level")
	}
	m1, _ := readBytes(t, other).ReadFile(ManifestName)
	m2, _ := readBytes(t, want).ReadFile(ManifestName)
	if !bytes.Equal(m1, m2) || !strings.Contains(string(m2), res.DebugID) {
		t.Error("manifest depends on the deflate level")
	}
}

func TestUniquePath(t *testing.T) {
	used := map[string]bool{}
	var got []string
	for range 5 {
		p := uniquePath("files/_/_/a.js", used)
		used[p] = true
		got = append(got, p)
	}
	// The reference's counter, dot of ".1" and all (see uniquePath).
	want := []string{"files/_/_/a.js", "files/_/_/a.js.1", "files/_/_/a.js..2", "files/_/_/a.js...3", "files/_/_/a.js....4"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// A path already ending in digits: only its own counter's digits are trimmed... and its own digits too.
	used = map[string]bool{"files/x.2": true, "files/x.2.1": true}
	if got := uniquePath("files/x.2", used); got != "files/x.2..2" {
		t.Errorf("got %q", got)
	}
}

// tempFiles writes name → content under a temporary directory and returns SourceFiles with URL "~/name".
func tempFiles(t *testing.T, contents map[string]string) []SourceFile {
	t.Helper()
	dir := t.TempDir()
	var files []SourceFile
	for name, c := range contents {
		p := filepath.Join(dir, filepath.FromSlash(name))
		testkit.WriteFile(t, p, c)
		typ := TypeMinifiedSource
		if strings.HasSuffix(name, ".map") {
			typ = TypeSourceMap
		}
		files = append(files, SourceFile{URL: "~/" + name, Type: typ, Path: p})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].URL < files[j].URL })
	return files
}

// TestWriteManifestRules: which top-level keys appear (§10.4), empty headers dropped, and the §11 worked
// example's tail.
func TestWriteManifestRules(t *testing.T) {
	files := tempFiles(t, map[string]string{"a.js": "a", "a.js.map": "{}"})
	files[0].Headers = map[string]string{HeaderDebugID: "5fdf19d9-8e36-5e65-97a6-df283094317b", HeaderSourceMap: ""}
	files[1].Headers = map[string]string{HeaderDebugID: "", HeaderSourceMap: ""}
	tests := []struct {
		opts WriteOptions
		tail string
	}{
		{WriteOptions{Org: "o", Projects: []string{"p"}, Release: "r"}, `,"org":"o","project":"p","release":"r"}`},
		{WriteOptions{Org: "o", Projects: []string{"p1", "p2"}, Release: "r", Dist: "d1", Note: "hello"}, `,"dist":"d1","note":"hello","org":"o","release":"r"}`},
		{WriteOptions{Org: "o"}, `,"org":"o"}`},
		{WriteOptions{Org: "o", Projects: []string{}, Note: "<&>"}, `,"note":"<&>","org":"o"}`},
	}
	for _, tt := range tests {
		data, res := writeBundle(t, files, tt.opts)
		m, err := readBytes(t, data).ReadFile(ManifestName)
		if err != nil {
			t.Fatal(err)
		}
		want := `{"files":{"files/_/_/a.js":{"type":"minified_source","url":"~/a.js","headers":{"debug-id":"5fdf19d9-8e36-5e65-97a6-df283094317b"}},` +
			`"files/_/_/a.js.map":{"type":"source_map","url":"~/a.js.map"}},"debug_id":"` + res.DebugID + `"` + tt.tail
		if string(m) != want {
			t.Errorf("%+v:\n got %s\nwant %s", tt.opts, m, want)
		}
	}
}

// TestDebugIDInputs: the debug_id changes with every hashed input and with nothing else (§10.5).
func TestDebugIDInputs(t *testing.T) {
	base := func() []SourceFile {
		fs := tempFiles(t, map[string]string{"a.js": "a", "a.js.map": "{}"})
		fs[0].Headers = map[string]string{HeaderDebugID: "5fdf19d9-8e36-5e65-97a6-df283094317b", HeaderSourceMap: "a.js.map"}
		return fs
	}
	id := func(fs []SourceFile, o WriteOptions) string { _, r := writeBundle(t, fs, o); return r.DebugID }
	ref := id(base(), WriteOptions{Org: "o"})
	same := []struct {
		name string
		opts WriteOptions
	}{
		{"org, projects, release, dist, note", WriteOptions{Org: "x", Projects: []string{"p"}, Release: "r", Dist: "d", Note: "n"}},
		{"level and jobs", WriteOptions{Org: "o", Level: 9, Jobs: 1}},
	}
	for _, s := range same {
		if got := id(base(), s.opts); got != ref {
			t.Errorf("%s changed the debug_id", s.name)
		}
	}
	changes := []struct {
		name string
		edit func([]SourceFile)
	}{
		{"url", func(fs []SourceFile) { fs[1].URL = "~/b.js.map" }},
		{"content", func(fs []SourceFile) { testkit.WriteFile(t, fs[1].Path, "{ }") }},
		{"type", func(fs []SourceFile) { fs[0].Type = TypeSource }},
		{"header value", func(fs []SourceFile) { fs[0].Headers[HeaderSourceMap] = "b.js.map" }},
		{"header added", func(fs []SourceFile) {
			fs[1].Headers = map[string]string{HeaderDebugID: "5fdf19d9-8e36-5e65-97a6-df283094317b"}
		}},
	}
	for _, c := range changes {
		fs := base()
		c.edit(fs)
		if got := id(fs, WriteOptions{Org: "o"}); got == ref {
			t.Errorf("changing the %s kept the debug_id", c.name)
		}
	}
	// An empty header value is no header at all.
	fs := base()
	fs[1].Headers = map[string]string{HeaderDebugID: ""}
	if got := id(fs, WriteOptions{Org: "o"}); got != ref {
		t.Error("an empty header changed the debug_id")
	}
}

// TestWriteSkipsNonUTF8: invalid UTF-8 anywhere (not only at the start) is skipped; the others are
// bundled and the skipped file's path is not taken.
func TestWriteSkipsNonUTF8(t *testing.T) {
	big := strings.Repeat("é", 1<<20) // a multi-byte rune across every read boundary
	files := tempFiles(t, map[string]string{
		"a.js":     big,
		"b.js":     big + "\xc3",   // truncated rune at the end
		"c.js":     "\xed\xa0\x80", // a UTF-16 surrogate, invalid in UTF-8
		"d.js":     "ok",
		"e.js.map": "",
	})
	_, res := writeBundle(t, files, WriteOptions{Org: "o"})
	var bundled, skipped []string
	for _, f := range res.Files {
		bundled = append(bundled, f.URL)
	}
	for _, s := range res.Skipped {
		skipped = append(skipped, s.URL)
		if !strings.HasSuffix(s.Path, strings.TrimPrefix(s.URL, "~/")) {
			t.Errorf("skipped %s has path %s", s.URL, s.Path)
		}
	}
	if want := []string{"~/a.js", "~/d.js", "~/e.js.map"}; !reflect.DeepEqual(bundled, want) {
		t.Errorf("bundled %q, want %q", bundled, want)
	}
	if want := []string{"~/b.js", "~/c.js"}; !reflect.DeepEqual(skipped, want) {
		t.Errorf("skipped %q, want %q", skipped, want)
	}
}

// TestWriteErrors: every refusal names the file and the problem, and nothing is reported as success.
func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok.js")
	testkit.WriteFile(t, ok, "x")
	missing := filepath.Join(dir, "missing.js")
	tests := []struct {
		name  string
		files []SourceFile
		opts  WriteOptions
		want  []string
		is    error
	}{
		{"missing file", []SourceFile{{URL: "~/ok.js", Type: TypeMinifiedSource, Path: ok}, {URL: "~/missing.js", Type: TypeMinifiedSource, Path: missing}},
			WriteOptions{}, []string{"~/missing.js", missing, "no such file"}, fs.ErrNotExist},
		{"directory", []SourceFile{{URL: "~/d.js", Type: TypeMinifiedSource, Path: dir}}, WriteOptions{}, []string{"~/d.js", dir, "is a directory"}, nil},
		{"unknown type", []SourceFile{{URL: "~/ok.js", Type: "script", Path: ok}}, WriteOptions{}, []string{ok, `unknown type "script"`}, nil},
		{"empty url", []SourceFile{{Type: TypeMinifiedSource, Path: ok}}, WriteOptions{}, []string{ok, "empty URL"}, nil},
		{"same url", []SourceFile{{URL: "~/ok.js", Type: TypeMinifiedSource, Path: ok}, {URL: "~/ok.js", Type: TypeMinifiedSource, Path: missing}},
			WriteOptions{}, []string{ok, missing, `same URL "~/ok.js"`}, nil},
		{"level", nil, WriteOptions{Level: 10}, []string{"deflate level 10"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Write(context.Background(), io.Discard, tt.files, tt.opts)
			if err == nil {
				t.Fatalf("no error; result %+v", res)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
	if runtime.GOOS != "windows" && os.Getuid() != 0 { // root reads anything
		locked := filepath.Join(dir, "locked.js")
		os.WriteFile(locked, []byte("x"), 0o000)
		_, err := Write(context.Background(), io.Discard, []SourceFile{{URL: "~/locked.js", Type: TypeMinifiedSource, Path: locked}}, WriteOptions{})
		if err == nil || !strings.Contains(err.Error(), locked) || !errors.Is(err, fs.ErrPermission) {
			t.Errorf("unreadable file: %v", err)
		}
	}
}

// TestWriteEmpty: no files gives a bundle with an empty "files" object and the debug_id of an empty SHA-1
// (da39a3ee5e6b4b0d3255bfef95601890…, with the version and variant bits of §10.5 step 3).
func TestWriteEmpty(t *testing.T) {
	data, res := writeBundle(t, nil, WriteOptions{Org: "o"})
	if res.DebugID != "da39a3ee-5e6b-5b0d-b255-bfef95601890" {
		t.Errorf("debug_id %s", res.DebugID)
	}
	m, err := readBytes(t, data).ReadFile(ManifestName)
	if err != nil || string(m) != `{"files":{},"debug_id":"da39a3ee-5e6b-5b0d-b255-bfef95601890","org":"o"}` {
		t.Errorf("manifest %s (%v)", m, err)
	}
	if recs := parseZip(t, data); len(recs) != 1 {
		t.Errorf("%d entries", len(recs))
	}
}

func TestEncodeManifestLineSeparators(t *testing.T) {
	m := Manifest{Files: map[string]FileEntry{"f": {Type: TypeSource, URL: "~/a\u2028b\u2029\\u2028<>&\x01\b"}}, Org: "o"}
	got, err := encodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	// serde_json's output: the separators raw, the backslash escaped, "<>&" raw, controls \u0001 and \b.
	want := "{\"files\":{\"f\":{\"type\":\"source\",\"url\":\"~/a\u2028b\u2029\\\\u2028<>&\\u0001\\b\"}},\"org\":\"o\"}"
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestWriteProperty: random file sets (random URL shapes, colliding bundle paths, random bytes, some
// invalid UTF-8) round-trip through the reader: every UTF-8 file is found by its URL with its bytes, every
// other file is reported skipped, and the zip layout holds.
func TestWriteProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	prefixes := []string{"~/", "~/a/", "https://cdn.test/", "app:///", "webpack://x/", "~/a b/", "~/q?"}
	names := []string{"x.js", "x.js.map", "y.js", "é.js", "#h.js", "x.js?v=1", "X.js", "x.js.1"}
	for iter := 0; iter < 60; iter++ {
		dir := t.TempDir()
		seen := map[string]bool{}
		var files []SourceFile
		utf8OK := map[string]bool{}
		for i := rng.Intn(12); i >= 0; i-- {
			url := prefixes[rng.Intn(len(prefixes))] + names[rng.Intn(len(names))]
			if seen[url] {
				continue
			}
			seen[url] = true
			data := make([]byte, rng.Intn(3000))
			for j := range data {
				data[j] = byte('a' + rng.Intn(26))
			}
			valid := rng.Intn(5) != 0
			if !valid && len(data) > 0 {
				data[rng.Intn(len(data))] = 0xff
			}
			valid = valid || len(data) == 0
			p := filepath.Join(dir, fmt.Sprint(i))
			testkit.WriteFile(t, p, string(data))
			typ := []string{TypeMinifiedSource, TypeSourceMap, TypeSource, TypeIndexedRAMBundle}[rng.Intn(4)]
			files = append(files, SourceFile{URL: url, Type: typ, Path: p, Headers: map[string]string{HeaderDebugID: fmt.Sprint(rng.Intn(3))}})
			utf8OK[url] = valid
		}
		data, res := writeBundle(t, files, WriteOptions{Org: "o", Jobs: 1 + rng.Intn(4), Level: 1 + rng.Intn(9)})
		checkLayout(t, parseZip(t, data))
		b := readBytes(t, data)
		if err := b.Check(); err != nil {
			t.Fatal(err)
		}
		byURL := map[string]string{}
		for _, zp := range b.Files() {
			e, _ := b.Entry(zp)
			byURL[e.URL] = zp
		}
		for _, f := range files {
			zp, ok := byURL[f.URL]
			if ok != utf8OK[f.URL] {
				t.Fatalf("iter %d: %s bundled=%v, valid UTF-8=%v", iter, f.URL, ok, utf8OK[f.URL])
			}
			if !ok {
				continue
			}
			want, _ := os.ReadFile(f.Path)
			if got, err := b.ReadFile(zp); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("iter %d: %s content differs (%v)", iter, f.URL, err)
			}
			if !strings.HasPrefix(zp, "files/"+BundlePath(f.URL)) {
				t.Fatalf("iter %d: %s at %s", iter, f.URL, zp)
			}
		}
		if len(res.Files)+len(res.Skipped) != len(files) {
			t.Fatalf("iter %d: %d written + %d skipped != %d", iter, len(res.Files), len(res.Skipped), len(files))
		}
	}
}

// TestWriteStoreBelow: files under StoreBelow (and a small manifest) are stored, the others
// deflated; both read back exactly, through mapback's reader and archive/zip.
func TestWriteStoreBelow(t *testing.T) {
	files := fixtureFiles(t)
	var sizes []int64
	for _, f := range files {
		st, err := os.Stat(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, st.Size())
	}
	slices.Sort(sizes)
	cut := sizes[len(sizes)/2] // about half stored, half deflated
	data, _ := writeBundle(t, files, WriteOptions{Org: "o", StoreBelow: cut})
	b := readBytes(t, data)
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(io.NewSectionReader(bytes.NewReader(data), HeaderSize, int64(len(data)-HeaderSize)), int64(len(data)-HeaderSize))
	if err != nil {
		t.Fatal(err)
	}
	stored, deflated := 0, 0
	for _, zf := range zr.File {
		wantStore := int64(zf.UncompressedSize64) < cut
		if (zf.Method == zip.Store) != wantStore || (zf.Method != zip.Store && zf.Method != zip.Deflate) {
			t.Errorf("%s (%d bytes): method %d with StoreBelow %d", zf.Name, zf.UncompressedSize64, zf.Method, cut)
		}
		if zf.Method == zip.Store {
			stored++
		} else {
			deflated++
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(rc); err != nil { // checks the CRC
			t.Errorf("%s: %v", zf.Name, err)
		}
		rc.Close()
	}
	for _, f := range files {
		zp, _, ok := b.FindByURL(f.URL)
		want, _ := os.ReadFile(f.Path)
		if got, err := b.ReadFile(zp); !ok || err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: content differs (%v)", f.URL, err)
		}
	}
	if stored == 0 || deflated == 0 {
		t.Errorf("%d stored, %d deflated: want both", stored, deflated)
	}
}
