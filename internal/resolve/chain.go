package resolve

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mapback/mapback/internal/dist"
)

// Map chains (ECMA-426's transitive mapping): a build of two stages, such as
// tsc and then terser run without the first map as its input, leaves a map
// whose sources are the first stage's output files, each with a map of its
// own. resolve follows such a chain, one map per stage, to the sources the
// developer wrote, as long as each original file is a local file with a map
// and that map has a mapping at the position reached.

// maxChain bounds how many maps one frame goes through: real builds have two
// or three stages, and a longer chain is most likely a loop.
const maxChain = 8

// link is one step of a frame's chain: the intermediate position (1-based,
// as printed) that was looked up in the next map.
type link struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Map    string `json:"map"`
}

// chainEntry is an intermediate file, paired with its map once.
type chainEntry struct {
	once sync.Once
	b    *dist.Bundle // nil: not a file with a map
}

// follow continues a resolved frame through the maps of the files it
// resolves to, while each has a mapping at the position reached. It stops,
// keeping the last answer, at a file that is not local, that mayRead
// refuses, that has no map, or whose map maps nothing there (noted in
// res.chainStop). b is the frame's bundle.
func (r *resolver) follow(res *resolved, b *dist.Bundle) {
	seen := map[string]bool{b.Path: true}
	mapDir := bundleMapDir(b)
	for len(res.chain) < maxChain {
		path := res.sourcePath
		if path == "" || strings.Contains(path, "://") || !filepath.IsAbs(path) || seen[path] || !r.mayRead(path, mapDir) {
			return
		}
		seen[path] = true
		nb := r.idx.fileWithMap(r.ctx, path)
		if nb == nil {
			return
		}
		m, base, err := r.idx.mapFor(nb)
		if err != nil {
			res.chainStop = mapLabel(nb) + ": " + err.Error()
			return
		}
		here := fmt.Sprintf("%s:%d:%d", res.file, res.mapping.Line+1, res.mapping.Column+1)
		mp, ok, err := m.LookupErr(res.mapping.Line, res.mapping.Column)
		switch {
		case err != nil:
			res.chainStop = mapLabel(nb) + ": " + err.Error()
			return
		case !ok:
			res.chainStop = fmt.Sprintf("%s has its own map %s, which maps nothing at %s", res.file, mapLabel(nb), here)
			return
		case mp.SourceNull:
			res.chainStop = fmt.Sprintf("%s has its own map %s, which maps %s to a source it does not name", res.file, mapLabel(nb), here)
			return
		}
		res.chain = append(res.chain, link{File: res.file, Line: res.mapping.Line + 1, Column: res.mapping.Column + 1, Map: mapLabel(nb)})
		if mp.Problem != "" {
			res.warnings = append(res.warnings, mapLabel(nb)+": "+mp.Problem)
		}
		mp.Ignored = mp.Ignored || res.mapping.Ignored
		res.mapping, res.contentMap = mp, m
		src := m.ResolveSource(base, mp.SourceIndex)
		res.file, res.sourcePath = r.display(src), localPath(src)
		mapDir, res.chainBundle = bundleMapDir(nb), nb
	}
}

// bundleMapDir is the directory of b's map (of b, for an inline map).
func bundleMapDir(b *dist.Bundle) string {
	if b.Map == nil || b.Map.Path == "" {
		return filepath.Dir(b.Path)
	}
	return filepath.Dir(b.Map.Path)
}

// mapDir is the directory of the map the frame's source comes from.
func (res resolved) mapDir() string {
	if res.chainBundle != nil {
		return bundleMapDir(res.chainBundle)
	}
	return bundleMapDir(res.bundle)
}

// mayRead reports whether resolve may read a local file a map names (its
// original source, for context lines and map chains): only under --root
// (the working directory by default) or in the project of the map that
// names it. A map is input that anyone can write; it must not make resolve
// print or follow files the user did not point it at.
func (r *resolver) mayRead(path, mapDir string) bool {
	if under(r.opts.Root, path) {
		return true
	}
	project := dist.ProjectDir(mapDir)
	if project == "" {
		project = mapDir
	}
	return under(project, path)
}

// under reports whether path is dir or inside it.
func under(dir, path string) bool {
	if dir == "" {
		return false
	}
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// fileWithMap pairs a local file with its map by the rules inject uses
// (its sourceMappingURL, else a map beside it): a bundle under --maps, else
// the file on its own. nil when the file has no map.
func (idx *Index) fileWithMap(ctx context.Context, path string) *dist.Bundle {
	idx.absOnce.Do(func() {
		idx.byAbs = make(map[string]int, len(idx.bundles))
		for i := range idx.bundles {
			if abs, err := filepath.Abs(idx.bundles[i].Path); err == nil {
				idx.byAbs[abs] = i
			}
		}
	})
	if i, ok := idx.byAbs[path]; ok {
		if idx.bundles[i].Map == nil {
			return nil
		}
		return &idx.bundles[i]
	}
	e := once(idx, idx.chained, path)
	e.once.Do(func() {
		if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
			return
		}
		scan, err := dist.Scan(ctx, dist.Options{Paths: []string{path}, Quick: true})
		if err != nil || len(scan.Bundles) != 1 || scan.Bundles[0].Map == nil || scan.Bundles[0].Err != nil {
			return
		}
		e.b = &scan.Bundles[0]
	})
	return e.b
}
