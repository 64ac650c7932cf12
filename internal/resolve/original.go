package resolve

import (
	"fmt"
	"path"
	"path/filepath"
	"sync"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/sourcemap"
)

// A trace that was already resolved (wrangler dev's log, node
// --enable-source-maps, a trace pasted after an earlier resolve) names
// original sources. Looked up again in a bundle whose name it happens to
// share (src/index.js and dist/index.js), its positions would be answered
// confidently and wrongly. A frame whose file is one of the sources of the
// map it was matched to is left as it is, with StatusOriginal.

// StatusOriginal is for a frame that already names an original source.
const StatusOriginal = "original"

// sourceIndex is a map's resolved sources by base name, as path components.
type sourceIndex struct {
	once   sync.Once
	byBase map[string][][]string
}

// originalSourceOf reports whether frameFile names one of m's sources
// rather than bundle b: the same path, or a longer common path ending (two
// components at least) than the bundle's.
func (r *resolver) originalSourceOf(frameFile string, b *dist.Bundle, m *sourcemap.Map, mapPath string) (string, bool) {
	e := once(r.idx, r.idx.sourceSets, mapKey(b))
	e.once.Do(func() {
		e.byBase = map[string][][]string{}
		for i := range m.Sources() {
			src, _ := r.resolveSource(b, m, mapPath, i)
			if src == "" {
				continue
			}
			c := components(normaliseFrameFile(src))
			if len(c) > 0 {
				e.byBase[c[len(c)-1]] = append(e.byBase[c[len(c)-1]], c)
			}
		}
	})
	want := components(normaliseFrameFile(frameFile))
	if len(want) == 0 {
		return "", false
	}
	bundleAbs, _ := filepath.Abs(b.Path)
	bundleMatch := commonSuffix(components(filepath.ToSlash(bundleAbs)), want)
	for _, c := range e.byBase[want[len(want)-1]] {
		n := commonSuffix(c, want)
		if n == len(want) && n == len(c) || n >= 2 && n > bundleMatch {
			return "/" + path.Join(c...), true
		}
	}
	return "", false
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
		e.once.Do(func() {}) // built by originalSourceOf; never build here
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
			r.originalSourceOf("", b, m, mapPath)
		}
	}
}
