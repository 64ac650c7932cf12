package upload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mapback/mapback/internal/artifactbundle"
)

// The build cache remembers, for a set of inputs, the artifact bundle mapback built from them: its
// checksum and chunk names. A second upload of an unchanged tree then skips building (compressing
// every file again is most of an upload's CPU time): it hashes the files, finds the entry, and asks
// the server whether it holds those chunks. Only when the server answers that it has them all does
// the run end without building; otherwise the bundle is built and uploaded as usual.
//
// The key is a hash of everything the bundle is made of (every file's URL, type, headers, size and
// content checksums — see fileDigest — and the manifest's org, projects, release, dist and note),
// and an entry names a bundle that was built from exactly those inputs and whose chunks the server
// confirms it stores. A stale or corrupt entry costs a rebuild, not a wrong upload: the key is made
// of content, never of timestamps. (Skipping the read that computes the key is the tree record's
// job, treecache.go, under its own rules.)

// cacheVersion changes whenever the key or the entry format changes, so old entries are ignored.
const cacheVersion = 2

// maxCacheEntries bounds the directory; the oldest entries go first.
const maxCacheEntries = 200

type cacheEntry struct {
	Version   int       `json:"version"`
	Checksum  string    `json:"checksum"`
	DebugID   string    `json:"debug_id"`
	Size      int64     `json:"size"`
	ChunkSize int64     `json:"chunk_size"`
	Chunks    []string  `json:"chunks"`
	Written   time.Time `json:"written"`
	// Excluded are the files the bundle could not hold (reported again on a cache hit).
	Excluded []artifactbundle.SkippedFile `json:"excluded,omitempty"`
}

// inputKey hashes everything the bundle is built from. Field and record separators keep different
// inputs from hashing alike.
func inputKey(files *collection, opts *Options) string {
	h := sha256.New()
	fmt.Fprintf(h, "mapback upload cache v%d\x00org=%s\x00projects=%s\x00release=%s\x00dist=%s\x00note=%s\x00",
		cacheVersion, opts.Org, strings.Join(opts.Projects, "\x01"), opts.Release, opts.Dist, opts.Note)
	for i, f := range files.files {
		keys := make([]string, 0, len(f.Headers))
		for k := range f.Headers {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(h, "\x1e%s\x00%s\x00", f.URL, f.Type)
		for _, k := range keys {
			fmt.Fprintf(h, "%s=%s\x00", k, f.Headers[k])
		}
		d := files.digests[i]
		fmt.Fprintf(h, "%08x%08x\x00%d", d.ieee, d.castagnoli, d.size)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// buildCache is a directory of entries, one JSON file per key. Every failure to read or write it
// is ignored (logged at debug level by the caller): the cache only ever saves time.
type buildCache struct{ dir string }

func (c buildCache) enabled() bool { return c.dir != "" }

func (c buildCache) path(key string) string { return filepath.Join(c.dir, key+".json") }

func (c buildCache) load(ctx context.Context, key string) (*cacheEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(c.path(key))
	if err != nil {
		return nil, err
	}
	var e cacheEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	if e.Version != cacheVersion || e.Checksum == "" || e.ChunkSize <= 0 || len(e.Chunks) == 0 {
		return nil, errors.New("unusable cache entry")
	}
	return &e, nil
}

// store writes the entry atomically (a reader never sees half a file) and prunes old entries.
func (c buildCache) store(ctx context.Context, key string, e *cacheEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	e.Version, e.Written = cacheVersion, time.Now().UTC()
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := c.writeAtomic(c.path(key), data); err != nil {
		return err
	}
	c.prune()
	return nil
}

// writeAtomic writes data to path in the cache directory through a temporary file, so a reader
// never sees half of it.
func (c buildCache) writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(c.dir, ".entry-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// prune keeps the newest maxCacheEntries entries.
func (c buildCache) prune() {
	entries, err := os.ReadDir(c.dir)
	if err != nil || len(entries) <= maxCacheEntries {
		return
	}
	type aged struct {
		name string
		mod  time.Time
	}
	var all []aged
	for _, e := range entries {
		if info, err := e.Info(); err == nil && (strings.HasSuffix(e.Name(), ".json") || strings.HasSuffix(e.Name(), ".gob")) {
			all = append(all, aged{e.Name(), info.ModTime()})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].mod.After(all[j].mod) })
	for _, a := range all[min(len(all), maxCacheEntries):] {
		_ = os.Remove(filepath.Join(c.dir, a.name))
	}
}
