package artifactbundle

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/testkit"
)

// entry is one zip entry of a test bundle.
type entry struct {
	name string
	data []byte
	// claim, when non-zero, overrides the declared uncompressed size (hostile bundles).
	claim uint64
}

// buildBundle writes a bundle the way docs/internals/upload-protocol.md §10.1–10.2 describes: SYSB + u32 LE version,
// then a zip with absolute offsets (base offset 8), deflate, 1980-01-01 timestamps, made-by 0x0314,
// version needed 20, mode 0644, no data descriptor.
func buildBundle(t testing.TB, version uint32, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString(Magic)
	binary.Write(&buf, binary.LittleEndian, version)
	zw := zip.NewWriter(&buf)
	zw.SetOffset(HeaderSize)
	for _, e := range entries {
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.DefaultCompression)
		fw.Write(e.data)
		fw.Close()
		size := uint64(len(e.data))
		if e.claim != 0 {
			size = e.claim
		}
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name:               e.name,
			Method:             zip.Deflate,
			Modified:           time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC),
			CreatorVersion:     0x0314,
			ReaderVersion:      20,
			ExternalAttrs:      0o100644 << 16,
			CRC32:              crc32.ChecksumIEEE(e.data),
			CompressedSize64:   uint64(comp.Len()),
			UncompressedSize64: size,
		})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func manifestEntry(t testing.TB, m Manifest) entry {
	t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return entry{name: ManifestName, data: data}
}

func readBytes(t testing.TB, data []byte) *Bundle {
	t.Helper()
	b, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return b
}

const refBundle = "testdata/reference-3.8.0.bundle"

// TestReferenceBundle reads a bundle made by sentry-cli 3.8.0 (`sourcemaps inject` then
// `sourcemaps upload --no-rewrite -o o -p p --release r --dist d1` against a loopback fake server, the
// assembled chunk saved as is) from the files under testdata/reference-src.
func TestReferenceBundle(t *testing.T) {
	b, err := Open(context.Background(), refBundle)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m := b.Manifest()
	if m.Org != "o" || m.Project != "p" || m.Release != "r" || m.Dist != "d1" || m.Note != "" ||
		m.DebugID != "397fa121-104f-5e54-9d41-d7bd45740273" {
		t.Errorf("manifest top level = %+v", m)
	}
	want := map[string]string{
		"files/_/_/main.js":           "main.js",
		"files/_/_/main.js.map":       "main.js.map",
		"files/_/_/maps/plain.js.map": "maps/plain.js.map",
		"files/_/_/plain.js":          "plain.js",
		"files/_/_/sub/other.js":      "sub/other.js",
		"files/_/_/sub/other.js.map":  "sub/other.js.map",
	}
	if got := b.Files(); len(got) != len(want) {
		t.Fatalf("Files() = %q", got)
	}
	for zp, disk := range want {
		got, err := b.ReadFile(zp)
		if err != nil {
			t.Fatal(err)
		}
		wantData, err := os.ReadFile(filepath.Join("testdata/reference-src", disk))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, wantData) { // --no-rewrite: byte-identical to disk (§10.6)
			t.Errorf("%s differs from %s", zp, disk)
		}
		if e, _ := b.Entry(zp); e.URL != "~/"+disk {
			t.Errorf("%s url = %q", zp, e.URL)
		}
	}
	if err := b.Check(); err != nil {
		t.Error(err)
	}
	// Lookups as resolve would do them.
	zp, e, ok := b.FindByURL("https://example.com/sub/other.js?v=3#x")
	if !ok || zp != "files/_/_/sub/other.js" || e.Type != TypeMinifiedSource {
		t.Errorf("FindByURL = %q %+v %v", zp, e, ok)
	}
	if mp, ok := b.SourceMapFor(zp); !ok || mp != "files/_/_/sub/other.js.map" {
		t.Errorf("SourceMapFor(other.js) = %q %v", mp, ok)
	}
	if mp, ok := b.SourceMapFor("files/_/_/plain.js"); !ok || mp != "files/_/_/maps/plain.js.map" {
		t.Errorf("SourceMapFor(plain.js) = %q %v (via sourcemap header)", mp, ok)
	}
	if p, ok := b.FindByDebugID("646F9421-8F7E-518A-9B10-073842E20271", TypeMinifiedSource); !ok || p != "files/_/_/main.js" {
		t.Errorf("FindByDebugID = %q %v", p, ok)
	}

	// Golden: our Manifest type re-marshals the reference manifest byte for byte (key order §10.4).
	raw, err := b.ReadFile(ManifestName)
	if err != nil {
		t.Fatal(err)
	}
	if again := marshalManifest(t, m); !bytes.Equal(again, raw) {
		t.Errorf("re-marshalled manifest differs:\n got %s\nwant %s", again, raw)
	}
}

func marshalManifest(t testing.TB, m Manifest) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TestReferenceLayout checks the §10.1/§10.2 byte facts on the reference bundle, so a writer built
// beside this reader has them pinned.
func TestReferenceLayout(t *testing.T) {
	data, err := os.ReadFile(refBundle)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data[:8], []byte{0x53, 0x59, 0x53, 0x42, 0x02, 0x00, 0x00, 0x00}) {
		t.Fatalf("header = % x", data[:8])
	}
	le := binary.LittleEndian
	if le.Uint32(data[8:]) != 0x04034b50 {
		t.Fatal("first local header not at offset 8")
	}
	// End of central directory (no comment): last 22 bytes.
	eocd := data[len(data)-22:]
	if le.Uint32(eocd) != 0x06054b50 {
		t.Fatal("no EOCD at end (comment present?)")
	}
	cdSize, cdOff := int(le.Uint32(eocd[12:])), int(le.Uint32(eocd[16:]))
	if cdOff+cdSize != len(data)-22 {
		t.Fatalf("central directory offset %d is not absolute", cdOff)
	}
	var names []string
	for p := cdOff; p < cdOff+cdSize; {
		h := data[p:]
		if le.Uint32(h) != 0x02014b50 {
			t.Fatalf("bad central header at %d", p)
		}
		madeBy, need, flags, method := le.Uint16(h[4:]), le.Uint16(h[6:]), le.Uint16(h[8:]), le.Uint16(h[10:])
		tm, dt := le.Uint16(h[12:]), le.Uint16(h[14:])
		nameLen, extraLen, commentLen := int(le.Uint16(h[28:])), int(le.Uint16(h[30:])), int(le.Uint16(h[32:]))
		ext, local := le.Uint32(h[38:]), int(le.Uint32(h[42:]))
		name := string(h[46 : 46+nameLen])
		if madeBy != 0x0314 || need != 20 || flags != 0 || method != 8 || tm != 0 || dt != 0x0021 ||
			extraLen != 0 || commentLen != 0 || ext != 0o100644<<16 {
			t.Errorf("%s: madeBy %#x need %d flags %d method %d time %#x date %#x extra %d comment %d attrs %o",
				name, madeBy, need, flags, method, tm, dt, extraLen, commentLen, ext>>16)
		}
		if le.Uint32(data[local:]) != 0x04034b50 || le.Uint16(data[local+6:]) != 0 {
			t.Errorf("%s: local header at absolute offset %d missing or has flags", name, local)
		}
		names = append(names, name)
		p += 46 + nameLen + extraLen + commentLen
	}
	if names[len(names)-1] != ManifestName {
		t.Errorf("manifest.json not last: %q", names)
	}
}

// TestWorkedExampleManifest: the docs/internals/upload-protocol.md §11 manifest decodes into Manifest and re-encodes byte for byte.
func TestWorkedExampleManifest(t *testing.T) {
	const golden = `{"files":{"files/_/_/admin.js":{"type":"minified_source","url":"~/admin.js","headers":{"debug-id":"5fdf19d9-8e36-5e65-97a6-df283094317b","sourcemap":"admin.js.map"}},"files/_/_/admin.js.map":{"type":"source_map","url":"~/admin.js.map","headers":{"debug-id":"5fdf19d9-8e36-5e65-97a6-df283094317b"}},"files/_/_/main.js":{"type":"minified_source","url":"~/main.js","headers":{"debug-id":"85ff4393-24a9-566b-9f04-4f4ba55e7b68","sourcemap":"main.js.map"}},"files/_/_/main.js.map":{"type":"source_map","url":"~/main.js.map","headers":{"debug-id":"85ff4393-24a9-566b-9f04-4f4ba55e7b68"}}},"debug_id":"a39a84d3-b6b0-56ca-85a3-c47f694f620d","org":"o","project":"p","release":"r"}`
	if len(golden) != 670 {
		t.Fatalf("golden is %d bytes, spec says 670", len(golden))
	}
	data := buildBundle(t, FormatVersion, []entry{
		{name: "files/_/_/admin.js", data: []byte("admin")},
		{name: "files/_/_/admin.js.map", data: []byte("{}")},
		{name: "files/_/_/main.js", data: []byte("main")},
		{name: "files/_/_/main.js.map", data: []byte("{}")},
		{name: ManifestName, data: []byte(golden)},
	})
	b := readBytes(t, data)
	m := b.Manifest()
	if m.DebugID != "a39a84d3-b6b0-56ca-85a3-c47f694f620d" || m.Org != "o" || m.Project != "p" || m.Release != "r" {
		t.Errorf("manifest = %+v", m)
	}
	if got := marshalManifest(t, m); string(got) != golden {
		t.Errorf("re-encoded:\n got %s\nwant %s", got, golden)
	}
	zp, _, ok := b.FindByURL("https://example.com/admin.js")
	if !ok || zp != "files/_/_/admin.js" {
		t.Fatalf("FindByURL = %q %v", zp, ok)
	}
	if mp, ok := b.SourceMapFor(zp); !ok || mp != "files/_/_/admin.js.map" {
		t.Errorf("SourceMapFor = %q %v", mp, ok)
	}
	// The §11 tail with dist and note keeps alphabetical order and omits project.
	m.Dist, m.Note, m.Project = "d1", "hello", ""
	m.DebugID = "48f3c72b-dd06-533e-b513-a6c9360a1a2e"
	const tail = `},"debug_id":"48f3c72b-dd06-533e-b513-a6c9360a1a2e","dist":"d1","note":"hello","org":"o","release":"r"}`
	if got := marshalManifest(t, m); !strings.HasSuffix(string(got), tail) {
		t.Errorf("tail: %s", got)
	}
}

func lookupBundle(t *testing.T) *Bundle {
	files := map[string]FileEntry{
		"files/_/_/assets/app.js":            {Type: TypeMinifiedSource, URL: "~/assets/app.js", Headers: map[string]string{"debug-id": "11111111-1111-1111-1111-111111111111", "sourcemap": "app.js.map"}},
		"files/_/_/assets/app.js.map":        {Type: TypeSourceMap, URL: "~/assets/app.js.map", Headers: map[string]string{"debug-id": "11111111-1111-1111-1111-111111111111"}},
		"files/_/_/assets/q.js":              {Type: TypeMinifiedSource, URL: "~/assets/q.js?v=2", Headers: map[string]string{"sourcemap": "../maps/q.map"}},
		"files/_/_/maps/q.map":               {Type: TypeSourceMap, URL: "~/maps/q.map"},
		"files/https/cdn.test/full.js":       {Type: TypeMinifiedSource, URL: "https://cdn.test/full.js?x=1", Headers: map[string]string{"SourceMap": "https://cdn.test/m/full.js.map"}},
		"files/https/cdn.test/m/full.js.map": {Type: TypeSourceMap, URL: "https://cdn.test/m/full.js.map"},
		"files/https/cdn.test/noq.js":        {Type: TypeMinifiedSource, URL: "https://cdn.test/noq.js", Headers: map[string]string{"x-sourcemap": "/abs/noq.js.map"}},
		"files/_/_/abs/noq.js.map":           {Type: TypeSourceMap, URL: "~/abs/noq.js.map"},
		"files/app/_/rn.js":                  {Type: TypeMinifiedSource, URL: "app:///rn.js", Headers: map[string]string{"Debug-ID": "{22222222222222222222222222222222}"}},
		"files/app/_/rn.js.map":              {Type: TypeSourceMap, URL: "app:///rn.js.map", Headers: map[string]string{"debug-id": "22222222-2222-2222-2222-222222222222"}},
		"files/_/_/inline.js":                {Type: TypeMinifiedSource, URL: "~/inline.js", Headers: map[string]string{"sourcemap": "data:application/json;base64,e30="}},
		"files/_/_/orphan.js":                {Type: TypeMinifiedSource, URL: "~/orphan.js", Headers: map[string]string{"debug-id": "33333333-3333-3333-3333-333333333333", "sourcemap": "gone.js.map"}},
		"files/_/_/self.js":                  {Type: TypeMinifiedSource, URL: "~/self.js", Headers: map[string]string{"sourcemap": "self.js"}},
		"files/_/_/nourl.js":                 {Type: TypeMinifiedSource, Headers: map[string]string{"debug-id": "44444444-4444-4444-4444-444444444444"}},
		"files/_/_/odd.js":                   {Type: "weird", URL: "~/odd.js", Headers: map[string]string{"debug-id": "55555555-5555-5555-5555-555555555555"}},
	}
	var es []entry
	for p := range files {
		es = append(es, entry{name: p, data: []byte(p)})
	}
	es = append(es, manifestEntry(t, Manifest{Files: files, Org: "o"}))
	return readBytes(t, buildBundle(t, FormatVersion, es))
}

func TestFindByURL(t *testing.T) {
	b := lookupBundle(t)
	tests := []struct{ frame, want string }{
		{"~/assets/app.js", "files/_/_/assets/app.js"},                           // full URL
		{"https://example.com/assets/app.js", "files/_/_/assets/app.js"},         // ~/ + path
		{"https://example.com/assets/app.js?cache=9", "files/_/_/assets/app.js"}, // ~/ + path without query
		{"https://example.com/assets/app.js#frag", "files/_/_/assets/app.js"},    // fragment dropped
		{"http://localhost:3000/assets/q.js?v=2", "files/_/_/assets/q.js"},       // ~/ + path + query
		{"https://cdn.test/full.js?x=1", "files/https/cdn.test/full.js"},         // full URL with query
		{"https://cdn.test/noq.js?y=2", "files/https/cdn.test/noq.js"},           // without query
		{"app:///rn.js", "files/app/_/rn.js"},                                    // full URL
		{"/assets/app.js", "files/_/_/assets/app.js"},                            // bare path
		{"https://cdn.test/full.js", ""},                                         // query is part of the url
		{"https://example.com/other/app.js", ""},                                 // path must match whole
		{"https://example.com/", ""},                                             //
		{"", ""},                                                                 //
		{"data:text/javascript,1", ""},                                           //
		{"~/nourl.js", ""},                                                       // entries without url unindexed
	}
	for _, tt := range tests {
		got, e, ok := b.FindByURL(tt.frame)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("FindByURL(%q) = %q, %v; want %q", tt.frame, got, ok, tt.want)
		}
		if ok && e.URL == "" {
			t.Errorf("FindByURL(%q) returned empty entry", tt.frame)
		}
	}
	if got := CandidateURLs("https://example.com/assets/bundle.min.js?foo=1"); strings.Join(got, " ") !=
		"https://example.com/assets/bundle.min.js?foo=1 https://example.com/assets/bundle.min.js ~/assets/bundle.min.js?foo=1 ~/assets/bundle.min.js" {
		t.Errorf("CandidateURLs (docs/internals/upload-protocol.md §12 example) = %q", got)
	}
}

func TestSourceMapFor(t *testing.T) {
	b := lookupBundle(t)
	tests := []struct{ zip, want string }{
		{"files/_/_/assets/app.js", "files/_/_/assets/app.js.map"},             // debug-id
		{"files/app/_/rn.js", "files/app/_/rn.js.map"},                         // debug-id, header name and id normalised
		{"files/_/_/assets/q.js", "files/_/_/maps/q.map"},                      // relative ../ against a ~/ URL with query
		{"files/https/cdn.test/full.js", "files/https/cdn.test/m/full.js.map"}, // absolute sourcemap, capitalised header
		{"files/https/cdn.test/noq.js", "files/_/_/abs/noq.js.map"},            // x-sourcemap, root-relative → ~/ path
		{"files/_/_/inline.js", ""},                                            // data: is not an entry
		{"files/_/_/orphan.js", ""},                                            // neither id nor url matches
		{"files/_/_/self.js", ""},                                              // never itself
		{"files/_/_/missing.js", ""},                                           // not in manifest
	}
	for _, tt := range tests {
		got, ok := b.SourceMapFor(tt.zip)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("SourceMapFor(%q) = %q, %v; want %q", tt.zip, got, ok, tt.want)
		}
	}
}

func TestFindByDebugID(t *testing.T) {
	b := lookupBundle(t)
	tests := []struct{ id, typ, want string }{
		{"11111111-1111-1111-1111-111111111111", TypeSourceMap, "files/_/_/assets/app.js.map"},
		{"11111111111111111111111111111111", TypeMinifiedSource, "files/_/_/assets/app.js"},
		{"22222222-2222-2222-2222-222222222222", TypeMinifiedSource, "files/app/_/rn.js"},
		{"44444444-4444-4444-4444-444444444444", TypeMinifiedSource, "files/_/_/nourl.js"},
		{"33333333-3333-3333-3333-333333333333", TypeSourceMap, ""},
		{"55555555-5555-5555-5555-555555555555", "weird", ""}, // only the four known types are indexed
		{"", TypeSourceMap, ""},
	}
	for _, tt := range tests {
		got, ok := b.FindByDebugID(tt.id, tt.typ)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("FindByDebugID(%q, %q) = %q, %v; want %q", tt.id, tt.typ, got, ok, tt.want)
		}
	}
}

func TestJoinURL(t *testing.T) {
	tests := []struct{ base, ref, want string }{
		{"~/a/b.js", "b.js.map", "~/a/b.js.map"},
		{"~/a/b.js", "../c.map", "~/c.map"},
		{"~/a/b.js", "/x/c.map", "~/x/c.map"},
		{"~/b.js?v=1", "b.js.map", "~/b.js.map"},
		{"https://h/a/b.js", "b.js.map", "https://h/a/b.js.map"},
		{"https://h/a/b.js", "https://o/c.map", "https://o/c.map"},
		{"app:///b.js", "b.js.map", "app:///b.js.map"},
	}
	for _, tt := range tests {
		if got := JoinURL(tt.base, tt.ref); got != tt.want {
			t.Errorf("JoinURL(%q, %q) = %q, want %q", tt.base, tt.ref, got, tt.want)
		}
	}
}

func TestHostile(t *testing.T) {
	good := func(es ...entry) []byte { return buildBundle(t, FormatVersion, es) }
	okManifest := manifestEntry(t, Manifest{Files: map[string]FileEntry{"files/_/_/a.js": {Type: TypeMinifiedSource, URL: "~/a.js"}}})
	valid := good(entry{name: "files/_/_/a.js", data: []byte("a")}, okManifest)
	plainZip := valid[HeaderSize:] // offsets then point 8 bytes too far, but the header check comes first
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not an artifact bundle: missing SYSB header"},
		{"truncated header", []byte("SYSB\x02"), "not an artifact bundle: missing SYSB header"},
		{"wrong magic", append([]byte("SYSC\x02\x00\x00\x00"), valid[8:]...), "not an artifact bundle: missing SYSB header"},
		{"plain zip", plainZip, "not an artifact bundle: missing SYSB header"},
		{"version 1", append([]byte("SYSB\x01\x00\x00\x00"), valid[8:]...), "unsupported version 1"},
		{"version big-endian 2", append([]byte("SYSB\x00\x00\x00\x02"), valid[8:]...), "unsupported version 33554432"},
		{"header only", []byte("SYSB\x02\x00\x00\x00"), "zip after SYSB header"},
		{"garbage zip", []byte("SYSB\x02\x00\x00\x00PK\x03\x04garbage"), "zip after SYSB header"},
		{"truncated zip", valid[:len(valid)-10], "zip after SYSB header"},
		{"missing manifest", good(entry{name: "files/_/_/a.js", data: []byte("a")}), "manifest.json missing"},
		{"manifest not JSON", good(entry{name: ManifestName, data: []byte("{not json")}), "manifest.json: the manifest is not valid JSON: invalid character"},
		{"manifest wrong shape", good(entry{name: ManifestName, data: []byte(`{"files":[1]}`)}), "manifest.json: the manifest: files is a list, not an object"},
		{"manifest huge claimed size", good(entry{name: ManifestName, data: []byte("{}"), claim: 1 << 40}), "manifest.json: entry too large"},
		{"manifest size lie", good(entry{name: ManifestName, data: []byte(`{"files":{}}`), claim: 3}), "manifest.json: zip: "},
		{"duplicate entry", good(okManifest, okManifest), `duplicate zip entry "manifest.json"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Read(bytes.NewReader(tt.data), int64(len(tt.data)))
			if err == nil {
				t.Fatalf("Read succeeded: %+v", b.Manifest())
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
	if _, err := Read(bytes.NewReader(nil), 0); !errors.Is(err, ErrNotBundle) {
		t.Errorf("not errors.Is ErrNotBundle: %v", err)
	}
	var ve *VersionError
	if _, err := Read(bytes.NewReader([]byte("SYSB\x03\x00\x00\x00")), 8); !errors.As(err, &ve) || ve.Version != 3 {
		t.Errorf("not a VersionError{3}: %v", err)
	}
}

func TestReadFileLimits(t *testing.T) {
	zeros := make([]byte, 1<<20) // compresses to ~1 KB: a small zip bomb
	m := manifestEntry(t, Manifest{Files: map[string]FileEntry{
		"files/_/_/bomb.js":  {Type: TypeMinifiedSource, URL: "~/bomb.js"},
		"files/_/_/claim.js": {Type: TypeMinifiedSource, URL: "~/claim.js"},
		"files/_/_/lie.js":   {Type: TypeMinifiedSource, URL: "~/lie.js"},
		"files/_/_/gone.js":  {Type: TypeMinifiedSource, URL: "~/gone.js"},
		"files/_/_/ok.js":    {Type: TypeMinifiedSource, URL: "~/ok.js"},
	}})
	data := buildBundle(t, FormatVersion, []entry{
		{name: "files/_/_/bomb.js", data: zeros},
		{name: "files/_/_/claim.js", data: []byte("x"), claim: 1 << 40},
		{name: "files/_/_/lie.js", data: zeros, claim: 10},
		{name: "files/_/_/ok.js", data: []byte("fine")},
		m,
	})
	b, err := ReadLimit(bytes.NewReader(data), int64(len(data)), 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.ReadFile("files/_/_/ok.js"); err != nil || string(got) != "fine" {
		t.Errorf("ok.js = %q, %v", got, err)
	}
	for _, tt := range []struct {
		zip, want string
		is        error
	}{
		{"files/_/_/bomb.js", "files/_/_/bomb.js: entry too large: 1048576 bytes uncompressed, limit 65536", ErrTooLarge},
		{"files/_/_/claim.js", "entry too large: 1099511627776 bytes", ErrTooLarge},
		{"files/_/_/lie.js", "files/_/_/lie.js: zip: ", nil},
		{"files/_/_/gone.js", "files/_/_/gone.js: listed in manifest.json but missing from the zip", ErrNotFound},
		{"files/_/_/nope.js", "files/_/_/nope.js: no such entry", ErrNotFound},
	} {
		got, err := b.ReadFile(tt.zip)
		if err == nil {
			t.Errorf("ReadFile(%s) = %d bytes, want error", tt.zip, len(got))
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
			t.Errorf("ReadFile(%s) error %q, want %q", tt.zip, err, tt.want)
		}
	}
	if err := b.Check(); err == nil || !strings.Contains(err.Error(), "gone.js") || strings.Contains(err.Error(), "ok.js") {
		t.Errorf("Check() = %v", err)
	}
	// The default limit lets the 1 MB entry through.
	if got, err := readBytes(t, data).ReadFile("files/_/_/bomb.js"); err != nil || len(got) != 1<<20 {
		t.Errorf("default limit: %d bytes, %v", len(got), err)
	}
}

func TestOpenNamesFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.zip")
	testkit.WriteFile(t, p, "PK\x03\x04 not a bundle")
	_, err := Open(context.Background(), p)
	if err == nil || err.Error() != p+": not an artifact bundle: missing SYSB header" {
		t.Errorf("Open error = %v", err)
	}
	if _, err := Open(context.Background(), filepath.Join(dir, "absent")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(absent) = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Open(ctx, refBundle); !errors.Is(err, context.Canceled) {
		t.Errorf("Open(cancelled) = %v", err)
	}
	b, err := Open(context.Background(), refBundle)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.ReadFile("nope"); err == nil || !strings.HasPrefix(err.Error(), refBundle+": nope: ") {
		t.Errorf("ReadFile error does not name the bundle: %v", err)
	}
}

func TestManifestIsCopy(t *testing.T) {
	b := lookupBundle(t)
	m := b.Manifest()
	m.Files["files/_/_/assets/app.js"].Headers["debug-id"] = "changed"
	delete(m.Files, "files/_/_/maps/q.map")
	if e, _ := b.Entry("files/_/_/assets/app.js"); e.Headers["debug-id"] != "11111111-1111-1111-1111-111111111111" {
		t.Error("Manifest() shares header maps")
	}
	if _, ok := b.Entry("files/_/_/maps/q.map"); !ok {
		t.Error("Manifest() shares the files map")
	}
}

func FuzzRead(f *testing.F) {
	if ref, err := os.ReadFile(refBundle); err == nil {
		f.Add(ref)
	}
	m := manifestEntry(f, Manifest{Files: map[string]FileEntry{
		"a": {Type: TypeMinifiedSource, URL: "~/a.js", Headers: map[string]string{"debug-id": "x", "sourcemap": "../a.map"}},
		"b": {Type: TypeSourceMap, URL: "~/a.map"},
	}})
	f.Add(buildBundle(f, FormatVersion, []entry{{name: "a", data: []byte("1")}, m}))
	f.Add([]byte("SYSB\x02\x00\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ReadLimit(bytes.NewReader(data), int64(len(data)), 1<<20)
		if err != nil {
			return
		}
		for _, p := range b.Files() {
			b.ReadFile(p)
			b.SourceMapFor(p)
			e, _ := b.Entry(p)
			b.FindByURL(e.URL)
			b.FindByDebugID(e.DebugID(), e.Type)
		}
		b.Check()
	})
}
