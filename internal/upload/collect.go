package upload

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/mapback/mapback/internal/artifactbundle"
	"github.com/mapback/mapback/internal/debugid"
	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/jsonscan"
	"github.com/mapback/mapback/internal/mmapfile"
)

// DefaultExtensions are the file extensions uploaded when none are given: the bundles inject works
// on, plus their maps (docs/internals/upload-protocol.md §10.3 lists jsbundle and bundle too; those are React
// Native formats mapback does not pair, so they are opt-in with --ext).
var DefaultExtensions = []string{"js", "cjs", "mjs", "map"}

// Script is a JavaScript file of the bundle, as the report shows it.
type Script struct {
	Path      string `json:"path"`
	URL       string `json:"url"`
	DebugID   string `json:"debug_id,omitempty"`
	Map       string `json:"map,omitempty"`       // the map's path, or "inline"
	SourceMap string `json:"sourcemap,omitempty"` // the manifest's sourcemap header

	content fileDigest // for the build cache
}

// fileDigest identifies a file's content for the build cache, taken while it is read anyway: its
// size and two independent CRC-32s (IEEE and Castagnoli). Both run in hardware at several GB/s,
// where SHA-1 took 60% of the collection; two different contents of one size collide on both only
// with a chance of 2^-64, and the cache only ever names bundles built from real inputs.
type fileDigest struct {
	ieee, castagnoli uint32
	size             int64
}

// castagnoli is made on first use: building the table (and probing for SSE4.2) at package
// initialisation would cost every mapback command ~0.2 ms.
var castagnoli = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

func digestOf(data []byte) fileDigest {
	return fileDigest{crc32.ChecksumIEEE(data), crc32.Checksum(data, castagnoli()), int64(len(data))}
}

// MapFile is a file with a map extension in the bundle.
type MapFile struct {
	Path    string `json:"path"`
	URL     string `json:"url"`
	DebugID string `json:"debug_id,omitempty"`
	// NotAMap is set for a *.map file whose content is not a source map: like the reference client,
	// mapback still uploads it, as a minified_source, and warns.
	NotAMap bool `json:"not_a_source_map,omitempty"`

	content fileDigest
}

// collection is what goes into the artifact bundle, with the facts the report and the
// no-release check need.
type collection struct {
	files    []artifactbundle.SourceFile
	digests  []fileDigest // digests[i] is files[i]'s content
	scripts  []Script
	maps     []MapFile
	warnings []string
	skipped  []dist.Skipped
	watched  []string // the scan's other inputs (dist.Result.Watched), for the tree record
}

// collect scans the paths like inject does and decides, for every file, its artifact URL, its
// manifest type and its headers (docs/internals/upload-protocol.md §10.3-10.4). Files are read once here for their debug ID and
// sourceMappingURL; the writer reads them again to pack them, which costs little from the page
// cache and keeps only a few files in memory at a time.
func collect(ctx context.Context, opts *Options) (*collection, error) {
	jsExts, withMaps := splitExtensions(opts.Extensions)
	// The scan reads every bundle whole to pair it; what upload needs of a bundle is taken then,
	// so no bundle is read twice before the build.
	var factsMu sync.Mutex
	facts := map[string]bundleFacts{}
	onRead := func(path string, data []byte) {
		f := factsOf(data)
		factsMu.Lock()
		facts[path] = f
		factsMu.Unlock()
	}
	scan, err := dist.Scan(ctx, dist.Options{Paths: opts.Paths, Extensions: jsExts, Ignore: opts.Ignore, IgnoreFile: opts.IgnoreFile, OnRead: onRead})
	if err != nil {
		return nil, err
	}
	roots := opts.Paths
	if len(roots) == 0 {
		roots = []string{"."}
	}
	urls, err := newURLMaker(roots, opts.URLPrefix, opts.URLSuffix)
	if err != nil {
		return nil, err
	}

	c := &collection{skipped: scan.Skipped, watched: scan.Watched}
	c.scripts = make([]Script, len(scan.Bundles))
	g, gctx := errgroup.WithContext(ctx)
	// One file per core: collect holds each file whole (a map's debug ID can be anywhere in it), so
	// more would only add memory, not speed.
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range scan.Bundles {
		b := &scan.Bundles[i]
		if b.Err != nil {
			// The file is still uploaded (the server gets what is on disk), but the user should know
			// its map could not be paired.
			c.warnings = append(c.warnings, fmt.Sprintf("%s: %v", b.Path, b.Err))
		}
		for _, w := range b.Warnings {
			c.warnings = append(c.warnings, b.Path+": "+w)
		}
		if f, ok := facts[b.Path]; ok {
			c.scripts[i] = describeScript(b, urls.url(b.Path), f)
			continue
		}
		g.Go(func() error {
			f, err := readBundleFacts(gctx, b.Path)
			if err != nil {
				return err
			}
			c.scripts[i] = describeScript(b, urls.url(b.Path), f)
			return nil
		})
	}
	if withMaps {
		c.maps = make([]MapFile, len(scan.Maps))
		for i, p := range scan.Maps {
			g.Go(func() error {
				id, isMap, digest, err := readMapFacts(gctx, p)
				if err != nil {
					return err
				}
				c.maps[i] = MapFile{Path: p, URL: urls.url(p), DebugID: id, NotAMap: !isMap, content: digest}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	for _, s := range c.scripts {
		headers := map[string]string{}
		if s.DebugID != "" {
			headers[artifactbundle.HeaderDebugID] = s.DebugID
		}
		if s.SourceMap != "" {
			headers[artifactbundle.HeaderSourceMap] = s.SourceMap
		}
		c.files = append(c.files, artifactbundle.SourceFile{URL: s.URL, Type: artifactbundle.TypeMinifiedSource, Headers: headers, Path: s.Path})
		c.digests = append(c.digests, s.content)
	}
	for _, m := range c.maps {
		headers := map[string]string{}
		if m.DebugID != "" {
			headers[artifactbundle.HeaderDebugID] = m.DebugID
		}
		typ := artifactbundle.TypeSourceMap
		if m.NotAMap {
			typ = artifactbundle.TypeMinifiedSource
			c.warnings = append(c.warnings, m.Path+": not a source map (no JSON object with mappings or sections); uploaded as a plain file")
		}
		c.files = append(c.files, artifactbundle.SourceFile{URL: m.URL, Type: typ, Headers: headers, Path: m.Path})
		c.digests = append(c.digests, m.content)
	}
	sort.Sort(byURL{c.files, c.digests})
	for i := 1; i < len(c.files); i++ {
		if a, b := c.files[i-1], c.files[i]; a.URL == b.URL {
			// Two PATHs with files at the same relative path. sentry-cli keeps one of them silently;
			// the server could only ever serve one, so mapback asks which.
			return nil, &SettingError{
				Msg:  fmt.Sprintf("%s and %s would both be uploaded as %s", a.Path, b.Path, a.URL),
				Hint: "upload each PATH on its own with its own --url-prefix, or upload their common parent directory",
			}
		}
	}
	return c, nil
}

// byURL sorts files (and their digests with them) in URL order, the order of the bundle.
type byURL struct {
	files   []artifactbundle.SourceFile
	digests []fileDigest
}

func (b byURL) Len() int           { return len(b.files) }
func (b byURL) Less(i, j int) bool { return b.files[i].URL < b.files[j].URL }
func (b byURL) Swap(i, j int) {
	b.files[i], b.files[j] = b.files[j], b.files[i]
	b.digests[i], b.digests[j] = b.digests[j], b.digests[i]
}

// splitExtensions separates "map" (maps are always found by name, *.map) from the bundle
// extensions dist pairs. withMaps is false when the user's list leaves maps out.
func splitExtensions(exts []string) (js []string, withMaps bool) {
	if len(exts) == 0 {
		exts = DefaultExtensions
	}
	for _, e := range exts {
		e = strings.TrimPrefix(strings.TrimSpace(e), ".")
		switch e {
		case "":
		case "map":
			withMaps = true
		default:
			js = append(js, e)
		}
	}
	if len(js) == 0 {
		// --ext map alone: upload only maps. dist needs a non-empty list, and one that matches
		// nothing keeps the bundles out.
		js = []string{"\x00none"}
	}
	return js, withMaps
}

// bundleFacts are what upload needs of a bundle's bytes: its debug ID comment, its last
// sourceMappingURL comment, and its digest.
type bundleFacts struct {
	debugID string
	smURL   string // SourceMappingURL's value, when hasSM
	hasSM   bool
	digest  fileDigest
}

func factsOf(js []byte) bundleFacts {
	f := bundleFacts{digest: digestOf(js)}
	if id, ok := debugid.FindComment(js); ok {
		f.debugID = id.String()
	}
	f.smURL, _, _, f.hasSM = dist.SourceMappingURL(js)
	return f
}

// readBundleFacts reads a bundle the scan did not read whole.
func readBundleFacts(ctx context.Context, path string) (bundleFacts, error) {
	if err := ctx.Err(); err != nil {
		return bundleFacts{}, err
	}
	// Borrowed: nothing is kept from the bytes (every string taken from them is a copy), so small
	// files share pooled buffers and large ones are mapped, their memory back at once.
	data, free, err := mmapfile.Borrow(path)
	if err != nil {
		return bundleFacts{}, fmt.Errorf("%s: %w", path, unwrapPathError(err))
	}
	defer free()
	return factsOf(data), nil
}

// describeScript is a bundle as the report and the manifest show it: its debug ID and the
// sourcemap header it gets (the sourceMappingURL as written, a data: URL whole, or the file name of
// a co-located map).
func describeScript(b *dist.Bundle, url string, f bundleFacts) Script {
	s := Script{Path: b.Path, URL: url, DebugID: f.debugID, content: f.digest}
	if b.Map != nil {
		s.Map = b.Map.Path
		if b.Map.Inline != nil {
			s.Map = "inline"
		}
	}
	s.SourceMap = sourcemapHeader(f.smURL, f.hasSM, b.Map)
	return s
}

// sourcemapHeader is the value the reference client stores in a script's sourcemap header
// (observed, see the conformance test TestUploadParityEdgeCases): a relative sourceMappingURL
// (v, when ok) without its ?query or #fragment, even when the file is missing; a data: URL whole;
// for an absolute path or a URL with a host, nothing, unless a map lies beside the script, whose
// file name is used, as it is when there is no comment at all.
func sourcemapHeader(v string, ok bool, m *dist.Map) string {
	if ok && (strings.HasPrefix(v, "data:") || isRelativeRef(v)) {
		return v
	}
	if m != nil && m.Rule == dist.RuleGuess {
		return filepath.Base(m.Path)
	}
	return ""
}

// isRelativeRef reports a URL reference with no scheme and no leading slash ("app.js.map",
// "../maps/app.js.map"), which the server resolves against the script's own URL.
func isRelativeRef(v string) bool {
	if v == "" || strings.HasPrefix(v, "/") || strings.HasPrefix(v, "\\") {
		return false
	}
	if i := strings.IndexAny(v, ":/?#"); i >= 0 && v[i] == ':' {
		return false // a scheme: https:, file:, webpack: ...
	}
	return true
}

// readMapFacts returns the debugId (or debug_id) member of a map file, normalised, and whether
// the file is a source map at all: a JSON object with "mappings" or "sections".
func readMapFacts(ctx context.Context, path string) (id string, isMap bool, digest fileDigest, err error) {
	if err := ctx.Err(); err != nil {
		return "", false, digest, err
	}
	data, free, err := mmapfile.Borrow(path) // see readBundleFacts
	if err != nil {
		return "", false, digest, fmt.Errorf("%s: %w", path, unwrapPathError(err))
	}
	defer free()
	digest = digestOf(data)
	members, _, _, err := jsonscan.Document(data)
	if err != nil {
		return "", false, digest, nil
	}
	var camel, snake string
	for _, m := range members {
		switch m.Key {
		case "mappings", "sections":
			isMap = true
		case "debugId":
			camel = jsonString(data[m.ValStart:m.ValEnd])
		case "debug_id":
			snake = jsonString(data[m.ValStart:m.ValEnd])
		}
	}
	if camel == "" {
		camel = snake
	}
	return artifactbundle.NormalizeDebugID(camel), isMap, digest, nil
}

// jsonString decodes a short JSON string value; anything else is "".
func jsonString(v []byte) string {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' || len(v) > 200 {
		return ""
	}
	s := string(v[1 : len(v)-1])
	if strings.ContainsRune(s, '\\') {
		return ""
	}
	return s
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// urlMaker turns a file path into its artifact URL: prefix + "/" + the path relative to the PATH it
// was found under (relative to the parent directory when the PATH is a file) + suffix (§10.3).
type urlMaker struct {
	roots          []urlRoot
	prefix, suffix string
}

type urlRoot struct {
	dir    string // cleaned directory the relative path starts from
	isFile bool
	path   string // the PATH itself, cleaned
}

func newURLMaker(paths []string, prefix, suffix string) (*urlMaker, error) {
	if prefix == "" {
		prefix = "~"
	}
	// One trailing slash is trimmed: "~/" → "~", "app:///" → "app://".
	prefix = strings.TrimSuffix(prefix, "/")
	m := &urlMaker{prefix: prefix, suffix: suffix}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		clean := filepath.Clean(p)
		r := urlRoot{dir: clean, path: clean}
		if !info.IsDir() {
			r.dir, r.isFile = filepath.Dir(clean), true
		}
		m.roots = append(m.roots, r)
	}
	// Longest directory first, so a file under two nested PATHs is named from the inner one.
	sort.SliceStable(m.roots, func(i, j int) bool { return len(m.roots[i].dir) > len(m.roots[j].dir) })
	return m, nil
}

func (m *urlMaker) url(path string) string {
	clean := filepath.Clean(path)
	rel := filepath.Base(clean)
	for _, r := range m.roots {
		if r.isFile {
			if r.path == clean {
				break
			}
			continue
		}
		if x, err := filepath.Rel(r.dir, clean); err == nil && x != ".." && !strings.HasPrefix(x, ".."+string(filepath.Separator)) {
			rel = x
			break
		}
	}
	return m.prefix + "/" + filepath.ToSlash(rel) + m.suffix
}

// FileURL is the artifact URL upload gives the file at path found under root (a PATH as the user
// gave it), with the given --url-prefix and --url-suffix. doctor uses it to compare a trace's URLs
// with what the server holds.
func FileURL(root, path, prefix, suffix string) (string, error) {
	m, err := newURLMaker([]string{root}, prefix, suffix)
	if err != nil {
		return "", err
	}
	return m.url(path), nil
}
