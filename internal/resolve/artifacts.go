package resolve

import (
	"github.com/mapback/mapback/internal/artifactbundle"
	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/readcap"
)

// Sentry artifact bundles (--bundle, and those --server fetches), searched
// after the local files: their entries become virtual files of the index.

// artifactBudget is what the --bundle artifact bundles of one run may
// decompress together; a variable so tests can make a bomb small.
var artifactBudget int64 = readcap.ArtifactBundles

// virtualFile is a file inside an artifact bundle, known to the index by a
// key of the form "artifact:<bundle>!<entry>".
type virtualFile struct {
	read func() ([]byte, error)
	base string // the entry's URL, for resolving a map's sources
}

type namedBundle struct {
	path string
	b    *artifactbundle.Bundle
}

// fromArtifactBundles finds the frame's minified file in the --bundle
// artifact bundles (by URL, as the server matches it) and returns it as a
// bundle whose map is the entry's source map.
func (idx *Index) fromArtifactBundles(frameFile string) *dist.Bundle {
	for _, nb := range idx.artifacts {
		if zp, _, ok := nb.b.FindByURL(frameFile); ok {
			return idx.artifactEntry(nb, zp)
		}
	}
	return nil
}

// artifactByDebugID finds the minified file with debug ID id in the --bundle
// artifact bundles.
func (idx *Index) artifactByDebugID(id string) *dist.Bundle {
	for _, nb := range idx.artifacts {
		if zp, ok := nb.b.FindByDebugID(id, "minified_source"); ok {
			return idx.artifactEntry(nb, zp)
		}
	}
	return nil
}

// artifactEntry registers a minified file of an artifact bundle, and its map,
// as virtual files and returns it as a bundle.
func (idx *Index) artifactEntry(nb namedBundle, zp string) *dist.Bundle {
	ab := nb.b
	entry, _ := ab.Entry(zp)
	b := &dist.Bundle{Path: "artifact:" + nb.path + "!" + zp}
	idx.mu.Lock()
	defer idx.mu.Unlock()
	idx.virtual[b.Path] = virtualFile{read: func() ([]byte, error) { return ab.ReadFile(zp) }, base: entry.URL}
	if mz, ok := ab.SourceMapFor(zp); ok {
		key := "artifact:" + nb.path + "!" + mz
		mapURL := entry.URL
		if me, ok := ab.Entry(mz); ok {
			mapURL = me.URL
		}
		idx.virtual[key] = virtualFile{read: func() ([]byte, error) { return ab.ReadFile(mz) }, base: mapURL}
		b.Map = &dist.Map{Path: key, Rule: "bundle"}
	}
	return b
}
