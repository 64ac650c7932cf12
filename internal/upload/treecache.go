package upload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mapback/mapback/internal/artifactbundle"
	"github.com/mapback/mapback/internal/buildinfo"
)

// The tree record lets an upload of an unchanged tree skip reading it. The build cache (cache.go)
// already skips building, but finding its key means reading and checksumming every file: on the
// scale bench build (10,042 files) that read was most of a repeated upload's time. A tree record
// keeps, for one set of options, what collect found (every file's URL, type, headers and content
// digest, and the report's lists) with the status of every input it came from: each bundle and map,
// each directory listed (adding, removing or renaming a file changes its directory) and each
// ignore file. When every input's size, modification and change times, inode and device are as
// recorded, the collection is the one recorded, and the run goes on from there exactly as if it had
// read the files: same build-cache key, same server question.
//
// The change time (ctime) is what makes this safe: the system sets it on every write and rename, and
// no user call can set it back. A file written in the same clock tick as it was last seen could
// still look unchanged, so a record is only written when every input's times are older than the
// start of the run by more than racyMargin (git's "racy clean" rule): a tree written moments before
// the upload, as in a CI job, is read in full until a later run finds it settled. Records are kept
// only for runs with no warnings and nothing skipped, so every path that could change the outcome is
// among the inputs. And only on local file systems whose status is authoritative (statTrusted): a
// network or FUSE mount may answer stat from a cache, and FAT keeps no change time. The key holds the
// mapback build, so a release that collects differently never reuses an older record. Linux only;
// elsewhere statOf reports nothing and every run reads the tree.

// treeVersion changes whenever the record's format or meaning changes.
const treeVersion = 1

// racyMargin is how much older than the run an input's times must be for a record to trust them:
// more than any file system's timestamp granularity (FAT's is 2 s).
var racyMargin = 3 * time.Second // a variable for the tests

// statEntry is what a record remembers of one input.
type statEntry struct {
	Path  string `json:"p"`
	Size  int64  `json:"s"`
	Mtime int64  `json:"m"` // nanoseconds since the epoch
	Ctime int64  `json:"c"`
	Ino   uint64 `json:"i"`
	Dev   uint64 `json:"d"`
	Mode  uint32 `json:"o"`
}

// savedFile is one file of the collection as a record keeps it.
type savedFile struct {
	artifactbundle.SourceFile
	IEEE       uint32 `json:"ieee"`
	Castagnoli uint32 `json:"castagnoli"`
	Size       int64  `json:"size"`
}

type treeRecord struct {
	Version int         `json:"version"`
	Inputs  []statEntry `json:"inputs"`
	Files   []savedFile `json:"files"`
	Scripts []Script    `json:"scripts"`
	Maps    []MapFile   `json:"maps"`
}

// treeKey names the record of a run's options: the working directory and the paths as given (the
// collection's paths are relative to both) and everything else that decides what collect finds.
func treeKey(opts *Options) string {
	wd, _ := os.Getwd()
	h := sha256.New()
	// The build too: a release that changes how files are collected (URLs, headers, types) must not
	// reuse what an older one recorded.
	b := buildinfo.Get()
	fmt.Fprintf(h, "mapback upload tree v%d\x00build=%s %s %s\x00wd=%s\x00", treeVersion, b.Version, b.Commit, b.Date, wd)
	for _, list := range [][]string{opts.Paths, opts.Extensions, opts.Ignore} {
		fmt.Fprintf(h, "%s\x1e", strings.Join(list, "\x00"))
	}
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", opts.IgnoreFile, opts.URLPrefix, opts.URLSuffix)
	return hex.EncodeToString(h.Sum(nil))
}

// trustedDirs says why the inputs' file systems cannot be trusted ("" when they can): each
// directory holding an input must be on one whose status is authoritative (statTrusted).
func trustedDirs(inputs []statEntry) string {
	seen := map[string]bool{}
	for _, in := range inputs {
		dir := filepath.Dir(in.Path)
		if seen[dir] {
			continue
		}
		seen[dir] = true
		if !statTrusted(dir) {
			return "file system of " + dir + " not trusted for status"
		}
	}
	return ""
}

// Records are gob, not JSON like the cache entries: the scale bench build's record is 7 MB of JSON,
// whose decoding took most of a run that reads nothing else.
func (c buildCache) treePath(key string) string { return filepath.Join(c.dir, "tree-"+key+".gob") }

// recalled is the collection of the record for opts when every input is unchanged, else nil.
func (c buildCache) recalled(ctx context.Context, opts *Options) (*collection, string) {
	if !c.enabled() || opts.BundleOut != "" {
		return nil, "disabled"
	}
	data, err := os.ReadFile(c.treePath(treeKey(opts)))
	if err != nil {
		return nil, "no record"
	}
	var r treeRecord
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&r); err != nil || r.Version != treeVersion || len(r.Inputs) == 0 {
		return nil, "unusable record"
	}
	if why := trustedDirs(r.Inputs); why != "" {
		return nil, why
	}
	for i, in := range r.Inputs {
		if i%512 == 0 && ctx.Err() != nil {
			return nil, "cancelled"
		}
		now, ok := statOf(in.Path)
		now.Path = in.Path
		if !ok || now != in {
			return nil, "changed: " + in.Path
		}
	}
	// As collect makes them: gob sends an empty list as nothing, and --json tells [] from null.
	col := &collection{scripts: r.Scripts, maps: r.Maps}
	if col.scripts == nil {
		col.scripts = []Script{}
	}
	if _, withMaps := splitExtensions(opts.Extensions); withMaps && col.maps == nil {
		col.maps = []MapFile{}
	}
	for _, f := range r.Files {
		col.files = append(col.files, f.SourceFile)
		col.digests = append(col.digests, fileDigest{ieee: f.IEEE, castagnoli: f.Castagnoli, size: f.Size})
	}
	return col, ""
}

// remember writes the record of a collection collect made in a run that started at start, unless
// the run had warnings or skipped files, or an input is too recent to be trusted (see above).
// Failures are ignored: the record only saves time.
func (c buildCache) remember(ctx context.Context, opts *Options, col *collection, start time.Time) string {
	if !c.enabled() || ctx.Err() != nil {
		return "disabled"
	}
	if len(col.warnings) > 0 || len(col.skipped) > 0 {
		return "warnings or skipped files"
	}
	paths := append([]string(nil), col.watched...)
	for _, f := range col.files {
		paths = append(paths, f.Path)
	}
	for _, s := range col.scripts {
		if s.Map != "" && s.Map != "inline" {
			paths = append(paths, s.Map) // a map outside the PATHs is not among the files
		}
	}
	seen := map[string]bool{}
	settled := start.Add(-racyMargin).UnixNano()
	r := treeRecord{Version: treeVersion, Scripts: col.scripts, Maps: col.maps}
	for _, p := range paths {
		if seen[p] {
			continue
		}
		seen[p] = true
		e, ok := statOf(p)
		if !ok {
			return "no status for " + p
		}
		if e.Mtime >= settled || e.Ctime >= settled {
			return "changed moments ago: " + p
		}
		e.Path = p
		r.Inputs = append(r.Inputs, e)
	}
	if why := trustedDirs(r.Inputs); why != "" {
		return why
	}
	for i, f := range col.files {
		d := col.digests[i]
		r.Files = append(r.Files, savedFile{SourceFile: f, IEEE: d.ieee, Castagnoli: d.castagnoli, Size: d.size})
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(r); err != nil {
		return err.Error()
	}
	if err := c.writeAtomic(c.treePath(treeKey(opts)), buf.Bytes()); err != nil {
		return err.Error()
	}
	return ""
}
