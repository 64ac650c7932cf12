package resolve

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/mmapfile"
	"github.com/mapback/mapback/internal/readcap"
	"github.com/mapback/mapback/internal/sourcemap"
)

// The source maps of the index: each read (memory-mapped when it is a
// regular file) and parsed once, kept while frames need it.

type parsedMap struct {
	once  sync.Once
	m     *sourcemap.Map
	err   error
	free  func() // unmaps the map's file (openMap); nil once freed
	evict func() // drops its pages from memory (openMap)
}

// mapKey is the index's cache key for bundle b's map.
func mapKey(b *dist.Bundle) string {
	switch {
	case b.Map == nil:
		return "\x00nomap:" + b.Path
	case b.Map.Path == "":
		return "inline:" + b.Path
	}
	return b.Map.Path
}

// readMap reads a source map whole, within readcap.SourceMap.
func readMap(path string) ([]byte, error) {
	return readcap.JSONFile(path, readcap.SourceMap, "the file")
}

// openMap is readMap with a regular file memory-mapped (mapFile); anything
// else (a pipe from a shell's process substitution, a device) is read
// within the bound.
func openMap(path string) (data []byte, free, evict func(), err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, nil, err
	}
	if !st.Mode().IsRegular() {
		data, err := readMap(path)
		return data, func() {}, func() {}, err
	}
	if st.Size() > readcap.SourceMap {
		return nil, nil, nil, &readcap.TooLargeError{What: "the file", Limit: readcap.SourceMap}
	}
	return mmapfile.Map(path)
}

// isVirtualMap reports whether b's map came from an artifact bundle or a
// server, not from a file the user pointed at.
func (idx *Index) isVirtualMap(b *dist.Bundle) bool {
	key := b.Map.Path
	if key == "" {
		key = b.Path
	}
	idx.mu.Lock()
	defer idx.mu.Unlock()
	_, ok := idx.virtual[key]
	return ok
}

// mapFor parses (once) the map paired with bundle b.
func (idx *Index) mapFor(b *dist.Bundle) (*sourcemap.Map, string, error) {
	if b.Map == nil {
		return nil, "", nil
	}
	key, base := b.Map.Path, b.Map.Path
	if key == "" { // inline: sources resolve against the bundle
		key, base = "inline:"+b.Path, b.Path
	}
	idx.mu.Lock()
	v, isVirtual := idx.virtual[key]
	idx.mu.Unlock()
	if isVirtual {
		base = v.base // a map inside an artifact bundle: sources resolve against its URL
	} else {
		base, _ = filepath.Abs(base)
	}
	pm := once(idx, idx.cache, key)
	pm.once.Do(func() {
		data := b.Map.Inline
		var err error
		switch {
		case isVirtual:
			data, err = v.read()
		case data == nil:
			data, pm.free, pm.evict, err = openMap(b.Map.Path)
		}
		if err == nil {
			var load sourcemap.Loader
			if !isVirtual && b.Map.Path != "" {
				load = sectionLoader(b.Map.Path)
			}
			pm.m, err = sourcemap.ParseLazy(data, load)
		}
		pm.err = err
	})
	return pm.m, base, pm.err
}

// sectionLoader reads the maps an index map's "url" sections name, relative
// to the index map's directory. resolve works offline: remote URLs are not
// fetched.
func sectionLoader(indexMap string) sourcemap.Loader {
	return func(u string) ([]byte, error) {
		if parsed, err := url.Parse(u); err == nil && parsed.Scheme != "" && parsed.Scheme != "file" {
			return nil, fmt.Errorf("%s is remote; resolve reads only local files", u)
		}
		p := localPath(u)
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(indexMap), filepath.FromSlash(p))
		}
		return readMap(p)
	}
}

// evictMap drops a source map's pages from memory once its frames are
// looked up; naming reads a few of them again.
func (idx *Index) evictMap(key string) {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if pm := idx.cache[key]; pm != nil && pm.free != nil && pm.evict != nil {
		pm.evict()
	}
}

// releaseMap unmaps a source map once no frame needs it.
func (idx *Index) releaseMap(key string) {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if pm := idx.cache[key]; pm != nil && pm.free != nil {
		pm.m = nil
		pm.free()
		pm.free = nil
	}
}
