package resolve

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mapback/mapback/internal/artifactbundle"
	"github.com/mapback/mapback/internal/dist"
)

// Index knows the local bundles and their maps.
type Index struct {
	bundles []dist.Bundle
	byBase  map[string][]int // base name → bundle indexes

	mu      sync.Mutex
	cache   map[string]*parsedMap
	scopes  map[string]*scopeEntry  // by bundle path and positions; nil index: could not parse
	sources map[string]*sourceEntry // bundle bytes, read once, for scopes and columns
	// scopeKeys caches the scope index key of each positions slice (scopeKey).
	scopeKeys map[sliceKey]string
	roots     map[string]*rootEntry // by map path: whether its sourceRoot is left out
	// sourceSets are each map's resolved sources, to recognise frames that
	// already name one (original.go).
	sourceSets map[string]*sourceIndex

	debugOnce sync.Once
	debugIDs  bundleIDs // Sentry debug IDs (events only)
	chunkIDs  bundleIDs // PostHog chunk IDs

	artifacts []namedBundle          // --bundle, searched after local files
	budget    *artifactbundle.Budget // what artifact bundles may decompress in a run
	virtual   map[string]virtualFile // artifact bundle entries by key
	chained   map[string]*chainEntry // intermediate files of map chains, by path
	absOnce   sync.Once
	byAbs     map[string]int // bundle index by absolute path, for map chains
}

// once returns the entry for key in m, made on first use; the caller fills
// it in with the entry's sync.Once, outside idx.mu, so that the bundles and
// maps of different frames are read and parsed in parallel.
func once[T any](idx *Index, m map[string]*T, key string) *T {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	e, ok := m[key]
	if !ok {
		e = new(T)
		m[key] = e
	}
	return e
}

// NewIndex scans dirs once for bundles and pairs each with its map, by the
// same rules inject uses.
func NewIndex(ctx context.Context, dirs []string) (*Index, error) {
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	scan, err := dist.Scan(ctx, dist.Options{Paths: dirs, Quick: true})
	if err != nil {
		return nil, err
	}
	idx := &Index{bundles: scan.Bundles, byBase: map[string][]int{}, cache: map[string]*parsedMap{}, scopes: map[string]*scopeEntry{}, sources: map[string]*sourceEntry{}, roots: map[string]*rootEntry{}, sourceSets: map[string]*sourceIndex{}, virtual: map[string]virtualFile{}, chained: map[string]*chainEntry{}}
	for i, b := range scan.Bundles {
		base := filepath.Base(b.Path)
		idx.byBase[base] = append(idx.byBase[base], i)
	}
	return idx, nil
}

// Match finds the local bundle for a frame's file: the one whose path has the
// longest common suffix with it (whole path components, at least the base
// name); nil when none or when two tie.
func (idx *Index) Match(frameFile string) *dist.Bundle {
	b, _ := idx.match(frameFile)
	return b
}

// match is Match that also says when candidates tie.
func (idx *Index) match(frameFile string) (b *dist.Bundle, ambiguous bool) {
	want := components(normaliseFrameFile(frameFile))
	if len(want) == 0 {
		return nil, false
	}
	best, bestLen, tie := -1, 0, false
	for _, i := range idx.byBase[want[len(want)-1]] {
		abs, err := filepath.Abs(idx.bundles[i].Path)
		if err != nil {
			continue
		}
		n := commonSuffix(components(filepath.ToSlash(abs)), want)
		switch {
		case n > bestLen:
			best, bestLen, tie = i, n, false
		case n == bestLen:
			tie = true
		}
	}
	if best < 0 || tie {
		return nil, tie
	}
	return &idx.bundles[best], false
}

// normaliseFrameFile turns a frame's URL or path into a slash path for
// suffix matching: no scheme and host, query or fragment; percent-decoded.
func normaliseFrameFile(f string) string {
	if i := strings.IndexAny(f, "?#"); i >= 0 {
		f = f[:i]
	}
	if u, err := url.Parse(f); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		f = u.Path
	} else if d, err := url.PathUnescape(f); err == nil {
		f = d
	}
	f = strings.ReplaceAll(f, "\\", "/")
	return strings.TrimPrefix(f, "~")
}

func components(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

func commonSuffix(a, b []string) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}

// close unmaps every file still mapped.
func (idx *Index) close() {
	idx.mu.Lock()
	var maps, srcs []string
	for k := range idx.cache {
		maps = append(maps, k)
	}
	for k := range idx.sources {
		srcs = append(srcs, k)
	}
	idx.mu.Unlock()
	for _, k := range maps {
		idx.releaseMap(k)
	}
	for _, k := range srcs {
		idx.releaseSource(k)
	}
}
