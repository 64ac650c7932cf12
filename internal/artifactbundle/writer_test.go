package artifactbundle

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
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
	"sync"
	"testing"
	"time"
)

// zipRecord is one central directory record with its local header, parsed at byte level.
type zipRecord struct {
	name                            string
	madeBy, need, flags, method     uint16
	time, date                      uint16
	crc                             uint32
	csize, usize                    uint32
	extraLen, commentLen            int
	disk, internal                  uint16
	external                        uint32
	offset                          int64
	localFlags, localExtra, localNm int
	data                            []byte // compressed bytes as stored
}

// parseZip parses a bundle's zip structures strictly (no comment, plain end record, local headers where
// the central directory says) and fails the test on anything malformed.
func parseZip(t *testing.T, b []byte) []zipRecord {
	t.Helper()
	le := binary.LittleEndian
	if len(b) < HeaderSize+endLen || string(b[:4]) != Magic || le.Uint32(b[4:]) != FormatVersion {
		t.Fatalf("no SYSB v2 header: % x", b[:min(len(b), 8)])
	}
	e := b[len(b)-endLen:]
	if le.Uint32(e) != endSig {
		t.Fatal("no end record in the last 22 bytes (comment or trailing data?)")
	}
	if le.Uint16(e[4:]) != 0 || le.Uint16(e[6:]) != 0 || le.Uint16(e[8:]) != le.Uint16(e[10:]) || le.Uint16(e[20:]) != 0 {
		t.Errorf("end record: % x", e)
	}
	n, cdSize, cdOff := int(le.Uint16(e[10:])), int(le.Uint32(e[12:])), int(le.Uint32(e[16:]))
	if cdOff+cdSize != len(b)-endLen {
		t.Fatalf("central directory at %d+%d does not end at the end record (%d): offsets not absolute", cdOff, cdSize, len(b)-endLen)
	}
	var recs []zipRecord
	next := int64(HeaderSize) // local headers follow each other without gaps from offset 8
	for p := cdOff; p < cdOff+cdSize; {
		h := b[p:]
		if le.Uint32(h) != centralSig {
			t.Fatalf("bad central record at %d", p)
		}
		r := zipRecord{
			madeBy: le.Uint16(h[4:]), need: le.Uint16(h[6:]), flags: le.Uint16(h[8:]), method: le.Uint16(h[10:]),
			time: le.Uint16(h[12:]), date: le.Uint16(h[14:]), crc: le.Uint32(h[16:]), csize: le.Uint32(h[20:]),
			usize: le.Uint32(h[24:]), extraLen: int(le.Uint16(h[30:])), commentLen: int(le.Uint16(h[32:])),
			disk: le.Uint16(h[34:]), internal: le.Uint16(h[36:]), external: le.Uint32(h[38:]), offset: int64(le.Uint32(h[42:])),
		}
		nameLen := int(le.Uint16(h[28:]))
		r.name = string(h[46 : 46+nameLen])
		p += centralLen + nameLen + r.extraLen + r.commentLen
		if r.offset != next {
			t.Errorf("%s: local header at %d, want %d", r.name, r.offset, next)
		}
		l := b[r.offset:]
		if le.Uint32(l) != localSig {
			t.Fatalf("%s: no local header at absolute offset %d", r.name, r.offset)
		}
		// The local header repeats the central record's fields: CRC and sizes are there, not in a data
		// descriptor.
		if !bytes.Equal(l[4:26], h[6:28]) {
			t.Errorf("%s: local header fields % x differ from central % x", r.name, l[4:26], h[6:28])
		}
		r.localFlags, r.localNm, r.localExtra = int(le.Uint16(l[6:])), int(le.Uint16(l[26:])), int(le.Uint16(l[28:]))
		if string(l[localLen:localLen+r.localNm]) != r.name {
			t.Errorf("%s: local name %q", r.name, l[localLen:localLen+r.localNm])
		}
		start := r.offset + localLen + int64(r.localNm+r.localExtra)
		r.data = b[start : start+int64(r.csize)]
		next = start + int64(r.csize)
		recs = append(recs, r)
	}
	if next != int64(cdOff) {
		t.Errorf("entries end at %d, central directory starts at %d", next, cdOff)
	}
	if len(recs) != n {
		t.Errorf("end record counts %d entries, central directory has %d", n, len(recs))
	}
	return recs
}

// checkLayout asserts the §10.2 facts on every record.
func checkLayout(t *testing.T, recs []zipRecord) {
	t.Helper()
	for _, r := range recs {
		if r.madeBy != 0x0314 || r.need != 20 || r.flags != 0 || r.localFlags != 0 || r.method != 8 ||
			r.time != 0 || r.date != 0x0021 || r.extraLen != 0 || r.localExtra != 0 || r.commentLen != 0 ||
			r.disk != 0 || r.internal != 0 || r.external != 0o100644<<16 {
			t.Errorf("%s: %+v", r.name, r)
		}
	}
	if len(recs) == 0 || recs[len(recs)-1].name != ManifestName {
		t.Errorf("manifest.json is not the last entry")
	}
}

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
				if err := os.WriteFile(p, []byte(dupsContent[url]), 0o644); err != nil {
					t.Fatal(err)
				}
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

// TestBundlePath: the §10.3 table, the reference's own unit-test cases (sentry-cli
// src/utils/source_bundle.rs) and what sentry-cli 3.8.0 produced for `--url-prefix` values (observed).
func TestBundlePath(t *testing.T) {
	tests := []struct{ url, want string }{
		// §10.3 table
		{"~/assets/main.js", "_/_/assets/main.js"},
		{"~/a/#/b", "_/_/a/#/b"},
		{"app:///main.js", "app/_/main.js"},
		{"https://cdn.example.com/assets/x.js?v=1", "https/cdn.example.com/assets/x.js"},
		// sentry-cli unit tests
		{"~/bar", "_/_/bar"},
		{"~/dist/js/bundle.js.map", "_/_/dist/js/bundle.js.map"},
		{"~/#/bar", "_/_/#/bar"},
		{"~/dist/#js/bundle.js.map", "_/_/dist/#js/bundle.js.map"},
		{"~/#foo/babel.config.js", "_/_/#foo/babel.config.js"},
		// observed with sentry-cli 3.8.0 --url-prefix
		{"webpack://sub/y.js", "webpack/sub/y.js"},
		{"webpack://x.js", "webpack/x.js/"}, // host x.js, empty path
		{"webpack:///sub/y.js", "webpack/_/sub/y.js"},
		{"https://CDN.Example.com:443/a/../b/x.js", "https/cdn.example.com/b/x.js"},
		{"http://h:8080/p/x.js", "http/h/p/x.js"}, // port dropped
		{"~/s/./t/x.js", "_/_/s/t/x.js"},
		{"/abs/x.js", "_/_/abs/x.js"},
		{"rel/x.js", "_/_/rel/x.js"},
		{"//proto/x.js", "http/proto/x.js"},
		{"https://u:pw@h.com/x/x.js", "https/h.com/x/x.js"},
		{"app://x.js", "app/x.js/"},
		{"custom:foo/x.js", "custom/_/foo/x.js"},
		{"HTTPS://H.COM/x.js", "https/h.com/x.js"},
		{"file:///C:/x/x.js", "file/_/C:/x/x.js"},
		{`https://h.com/a\b/x.js`, "https/h.com/a/b/x.js"},
		{`weird:///a\b/x.js`, `weird/_/a\b/x.js`},
		{"~/a\t .js", "_/_/a%20.js"},
		{"~/a .js", "_/_/a%20.js"},
		{"~/a%20.js", "_/_/a%20.js"},
		{"~/h#f.js", "_/_/h#f.js"},
		{"~/q?x.js", "_/_/q"},
		{"~/ü {x}|^[].js", "_/_/%C3%BC%20%7Bx%7D|^[].js"},
		// more --url-prefix values observed with sentry-cli 3.8.0
		{"~//x/x.js", "_/_/x/x.js"},
		{"~/a//b/x.js", "_/_/a//b/x.js"},
		{"https://h.com//x/x.js", "https/h.com//x/x.js"},
		{"https://h.com/%7e/x.js", "https/h.com/%7e/x.js"},
		{"https://h.com/a%2Fb/x.js", "https/h.com/a%2Fb/x.js"},
		{"app://host:99/x/x.js", "app/host/x/x.js"},
		{"https://bücher.de/x/x.js", "https/xn--bcher-kva.de/x/x.js"},
		{"https://h.com/ü/x.js", "https/h.com/%C3%BC/x.js"},
		{"  https://h.com/x/x.js", "https/h.com/x/x.js"},
		{"~/../x.js", "_/_/x.js"},
		{"https://h.com/a/b/../x.js", "https/h.com/a/x.js"},
		{"HtTp://h.com/x/x.js", "http/h.com/x/x.js"},
		{"ws://h/x/x.js", "ws/h/x/x.js"},
		{"ftp://h:21/x/x.js", "ftp/h/x/x.js"},
		{"https://h.com:/x/x.js", "https/h.com/x/x.js"},
		{"blob:https://h.com/x/x.js", "blob/_/https://h.com/x/x.js"},
		{"data:x/x.js", "data/_/x/x.js"},
		{"~/a;b=c/x.js", "_/_/a;b=c/x.js"},
		{"~/[x]/x.js", "_/_/[x]/x.js"},
		{"https://1.2.3.4/x/x.js", "https/1.2.3.4/x/x.js"},
		{"https://0x7f.1/x/x.js", "https/127.0.0.1/x/x.js"},
		{"https://h.com./x/x.js", "https/h.com./x/x.js"},
		{"https://H%41.com/x/x.js", "https/ha.com/x/x.js"},
		{"http:rel/x.js", "_/_/rel/x.js"},
		{"app:/abs/x.js", "app/_/abs/x.js"},
		{"~/%zz/x.js", "_/_/%zz/x.js"},
		{"https://[::FFFF:1.2.3.4]/x/x.js", "https/[::ffff:102:304]/x/x.js"},
		// also observed, with the file x.js
		{"https://münchen.example/x.js", "https/xn--mnchen-3ya.example/x.js"},
		{"https://[2001:db8:0:0:1:0:0:1]/x.js", "https/[2001:db8::1:0:0:1]/x.js"},
		{"https://017.0x10.1/x.js", "https/15.16.0.1/x.js"},
		{"app://Host/x.js", "app/Host/x.js"}, // an opaque host keeps its case
		// more shapes
		{"http://localhost:3000/static/js/main.js#L1", "http/localhost/static/js/main.js#L1"},
		{"~/a.js#x y`", "_/_/a.js#x%20y%60"},
		{"~/a/b/../../../c.js", "_/_/c.js"},
		{"~/a/..", "_/_/"},
		{"~/a/%2E%2e/b.js", "_/_/b.js"},
		{"http://[::1]:8080/x.js", "http/[::1]/x.js"},
		{"~/x.js?v=1#frag", "_/_/x.js#frag"},
		{"~/deep/nested/dir/file.min.js.map", "_/_/deep/nested/dir/file.min.js.map"},
		{"file://localhost/x.js", "file/_/x.js"},
	}
	for _, tt := range tests {
		if got := BundlePath(tt.url); got != tt.want {
			t.Errorf("BundlePath(%q) = %q, want %q", tt.url, got, tt.want)
		}
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
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
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
		{"content", func(fs []SourceFile) { os.WriteFile(fs[1].Path, []byte("{ }"), 0o644) }},
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
	os.WriteFile(ok, []byte("x"), 0o644)
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

// TestWriteTooManyEntries: more entries than a plain end record can count is refused before any byte is
// written (zip64 is not supported).
func TestWriteTooManyEntries(t *testing.T) {
	files := make([]SourceFile, 65535)
	for i := range files {
		files[i] = SourceFile{URL: fmt.Sprintf("~/%05d.js", i), Type: TypeMinifiedSource, Path: "unused"}
	}
	var w countWriter
	_, err := Write(context.Background(), &w, files, WriteOptions{})
	if !errors.Is(err, ErrZip64) || w.n != 0 {
		t.Errorf("err %v after %d bytes", err, w.n)
	}
}

// failWriter fails once more than n bytes were written.
type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return w.n, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteWriterError(t *testing.T) {
	files := fixtureFiles(t)
	full, _ := writeBundle(t, files, WriteOptions{})
	// Fail at the header, inside the entries and in the central directory.
	for _, n := range []int{0, 5, 100, len(full) / 2, len(full) - 30} {
		_, err := Write(context.Background(), &failWriter{n: n}, files, WriteOptions{})
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("fail after %d bytes: %v", n, err)
		}
	}
}

// cancelWriter cancels the context on its first write after the header and counts what it is given.
type cancelWriter struct {
	cancel  context.CancelFunc
	written int
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.written += len(p)
	if w.written > HeaderSize {
		w.cancel()
	}
	return len(p), nil
}

func TestWriteCancel(t *testing.T) {
	files := fixtureFiles(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Write(ctx, io.Discard, files, WriteOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: %v", err)
	}
	// Cancelled while writing: Write stops with the context's error instead of finishing the bundle.
	for _, jobs := range []int{1, 4} {
		ctx, cancel := context.WithCancel(context.Background())
		w := &cancelWriter{cancel: cancel}
		_, err := Write(ctx, w, files, WriteOptions{Jobs: jobs})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("jobs %d: cancelled during: %v", jobs, err)
		}
		full, _ := writeBundle(t, files, WriteOptions{Jobs: jobs})
		if w.written >= len(full) {
			t.Errorf("jobs %d: wrote all %d bytes after cancel", jobs, w.written)
		}
	}
}

// blockWriter blocks its first write after the SYSB header until release is closed.
type blockWriter struct {
	n                int
	once             sync.Once
	blocked, release chan struct{}
}

func (w *blockWriter) Write(p []byte) (int, error) {
	if w.n >= HeaderSize {
		w.once.Do(func() {
			close(w.blocked)
			<-w.release
		})
	}
	w.n += len(p)
	return len(p), nil
}

// TestWriteBoundedInFlight: while w is stuck on the first entry, only the first Jobs files have been read.
// The others are deleted meanwhile, so a writer that read ahead would succeed; a bounded one fails on the
// first file after the window.
func TestWriteBoundedInFlight(t *testing.T) {
	contents := map[string]string{}
	for i := range 8 {
		contents[fmt.Sprintf("f%02d.js", i)] = strings.Repeat("x", 1000)
	}
	for _, jobs := range []int{1, 2, 4} {
		files := tempFiles(t, contents)
		w := &blockWriter{blocked: make(chan struct{}), release: make(chan struct{})}
		done := make(chan error)
		go func() {
			_, err := Write(context.Background(), w, files, WriteOptions{Jobs: jobs})
			done <- err
		}()
		<-w.blocked
		time.Sleep(200 * time.Millisecond) // time enough for a read-ahead to happen if the code allowed it
		for _, f := range files[jobs:] {
			os.Remove(f.Path)
		}
		close(w.release)
		err := <-done
		if want := files[jobs].Path; err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("jobs %d: error %v, want one about %s", jobs, err, want)
		}
	}
}

// countdownCtx is a context whose Err turns to Canceled after n calls, to see where deflate looks.
type countdownCtx struct {
	context.Context
	n, calls int
}

func (c *countdownCtx) Err() error {
	c.calls++
	if c.calls > c.n {
		return context.Canceled
	}
	return nil
}

// TestDeflateCancel: a large file is abandoned between 1 MiB chunks, not after the whole deflate.
func TestDeflateCancel(t *testing.T) {
	data := bytes.Repeat([]byte("function f(){return 1}\n"), 10<<20/23) // ~10 MiB
	ctx := &countdownCtx{Context: context.Background(), n: 3}
	if _, err := deflate(ctx, data, 5, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("deflate = %v", err)
	}
	if ctx.calls != 4 {
		t.Errorf("deflate looked at the context %d times before stopping, want 4 (once per MiB)", ctx.calls)
	}
	// Uncancelled, the same input inflates back.
	comp, err := deflate(context.Background(), data, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(comp)))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("round trip: %v", err)
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
			os.WriteFile(p, data, 0o644)
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

// benchFiles is the realistic input: a slice of the published-bundle corpus when present (make bench
// fetches it), else the committed fixtures.
func benchFiles(b *testing.B) []SourceFile {
	const corpus = "../../.cache/bench/corpus"
	if _, err := os.Stat(corpus); err == nil {
		return dirFiles(b, corpus, "~/", 64<<20)
	}
	return fixtureFiles(b)
}

func BenchmarkWrite(b *testing.B) {
	files := benchFiles(b)
	var total int64
	for _, f := range files {
		st, err := os.Stat(f.Path)
		if err != nil {
			b.Fatal(err)
		}
		total += st.Size()
	}
	b.SetBytes(total)
	b.ResetTimer()
	for range b.N {
		if _, err := Write(context.Background(), io.Discard, files, WriteOptions{Org: "o"}); err != nil {
			b.Fatal(err)
		}
	}
}

// countWriter counts bytes.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// BenchmarkLevels measures speed and size per deflate level on one core, reporting the output as a
// percentage of the input; DefaultLevel's comment quotes its figures. Run it on the whole corpus with
// MAPBACK_LEVELS_ALL=1 (slow).
func BenchmarkLevels(b *testing.B) {
	var files []SourceFile
	if os.Getenv("MAPBACK_LEVELS_ALL") != "" {
		files = dirFiles(b, "../../.cache/bench/corpus", "~/", 0)
	} else {
		files = benchFiles(b)
	}
	var total int64
	for _, f := range files {
		st, _ := os.Stat(f.Path)
		total += st.Size()
	}
	for level := 1; level <= 9; level++ {
		b.Run(fmt.Sprintf("level=%d", level), func(b *testing.B) {
			b.SetBytes(total)
			var w countWriter
			for range b.N {
				w.n = 0
				if _, err := Write(context.Background(), &w, files, WriteOptions{Org: "o", Jobs: 1, Level: level}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(100*float64(w.n)/float64(total), "%size")
		})
	}
}

// TestWriteBoundedBytes: the byte budget bounds the read-ahead too. With room for two 1000-byte
// files, the third is read only after the first is written, however many jobs there are.
func TestWriteBoundedBytes(t *testing.T) {
	contents := map[string]string{}
	for i := range 8 {
		contents[fmt.Sprintf("f%02d.js", i)] = strings.Repeat("x", 1000)
	}
	files := tempFiles(t, contents)
	w := &blockWriter{blocked: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error)
	go func() {
		_, err := Write(context.Background(), w, files, WriteOptions{Jobs: 6, WindowBytes: 2500})
		done <- err
	}()
	<-w.blocked
	time.Sleep(200 * time.Millisecond) // time enough for a read-ahead to happen if the code allowed it
	for _, f := range files[2:] {
		os.Remove(f.Path)
	}
	close(w.release)
	err := <-done
	if want := files[2].Path; err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v, want one about %s", err, want)
	}
}

// TestWriteStreamsUTF8AcrossChunks: files are checked for UTF-8 a chunk at a time; sequences cut
// by a chunk boundary are still valid, and invalid bytes anywhere (also at a boundary, or a sequence
// cut by the end of the file) still make the file skipped.
func TestWriteStreamsUTF8AcrossChunks(t *testing.T) {
	valid := strings.Repeat("é€𝄞a", readChunk/3) // > 2 MiB of 2-, 3- and 4-byte sequences
	badAtBoundary := []byte(strings.Repeat("a", readChunk-1) + "€" + strings.Repeat("b", 100))
	badAtBoundary[readChunk] = 0xff // the middle byte of the € that straddles the first boundary
	files := tempFiles(t, map[string]string{
		"valid.js":     valid,
		"boundary.js":  string(badAtBoundary),
		"truncated.js": strings.Repeat("x", readChunk+5) + "\xe2\x82",
	})
	var buf bytes.Buffer
	res, err := Write(context.Background(), &buf, files, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	skipped := map[string]bool{}
	for _, s := range res.Skipped {
		skipped[filepath.Base(s.Path)] = true
	}
	if skipped["valid.js"] || !skipped["boundary.js"] || !skipped["truncated.js"] {
		t.Fatalf("skipped %v", res.Skipped)
	}
	b := readBytes(t, buf.Bytes())
	got, err := b.ReadFile(res.Files[0].ZipPath)
	if err != nil || string(got) != valid {
		t.Fatalf("valid.js round trip: %d bytes, %v", len(got), err)
	}
}

// TestWriteFileChangedMeanwhile: a file that changes between its compression and its turn to be
// hashed fails the bundle, rather than giving it a debug_id that does not match its bytes.
func TestWriteFileChangedMeanwhile(t *testing.T) {
	files := tempFiles(t, map[string]string{"a.js": strings.Repeat("a", 1000), "b.js": strings.Repeat("b", 1000)})
	w := &blockWriter{blocked: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error)
	go func() {
		_, err := Write(context.Background(), w, files, WriteOptions{Jobs: 2})
		done <- err
	}()
	<-w.blocked
	time.Sleep(200 * time.Millisecond) // b.js is compressed by now, waiting for its turn
	if err := os.WriteFile(files[1].Path, []byte(strings.Repeat("c", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	close(w.release)
	if err := <-done; err == nil || !strings.Contains(err.Error(), "changed while it was being bundled") {
		t.Fatalf("error %v", err)
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
