package resolve

import (
	"context"
	"fmt"

	"github.com/mapback/mapback/internal/artifactbundle"
	"github.com/mapback/mapback/internal/dist"
)

// Server fetches what a server holds for an event's IDs (resolve --server):
// the Sentry artifact bundles holding a debug ID's files, and the PostHog
// symbol set of a chunk ID. Implemented by serverfetch, which caches.
type Server interface {
	SentryBundles(ctx context.Context, debugID string) ([]string, error)
	PostHogSymbols(ctx context.Context, chunkID string) (src, sourceMap []byte, found bool, err error)
}

// FoundByServer is how a frame's map was found when it came from a server.
const FoundByServer = "server"

// fromServerByDebugID asks the server for the artifact bundles of a debug
// ID and looks the ID up in them; why says what went wrong when nothing
// came of it.
func (r *resolver) fromServerByDebugID(id string) (b *dist.Bundle, why string) {
	if r.opts.Server == nil {
		return nil, ""
	}
	paths, err := r.opts.Server.SentryBundles(r.ctx, id)
	if err != nil {
		return nil, err.Error()
	}
	r.idx.mu.Lock()
	have := map[string]bool{}
	for _, nb := range r.idx.artifacts {
		have[nb.path] = true
	}
	r.idx.mu.Unlock()
	for _, p := range paths {
		if have[p] {
			continue
		}
		ab, err := artifactbundle.Open(r.ctx, p)
		if err != nil {
			return nil, fmt.Sprintf("the server's artifact bundle for debug ID %s is not readable: %v", id, err)
		}
		ab.SetBudget(r.idx.budget)
		r.idx.mu.Lock()
		r.idx.artifacts = append(r.idx.artifacts, namedBundle{path: p, b: ab})
		r.idx.mu.Unlock()
	}
	if b := r.idx.artifactByDebugID(id); b != nil {
		return b, ""
	}
	return nil, "the Sentry server holds no files for debug ID " + id
}

// fromServerByChunkID asks PostHog for a chunk ID's symbol set and makes
// its bundle and map a local bundle with that chunk ID. frameFile serves as
// their location, for the map's relative sources.
func (r *resolver) fromServerByChunkID(id, frameFile string) (b *dist.Bundle, why string) {
	if r.opts.Server == nil {
		return nil, ""
	}
	src, m, found, err := r.opts.Server.PostHogSymbols(r.ctx, id)
	switch {
	case err != nil:
		return nil, err.Error()
	case !found:
		return nil, "PostHog holds no symbol set for chunk ID " + id
	}
	key := "posthog:" + id
	nb := dist.Bundle{Path: key, Map: &dist.Map{Path: key + ".map", Rule: FoundByServer}}
	r.idx.mu.Lock()
	defer r.idx.mu.Unlock()
	r.idx.virtual[nb.Path] = virtualFile{read: func() ([]byte, error) { return src, nil }, base: frameFile}
	r.idx.virtual[nb.Map.Path] = virtualFile{read: func() ([]byte, error) { return m, nil }, base: frameFile + ".map"}
	r.idx.bundles = append(r.idx.bundles, nb)
	i := len(r.idx.bundles) - 1
	r.idx.chunkIDs.add(id, i, nb.Path)
	return &r.idx.bundles[i], ""
}

// closeArtifacts closes the artifact bundles the server added.
func (idx *Index) closeArtifacts(from int) {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	for _, nb := range idx.artifacts[from:] {
		_ = nb.b.Close()
	}
}
