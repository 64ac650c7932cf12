package resolve

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/sourcemap"
)

// wrangler writes its --outdir into "sourceRoot" as typed, relative to the
// directory it ran in (the Worker project), while the sources are relative
// to the map: `wrangler deploy --outdir dist` gives "sourceRoot": "dist" and
// "sources": ["../src/index.js"], which read literally name dist/src/index.js
// instead of src/index.js. Such a sourceRoot is left out when the evidence
// says so, and the frame's map says it was (jsonMap.SourceRootIgnored):
//
//   - a wrangler.toml, wrangler.json or wrangler.jsonc in a directory above
//     the map from which the map's directory is exactly sourceRoot; or
//   - none of the sources exists with sourceRoot, and some exist without it.
//
// Only local maps are judged: files on disk are the evidence.

type rootEntry struct {
	once   sync.Once
	ignore string // why sourceRoot is left out; "" to keep it
}

// maxProjectDepth is how far above a map a Worker project is looked for.
const maxProjectDepth = 4

// maxRootProbe bounds the sources checked on disk.
const maxRootProbe = 64

// resolveSource resolves source i of b's map, leaving out a project-relative
// sourceRoot; ignored says why it was left out.
func (r *resolver) resolveSource(b *dist.Bundle, m *sourcemap.Map, mapPath string, i int) (src, ignored string) {
	root := m.SourceRoot()
	if root == "" || m.IsIndexMap() || r.idx.isVirtualMap(b) || mapPath == "" || strings.Contains(root, ":") || path.IsAbs(root) {
		return m.ResolveSource(mapPath, i), ""
	}
	e := once(r.idx, r.idx.roots, mapPath)
	e.once.Do(func() { e.ignore = projectRelativeRoot(m, mapPath, root) })
	if e.ignore == "" {
		return m.ResolveSource(mapPath, i), ""
	}
	return m.ResolveSourceWithoutRoot(mapPath, i), e.ignore
}

// projectRelativeRoot says why sourceRoot root of the map at mapPath is
// relative to a project rather than to the map, or "" when it is not.
func projectRelativeRoot(m *sourcemap.Map, mapPath, root string) string {
	mapDir, err := filepath.Abs(filepath.Dir(mapPath))
	if err != nil {
		return ""
	}
	if cfg := dist.WorkerProject(filepath.Dir(mapDir), maxProjectDepth-1); cfg != "" {
		if rel, err := filepath.Rel(filepath.Dir(cfg), mapDir); err == nil && filepath.ToSlash(rel) == path.Clean(root) {
			return fmt.Sprintf("sourceRoot %q is wrangler's --outdir, relative to the Worker project (%s), not to the map: sources are read relative to the map", root, cfg)
		}
	}
	with, without, n := 0, 0, 0
	for i := range m.Sources() {
		if n == maxRootProbe {
			break
		}
		a, b := localPath(m.ResolveSource(mapPath, i)), localPath(m.ResolveSourceWithoutRoot(mapPath, i))
		if a == "" || strings.Contains(a, "://") {
			continue
		}
		n++
		if isFile(a) {
			with++
		}
		if isFile(b) {
			without++
		}
	}
	if with == 0 && without > 0 {
		return fmt.Sprintf("sourceRoot %q leads to none of the map's sources on disk, while without it %d of %d exist: sources are read relative to the map (wrangler writes a project-relative sourceRoot)",
			root, without, n)
	}
	return ""
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
