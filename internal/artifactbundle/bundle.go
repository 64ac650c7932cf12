// Package artifactbundle reads (and, later, writes) Sentry-compatible artifact bundles: an 8-byte SYSB header
// followed by a zip whose offsets are absolute, holding the bundled files and a manifest.json
// (docs/internals/upload-protocol.md §10).
//
// A bare section number (§5.1) in this package's comments is one of docs/internals/upload-protocol.md.
package artifactbundle

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/mapback/mapback/internal/jsonscan"
	"io"
	"maps"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync/atomic"
)

// Header facts (docs/internals/upload-protocol.md §10.1).
const (
	// Magic is the first four bytes of every artifact bundle.
	Magic = "SYSB"
	// FormatVersion is the only container version read and written: u32 little-endian after Magic.
	FormatVersion = 2
	// HeaderSize is the length of Magic + version; the zip starts right after it and its offsets count it.
	HeaderSize = 8
	// ManifestName is the zip entry that describes the bundle; the reference client writes it last.
	ManifestName = "manifest.json"
	// DefaultMaxEntrySize bounds the uncompressed size of any one entry read from a bundle.
	DefaultMaxEntrySize = 512 << 20
)

// File types of manifest entries (docs/internals/upload-protocol.md §10.4).
const (
	TypeMinifiedSource   = "minified_source"
	TypeSourceMap        = "source_map"
	TypeSource           = "source"
	TypeIndexedRAMBundle = "indexed_ram_bundle"
)

// Header names of manifest entries (lowercase, as written by the reference client).
const (
	HeaderDebugID   = "debug-id"
	HeaderSourceMap = "sourcemap"
)

var (
	// ErrNotBundle is returned when the SYSB header is absent or truncated.
	ErrNotBundle = errors.New("not an artifact bundle: missing SYSB header")
	// ErrTooLarge is returned for entries whose size exceeds the read limit.
	ErrTooLarge = errors.New("entry too large")
	// ErrNotFound is returned by ReadFile for an entry that is not in the zip.
	ErrNotFound = errors.New("no such entry")
)

// VersionError reports a SYSB header with a version other than FormatVersion.
type VersionError struct{ Version uint32 }

func (e *VersionError) Error() string {
	return fmt.Sprintf("unsupported version %d (want %d)", e.Version, FormatVersion)
}

// Manifest is manifest.json. Field order is the spec's key order (§10.4: files first, then alphabetical;
// map keys are sorted by encoding/json), so a writer can json.Marshal it (with HTML escaping off).
type Manifest struct {
	Files   map[string]FileEntry `json:"files"`
	DebugID string               `json:"debug_id,omitempty"`
	Dist    string               `json:"dist,omitempty"`
	Note    string               `json:"note,omitempty"`
	Org     string               `json:"org,omitempty"`
	Project string               `json:"project,omitempty"`
	Release string               `json:"release,omitempty"`
}

// FileEntry is one value of manifest.json "files", keyed by the path inside the zip. Key order is the
// spec's (§10.4: type, path, url, headers).
type FileEntry struct {
	Type    string            `json:"type"`
	Path    string            `json:"path,omitempty"`
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
}

// DebugID returns the entry's debug-id header (or debug_id), normalised; "" when absent.
func (e FileEntry) DebugID() string {
	if v, ok := e.Headers[HeaderDebugID]; ok {
		return NormalizeDebugID(v)
	}
	return NormalizeDebugID(e.Headers["debug_id"])
}

// SourceMapRef returns the entry's sourcemap header (x-sourcemap is accepted like sourcemap, as the server
// does); "" when absent.
func (e FileEntry) SourceMapRef() string {
	if v, ok := e.Headers[HeaderSourceMap]; ok {
		return v
	}
	return e.Headers["x-sourcemap"]
}

type idKey struct{ id, typ string }

// Bundle is an opened artifact bundle. It is safe for concurrent use.
type Bundle struct {
	name     string // file name for error messages; "" for Read
	closer   io.Closer
	maxEntry int64
	budget   *Budget // shared by the bundles of a run; nil for none
	manifest Manifest
	entries  map[string]*zip.File
	byURL    map[string]string // url → zip path (first in zip-path order)
	byID     map[idKey]string  // (debug id, type) → zip path (first in zip-path order)
}

// Open reads the artifact bundle at path. Close the bundle when done.
func Open(ctx context.Context, path string) (*Bundle, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	b, err := read(f, st.Size(), DefaultMaxEntrySize, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	b.closer = f
	return b, nil
}

// Read reads an artifact bundle of size bytes from r, with DefaultMaxEntrySize.
func Read(r io.ReaderAt, size int64) (*Bundle, error) {
	return ReadLimit(r, size, DefaultMaxEntrySize)
}

// ReadLimit is Read with a custom bound on the uncompressed size of each entry (manifest.json included).
func ReadLimit(r io.ReaderAt, size, maxEntry int64) (*Bundle, error) {
	return read(r, size, maxEntry, "")
}

func read(r io.ReaderAt, size, maxEntry int64, name string) (*Bundle, error) {
	b := &Bundle{name: name, maxEntry: maxEntry}
	var hdr [HeaderSize]byte
	if size < HeaderSize {
		return nil, b.errf("%w", ErrNotBundle)
	}
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return nil, b.errf("%w (%v)", ErrNotBundle, err)
	}
	if string(hdr[:4]) != Magic {
		return nil, b.errf("%w", ErrNotBundle)
	}
	if v := binary.LittleEndian.Uint32(hdr[4:]); v != FormatVersion {
		return nil, b.errf("%w", &VersionError{Version: v})
	}
	// The zip's offsets are absolute (§10.1), so it is read from offset 0; archive/zip skips the header as
	// leading data (and also copes with a writer that forgot the base offset).
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, b.errf("not an artifact bundle: zip after SYSB header: %v", err)
	}
	b.entries = make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		if _, dup := b.entries[f.Name]; dup {
			return nil, b.errf("duplicate zip entry %q", f.Name)
		}
		b.entries[f.Name] = f
	}
	mf, ok := b.entries[ManifestName]
	if !ok {
		return nil, b.errf("%w", &ManifestError{Missing: true})
	}
	data, err := b.readEntry(mf)
	if err != nil {
		return nil, b.errf("%w", &ManifestError{Reason: err.Error()})
	}
	if err := json.Unmarshal(data, &b.manifest); err != nil {
		return nil, b.errf("%w", &ManifestError{Reason: jsonscan.Explain(err, "the manifest")})
	}
	b.index()
	return b, nil
}

// index lower-cases header names (as the server does) and builds the URL and debug-ID indexes.
func (b *Bundle) index() {
	b.byURL = map[string]string{}
	b.byID = map[idKey]string{}
	for _, p := range b.Files() {
		e := b.manifest.Files[p]
		if len(e.Headers) > 0 {
			h := make(map[string]string, len(e.Headers))
			for k, v := range e.Headers {
				lk := strings.ToLower(k)
				if _, taken := h[lk]; !taken || k == lk {
					h[lk] = v
				}
			}
			e.Headers = h
			b.manifest.Files[p] = e
		}
		if e.URL != "" {
			if _, taken := b.byURL[e.URL]; !taken {
				b.byURL[e.URL] = p
			}
		}
		if id := e.DebugID(); id != "" && knownType(e.Type) {
			k := idKey{id, e.Type}
			if _, taken := b.byID[k]; !taken {
				b.byID[k] = p
			}
		}
	}
}

func knownType(t string) bool {
	switch t {
	case TypeMinifiedSource, TypeSourceMap, TypeSource, TypeIndexedRAMBundle:
		return true
	}
	return false
}

// ManifestError is a bundle whose manifest.json is missing or cannot be read.
type ManifestError struct {
	Missing bool
	Reason  string
}

func (e *ManifestError) Error() string {
	if e.Missing {
		return ManifestName + " missing"
	}
	return ManifestName + ": " + e.Reason
}

func (b *Bundle) errf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if b.name != "" {
		return fmt.Errorf("%s: %w", b.name, err)
	}
	return err
}

// Close releases the file opened by Open. It is a no-op for bundles from Read.
func (b *Bundle) Close() error {
	if b.closer == nil {
		return nil
	}
	return b.closer.Close()
}

// Manifest returns a copy of the bundle's manifest (header names lower-cased).
func (b *Bundle) Manifest() Manifest { return b.manifest.Clone() }

// Clone returns a copy of m that shares no map with it.
func (m Manifest) Clone() Manifest {
	files := make(map[string]FileEntry, len(m.Files))
	for k, e := range m.Files {
		e.Headers = maps.Clone(e.Headers)
		files[k] = e
	}
	m.Files = files
	return m
}

// Files returns the manifest's zip paths in ascending byte order.
func (b *Bundle) Files() []string {
	ps := make([]string, 0, len(b.manifest.Files))
	for p := range b.manifest.Files {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// Entry returns the manifest entry for a zip path.
func (b *Bundle) Entry(zipPath string) (FileEntry, bool) {
	e, ok := b.manifest.Files[zipPath]
	return e, ok
}

// ReadFile returns the uncompressed content of a zip entry, refusing entries whose declared or actual size
// exceeds the bundle's limit.
func (b *Bundle) ReadFile(zipPath string) ([]byte, error) {
	f, ok := b.entries[zipPath]
	if !ok {
		if _, listed := b.manifest.Files[zipPath]; listed {
			return nil, b.errf("%s: listed in %s but missing from the zip: %w", zipPath, ManifestName, ErrNotFound)
		}
		return nil, b.errf("%s: %w", zipPath, ErrNotFound)
	}
	data, err := b.readEntry(f)
	if err != nil {
		return nil, b.errf("%s: %w", zipPath, err)
	}
	return data, nil
}

// Check verifies that every manifest entry is present in the zip and can be read within the limit.
func (b *Bundle) Check() error {
	var errs []error
	for _, p := range b.Files() {
		if _, err := b.ReadFile(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (b *Bundle) readEntry(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > uint64(b.maxEntry) {
		return nil, fmt.Errorf("%w: %d bytes uncompressed, limit %d", ErrTooLarge, f.UncompressedSize64, b.maxEntry)
	}
	// archive/zip never yields more than the declared size, so charging it
	// up front bounds the run's work and memory.
	if err := b.budget.take(int64(f.UncompressedSize64)); err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }() // reading only: a close error changes nothing
	// archive/zip fails once more bytes than declared come out, so the declared size bounds the work; the
	// LimitReader is a second guard. Do not preallocate from the (untrusted) declared size.
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(rc, b.maxEntry+1))
	if err != nil {
		return nil, err
	}
	if n > b.maxEntry {
		return nil, fmt.Errorf("%w: more than %d bytes uncompressed", ErrTooLarge, b.maxEntry)
	}
	return buf.Bytes(), nil
}

// FindByDebugID returns the zip path of the entry with the given debug-id header and type (for example
// TypeSourceMap). Only the four known types are indexed, as on the server.
func (b *Bundle) FindByDebugID(id, typ string) (string, bool) {
	p, ok := b.byID[idKey{NormalizeDebugID(id), typ}]
	return p, ok
}

// FindByURL finds the entry whose url matches a frame URL (docs/internals/resolve.md §10 step 4,
// docs/internals/upload-protocol.md §12), trying in order: the URL as given; without its fragment; without its
// query; "~" + path + "?" + query; "~" + path.
func (b *Bundle) FindByURL(frameURL string) (string, FileEntry, bool) {
	for _, c := range CandidateURLs(frameURL) {
		if p, ok := b.byURL[c]; ok {
			return p, b.manifest.Files[p], true
		}
	}
	return "", FileEntry{}, false
}

// CandidateURLs lists the manifest urls that FindByURL tries for a frame URL, without duplicates.
func CandidateURLs(frameURL string) []string {
	var out []string
	add := func(s string) {
		if s == "" {
			return
		}
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	add(frameURL)
	s, _, _ := strings.Cut(frameURL, "#")
	add(s)
	noQuery, query, hasQuery := strings.Cut(s, "?")
	add(noQuery)
	path := urlPath(noQuery)
	if path == "" || path == "/" {
		return out
	}
	if hasQuery {
		add("~" + path + "?" + query)
	}
	add("~" + path)
	return out
}

// urlPath returns the path part (with its leading "/") of a URL without query and fragment: "~/x" → "/x",
// "https://host/x" → "/x", "app:///x" → "/x", "/x" → "/x", "x" → "/x".
func urlPath(u string) string {
	if strings.HasPrefix(u, "~/") {
		return u[1:]
	}
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		j := strings.IndexByte(rest, '/')
		if j < 0 {
			return ""
		}
		return rest[j:]
	}
	if strings.HasPrefix(u, "/") {
		return u
	}
	if strings.Contains(u, ":") { // data:, blob:, node:… — not a path
		return ""
	}
	return "/" + u
}

// SourceMapFor finds the source map of a minified entry: the source_map entry with the same debug-id
// header, else the entry's sourcemap header resolved against its url and looked up like a frame URL.
// An inline data: sourcemap header is not a bundle entry and gives false.
func (b *Bundle) SourceMapFor(zipPath string) (string, bool) {
	e, ok := b.manifest.Files[zipPath]
	if !ok {
		return "", false
	}
	if id := e.DebugID(); id != "" {
		if p, ok := b.FindByDebugID(id, TypeSourceMap); ok {
			return p, true
		}
	}
	ref := e.SourceMapRef()
	if ref == "" || strings.HasPrefix(ref, "data:") {
		return "", false
	}
	p, _, ok := b.FindByURL(JoinURL(e.URL, ref))
	if !ok || p == zipPath {
		return "", false
	}
	return p, true
}

// JoinURL resolves ref against base like a browser, treating "~/" as a host of its own
// ("~/a/b.js" + "b.js.map" → "~/a/b.js.map").
func JoinURL(base, ref string) string {
	tilde := strings.HasPrefix(base, "~/")
	b := base
	if tilde {
		b = "http://~" + base[1:]
	}
	bu, err1 := url.Parse(b)
	ru, err2 := url.Parse(ref)
	if err1 != nil || err2 != nil {
		if strings.Contains(ref, "://") || strings.HasPrefix(ref, "/") {
			return ref
		}
		if i := strings.LastIndexByte(base, '/'); i >= 0 {
			return base[:i+1] + ref
		}
		return ref
	}
	out := bu.ResolveReference(ru).String()
	if tilde && strings.HasPrefix(out, "http://~/") {
		return "~" + out[len("http://~"):]
	}
	return out
}

// NormalizeDebugID lower-cases a debug ID and, when it is a UUID written with or without hyphens or
// braces, returns the hyphenated 8-4-4-4-12 form; other values are returned trimmed and lower-cased.
func NormalizeDebugID(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	t := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	h := strings.ReplaceAll(t, "-", "")
	if len(h) < 32 {
		return s
	}
	for i := 0; i < 32; i++ {
		c := h[i]
		if isHex := '0' <= c && c <= '9' || 'a' <= c && c <= 'f'; !isHex {
			return s
		}
	}
	if len(h) != 32 {
		return s
	}
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Budget bounds the bytes all the artifact bundles of one run may
// decompress, on top of each entry's own bound: a small bundle can hold many
// entries that each inflate to the entry limit (compression bombs). It is
// safe for concurrent use.
type Budget struct {
	limit int64
	used  atomic.Int64
}

// NewBudget allows limit bytes in all.
func NewBudget(limit int64) *Budget { return &Budget{limit: limit} }

// ErrBudget is returned once a run's bundles would decompress past their
// budget.
var ErrBudget = errors.New("the artifact bundles of this run decompress to more than their budget")

func (g *Budget) take(n int64) error {
	if g == nil {
		return nil
	}
	if g.used.Add(n) > g.limit {
		g.used.Add(-n)
		return fmt.Errorf("%w of %d MiB (a bundle of compression bombs?); nothing more is read from them", ErrBudget, g.limit>>20)
	}
	return nil
}

// SetBudget makes b's reads count against g.
func (b *Bundle) SetBudget(g *Budget) { b.budget = g }
