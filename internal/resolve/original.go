package resolve

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/sourcemap"
	"github.com/mapback/mapback/internal/stacktrace"
)

// A trace that was already resolved (wrangler dev's log, node
// --enable-source-maps, a trace pasted after an earlier resolve) names
// original sources. Looked up again in a bundle whose name it happens to
// share (src/index.js and dist/index.js), its positions would be answered
// confidently and wrongly. A frame whose file is one of the sources of the
// map it was matched to is left as it is, with StatusOriginal.

// StatusOriginal is for a frame that already names an original source.
const StatusOriginal = "original"

// sourceIndex is the resolved sources of a map, as path components, by
// base name. Only the sources whose base name some frame of the input also
// has are resolved (most frames name the bundle, whose base name no source
// shares): resolving all of a large map's sources is a cost every frame would
// pay. Everything is copied out of the map, which may be unmapped later.
type sourceIndex struct {
	once   sync.Once
	byBase map[string][][]string
}

// originalSourceOf reports whether frameFile names one of m's sources
// rather than bundle b: the same path, or a longer common path ending (two
// components at least) than the bundle's.
func (r *resolver) originalSourceOf(frameFile string, b *dist.Bundle, m *sourcemap.Map, mapPath string) (string, bool) {
	e := r.sourceIndexOf(b, m, mapPath)
	want := components(normaliseFrameFile(frameFile))
	if len(want) == 0 {
		return "", false
	}
	cands := e.byBase[want[len(want)-1]]
	if len(cands) == 0 {
		return "", false
	}
	bundleAbs, _ := filepath.Abs(b.Path)
	bundleMatch := commonSuffix(components(filepath.ToSlash(bundleAbs)), want)
	for _, c := range cands {
		n := commonSuffix(c, want)
		if n == len(want) && n == len(c) || n >= 2 && n > bundleMatch {
			return "/" + path.Join(c...), true
		}
	}
	return "", false
}

// sourceIndexOf builds (once per map) the index of m's sources.
func (r *resolver) sourceIndexOf(b *dist.Bundle, m *sourcemap.Map, mapPath string) *sourceIndex {
	e := once(r.idx, r.idx.sourceSets, mapKey(b))
	e.once.Do(func() {
		e.byBase = map[string][][]string{}
		for i, s := range m.Sources() {
			base := rawBase(s)
			if base == "" || (r.frameBases != nil && !r.frameBases[base]) {
				continue
			}
			src, _ := r.resolveSource(b, m, mapPath, i)
			c := components(normaliseFrameFile(strings.Clone(src)))
			if len(c) > 0 {
				last := c[len(c)-1]
				e.byBase[last] = append(e.byBase[last], c)
			}
		}
	})
	return e
}

// frameBasesOf lists the base names of the frames' files, for sourceIndexOf.
func frameBasesOf(lines []stacktrace.Line) map[string]bool {
	out := map[string]bool{}
	for _, l := range lines {
		if l.Frame != nil {
			if c := components(normaliseFrameFile(l.Frame.File)); len(c) > 0 {
				out[c[len(c)-1]] = true
			}
		}
	}
	return out
}

// rawBase is the file name a raw sources entry ends with, without a query
// or fragment: what its resolved path will end with too.
func rawBase(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	s = strings.ReplaceAll(s, "\\", "/")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	if d, err := url.PathUnescape(s); err == nil {
		s = d
	}
	return s
}

// originalReason words StatusOriginal's reason.
func originalReason(frameFile, source, mapLabel string) string {
	return fmt.Sprintf("%s is already an original source (%s is one of the sources of %s): the trace was resolved before; left as it is", frameFile, source, mapLabel)
}

// knownOriginal reports whether frameFile names a source of a map this run
// has already read: for frames that matched no bundle at all (src/cart.js
// in a trace that was resolved before), once other frames' maps are known.
func (r *resolver) knownOriginal(frameFile string) (string, bool) {
	want := components(normaliseFrameFile(frameFile))
	if len(want) < 2 {
		return "", false
	}
	r.idx.mu.Lock()
	sets := make([]*sourceIndex, 0, len(r.idx.sourceSets))
	for _, e := range r.idx.sourceSets {
		sets = append(sets, e)
	}
	r.idx.mu.Unlock()
	for _, e := range sets {
		e.once.Do(func() {}) // built by sourceIndexOf; never build here
		for _, c := range e.byBase[want[len(want)-1]] {
			if commonSuffix(c, want) >= 2 {
				return "/" + path.Join(c...), true
			}
		}
	}
	return "", false
}

// maxOriginalProbe bounds how many local maps are read only to recognise
// frames that matched no bundle as original sources.
const maxOriginalProbe = 64

// readSourceSets builds the source index of every local map, when there are
// few: a trace resolved before may match no bundle at all.
func (r *resolver) readSourceSets() {
	if len(r.idx.bundles) > maxOriginalProbe {
		return
	}
	for i := range r.idx.bundles {
		b := &r.idx.bundles[i]
		if b.Map == nil || b.Err != nil || r.ctx.Err() != nil {
			continue
		}
		if m, mapPath, err := r.idx.mapFor(b); err == nil && m != nil {
			r.sourceIndexOf(b, m, mapPath)
		}
	}
}
