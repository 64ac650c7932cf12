// Package dist finds the JavaScript bundles and source maps under the given paths and pairs each
// bundle with its map, following docs/internals/inject.md §1-2 (the reference client's rules plus
// mapback's changes).
//
// Walking: every PATH is walked recursively. Hidden directories and node_modules below a PATH are
// skipped (a PATH itself is always walked); hidden files are processed. .gitignore and .ignore files
// inside the walked tree are honoured, each relative to its own directory, deeper files overriding
// shallower ones and .ignore overriding .gitignore in the same directory; the --ignore-file has the
// lowest precedence and --ignore globs always exclude. Symlinks are followed when they resolve inside
// the PATH they were found under; every directory and file is visited once (real paths win over
// paths through symlinks).
//
// Pairing: see pair.go.
package dist

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Options selects the files to scan.
type Options struct {
	Paths      []string // default ["."]
	Extensions []string // JS extensions, with or without a leading dot; default js, mjs, cjs; replaces the default when set
	Ignore     []string // doublestar globs, matched against the slash path relative to its PATH and against the base name; a matching directory is pruned
	IgnoreFile string   // gitignore syntax, patterns relative to the file's directory
	// Leftovers are name suffixes of files a caller leaves behind when
	// interrupted (inject's temporaries and journals); files ending in one
	// are listed in Result.Leftovers instead of being ignored.
	Leftovers []string
	// Quick pairs bundles by reading the end of each file, where the
	// sourceMappingURL comment is, instead of the whole file, and skips the
	// UTF-8 check the whole file would need. For callers that only look things
	// up (resolve, doctor); inject rewrites files and reads them whole.
	Quick bool
	// OnRead, when set, is called with the whole content of every bundle the
	// scan reads whole (all of them unless Quick), from several goroutines at
	// once; data is valid only during the call. A caller that needs more of a
	// bundle than its pairing (upload: its debug ID) takes it here instead of
	// reading the file a second time.
	OnRead func(path string, data []byte)
}

// Rule says how a bundle was paired with its map.
type Rule string

const (
	RuleComment Rule = "sourceMappingURL" // local file named by the last sourceMappingURL comment
	RuleDataURL Rule = "inline"           // data: URL in the comment
	RuleGuess   Rule = "co-located"       // a guess beside the bundle (docs/internals/inject.md §2 step 6)
	RuleNone    Rule = "none"
)

// Map is the source map paired with a bundle.
type Map struct {
	Path    string // cleaned path of the map file ("" when inline)
	Inline  []byte // decoded bytes of a data: URL map (nil otherwise)
	Rule    Rule
	URL     string // the sourceMappingURL value as written ("" for guesses; for data: URLs only the part up to the ',' followed by "…")
	Outside bool   // the map lies outside every PATH
}

// Bundle is one JavaScript file found under a PATH.
type Bundle struct {
	Path     string   // cleaned path as found (joined from the PATH the user gave)
	Root     string   // the PATH it was found under (cleaned)
	Map      *Map     // nil when no map was found
	Warnings []string // pairing problems that did not stop the bundle
	// SharedWith lists the other bundles paired with the same map. Only
	// byte-identical bundles share a map (a copy such as babylon.max.js
	// beside babylon.js): they get the same debug ID and one map edit.
	SharedWith []string
	Err        error // non-nil: this bundle cannot be processed; Map is nil. The message does not repeat Path.
}

// Skipped is a file or directory deliberately not processed: a dangling symlink, a symlink outside
// its PATH, an unreadable directory, a second path to an already found file, ...
type Skipped struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
	// Error marks what could not be read (a directory, an ignore file, a
	// symlink's target) or a PATH that cannot be processed, as opposed to a
	// deliberate skip: files below it may be bundles that were never seen,
	// so commands that write or upload fail rather than report success.
	Error bool `json:"error,omitempty"`
}

// Result is the outcome of Scan.
type Result struct {
	Bundles []Bundle  // sorted by Path
	Maps    []string  // every .map file collected under the PATHs, sorted
	Skipped []Skipped // sorted by Path
	// Leftovers are the files matching Options.Leftovers, sorted.
	Leftovers []string
	// Watched are the other inputs of the scan: every directory it listed and every ignore file it
	// read. With the bundles and maps, they are what a caller that remembers a scan must find
	// unchanged (a file added to or removed from a directory changes the directory).
	Watched []string
}

// DefaultExtensions are the JavaScript extensions used when Options.Extensions is empty.
var DefaultExtensions = []string{"js", "mjs", "cjs"}

// Scan walks opts.Paths, collects bundles and maps and pairs them. The error is only for fatal
// problems: a PATH that does not exist, an invalid --ignore glob, an unreadable --ignore-file, or a
// cancelled context. Problems with single files are reported in Result.
func Scan(ctx context.Context, opts Options) (*Result, error) {
	w, err := newWalker(ctx, opts)
	if err != nil {
		return nil, err
	}
	paths := opts.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	for _, p := range paths {
		if err := w.walkRoot(p); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res, err := w.pair()
	if err != nil {
		return nil, err
	}
	res.Watched = w.watched
	sort.Slice(res.Skipped, func(i, j int) bool {
		if res.Skipped[i].Path != res.Skipped[j].Path {
			return res.Skipped[i].Path < res.Skipped[j].Path
		}
		return res.Skipped[i].Reason < res.Skipped[j].Reason
	})
	return res, nil
}

// rootInfo is one PATH.
type rootInfo struct {
	path string // cleaned, as given
	abs  string // absolute
	real string // absolute, symlinks resolved
}

// found is a bundle or map file found by the walk.
type found struct {
	path    string // as found: joined from the PATH
	abs     string // absolute, symlinks not resolved
	real    string // absolute, symlinks resolved: the identity of the file
	root    *rootInfo
	viaLink bool // reached through a symlink
	isMap   bool
}

type dirJob struct {
	path       string // as found
	rel        string // slash path relative to the root, "" for the root
	real       string
	parentReal string // real path of the directory holding the symlink (link jobs only)
	root       *rootInfo
	ignores    []*ignoreSet
	link       bool // reached through a symlink
}

type walker struct {
	ctx        context.Context
	exts       []string // with the leading dot
	globs      []string
	ignoreFile *ignoreSet
	roots      []*rootInfo
	visited    map[string]string // real dir → path as walked
	byReal     map[string]int    // real file → index in files
	aliases    map[string]string // absolute path of every map found (also duplicates) → real
	files      []found
	skipped    []Skipped
	deferred   []dirJob
	leftovers  []string
	leftSuffix []string
	quick      bool // Options.Quick
	onRead     func(path string, data []byte)
	watched    []string
}

func newWalker(ctx context.Context, opts Options) (*walker, error) {
	w := &walker{
		ctx:     ctx,
		visited: map[string]string{},
		byReal:  map[string]int{},
		aliases: map[string]string{},

		leftSuffix: opts.Leftovers,
		quick:      opts.Quick,
		onRead:     opts.OnRead,
	}
	for _, e := range opts.Extensions {
		e = strings.TrimPrefix(strings.TrimSpace(e), ".")
		if e != "" {
			w.exts = append(w.exts, "."+e)
		}
	}
	if len(w.exts) == 0 {
		for _, e := range DefaultExtensions {
			w.exts = append(w.exts, "."+e)
		}
	}
	for _, g := range opts.Ignore {
		g = normalizeGlob(g)
		if g == "" {
			continue
		}
		if !doublestar.ValidatePattern(g) {
			return nil, fmt.Errorf("invalid --ignore pattern %q", g)
		}
		w.globs = append(w.globs, g)
	}
	if opts.IgnoreFile != "" {
		data, err := os.ReadFile(opts.IgnoreFile)
		if err != nil {
			return nil, fmt.Errorf("cannot read ignore file %s: %w", opts.IgnoreFile, errReason(err))
		}
		abs, err := filepath.Abs(filepath.Dir(opts.IgnoreFile))
		if err != nil {
			return nil, err
		}
		w.ignoreFile = &ignoreSet{absDir: abs, patterns: parseIgnore(data)}
		w.watched = append(w.watched, opts.IgnoreFile)
	}
	return w, nil
}

func (w *walker) skip(path, reason string) {
	w.skipped = append(w.skipped, Skipped{Path: path, Reason: reason})
}

// fail records what the walk could not read (see Skipped.Error).
func (w *walker) fail(path, reason string) {
	w.skipped = append(w.skipped, Skipped{Path: path, Reason: reason, Error: true})
}

// Errors returns the skipped entries that are errors.
func (r *Result) Errors() []Skipped {
	var out []Skipped
	for _, s := range r.Skipped {
		if s.Error {
			out = append(out, s)
		}
	}
	return out
}

func (w *walker) isBundleName(name string) bool {
	for _, e := range w.exts {
		if strings.HasSuffix(name, e) {
			return true
		}
	}
	return false
}

func isMapName(name string) bool { return strings.HasSuffix(name, ".map") }

func (w *walker) isLeftover(name string) bool {
	for _, s := range w.leftSuffix {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

func (w *walker) walkRoot(p string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	clean := filepath.Clean(p)
	info, err := os.Stat(clean)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("path %s does not exist", p)
		}
		return fmt.Errorf("path %s: %w", p, errReason(err))
	}
	abs, err := filepath.Abs(clean)
	if err != nil {
		return fmt.Errorf("path %s: %w", p, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Errorf("path %s: %w", p, errReason(err))
	}
	root := &rootInfo{path: clean, abs: abs, real: real}
	w.roots = append(w.roots, root)

	if !info.IsDir() {
		name := filepath.Base(clean)
		switch {
		case !info.Mode().IsRegular():
			w.fail(clean, "not a regular file ("+fileKind(info.Mode())+")")
		case w.isBundleName(name) || isMapName(name):
			w.addFile(clean, abs, real, root, false, !w.isBundleName(name))
		default:
			w.skip(clean, fmt.Sprintf("not a JavaScript file (extensions: %s) or source map", strings.Join(w.exts, ", ")))
		}
		return nil
	}
	w.walkDir(dirJob{path: clean, real: real, root: root})
	for len(w.deferred) > 0 {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		job := w.deferred[0]
		w.deferred = w.deferred[1:]
		w.walkDir(job)
	}
	return w.ctx.Err()
}

func (w *walker) walkDir(job dirJob) {
	if w.ctx.Err() != nil {
		return
	}
	if prev, ok := w.visited[job.real]; ok {
		switch {
		case !job.link:
			// A PATH inside (or equal to) one already walked: its files are already collected.
		case within(job.real, job.parentReal):
			w.skip(job.path, fmt.Sprintf("symlink loop: %s is an ancestor directory; not followed", job.real))
		default:
			w.skip(job.path, fmt.Sprintf("symlink to %s: directory already walked as %s", job.real, prev))
		}
		return
	}
	w.visited[job.real] = job.path
	w.watched = append(w.watched, job.path)

	entries, err := os.ReadDir(job.path)
	if err != nil {
		w.fail(job.path, "cannot read directory: "+errReason(err).Error())
		return
	}
	ignores := job.ignores
	for _, name := range [...]string{".gitignore", ".ignore"} {
		if !hasEntry(entries, name) {
			continue
		}
		p := filepath.Join(job.path, name)
		data, err := os.ReadFile(p)
		if err != nil {
			if fi, serr := os.Stat(p); serr == nil && fi.IsDir() {
				continue
			}
			w.fail(p, "cannot read ignore file: "+errReason(err).Error())
			continue
		}
		w.watched = append(w.watched, p)
		if pats := parseIgnore(data); len(pats) > 0 {
			ignores = append(ignores[:len(ignores):len(ignores)], &ignoreSet{base: job.rel, patterns: pats})
		}
	}

	for _, e := range entries {
		if w.ctx.Err() != nil {
			return
		}
		name := e.Name()
		p := filepath.Join(job.path, name)
		rel := name
		if job.rel != "" {
			rel = job.rel + "/" + name
		}
		mode := e.Type()
		isLink := mode&fs.ModeSymlink != 0
		var statErr error
		if isLink {
			var fi fs.FileInfo
			if fi, statErr = os.Stat(p); statErr == nil {
				mode = fi.Mode().Type()
			}
		}
		isDir := mode.IsDir()
		if isDir && (strings.HasPrefix(name, ".") || name == "node_modules") {
			continue
		}
		if w.ignored(job.root, ignores, rel, name, isDir) {
			continue
		}
		if !isDir && w.isLeftover(name) {
			w.leftovers = append(w.leftovers, filepath.Join(job.path, name))
			continue
		}
		if !isDir && statErr == nil && !w.isBundleName(name) && !isMapName(name) {
			continue
		}
		real := filepath.Join(job.real, name)
		if isLink {
			target, _ := os.Readlink(p)
			if statErr != nil {
				if errors.Is(statErr, fs.ErrNotExist) {
					w.skip(p, fmt.Sprintf("dangling symlink to %s", target))
				} else {
					w.fail(p, fmt.Sprintf("symlink to %s: %v", target, errReason(statErr)))
				}
				continue
			}
			r, err := filepath.EvalSymlinks(p)
			if err == nil {
				r, err = filepath.Abs(r)
			}
			if err != nil {
				w.fail(p, fmt.Sprintf("symlink to %s: %v", target, errReason(err)))
				continue
			}
			real = r
			if !within(job.root.real, real) {
				w.skip(p, fmt.Sprintf("symlink to %s outside %s: not followed", real, job.root.path))
				continue
			}
		}
		abs := filepath.Join(job.root.abs, filepath.FromSlash(rel))
		if isDir {
			child := dirJob{path: p, rel: rel, real: real, root: job.root, ignores: ignores, link: job.link || isLink}
			if isLink {
				child.parentReal = job.real
				w.deferred = append(w.deferred, child)
			} else {
				w.walkDir(child)
			}
			continue
		}
		if !mode.IsRegular() {
			w.skip(p, "not a regular file ("+fileKind(mode)+")")
			continue
		}
		w.addFile(p, abs, real, job.root, job.link || isLink, !w.isBundleName(name))
	}
}

// addFile records a bundle or map, once per real file: a path through a symlink gives way to a real
// path found later.
func (w *walker) addFile(path, abs, real string, root *rootInfo, viaLink, isMap bool) {
	if isMap {
		w.aliases[abs] = real
	}
	f := found{path: path, abs: abs, real: real, root: root, viaLink: viaLink, isMap: isMap}
	if i, ok := w.byReal[real]; ok {
		prev := w.files[i]
		if prev.viaLink && !viaLink {
			w.files[i] = f
			w.skip(prev.path, "same file as "+path+": not processed twice")
		} else {
			w.skip(path, "same file as "+prev.path+": not processed twice")
		}
		return
	}
	w.byReal[real] = len(w.files)
	w.files = append(w.files, f)
}

// ignored applies the --ignore globs, the --ignore-file and the ignore files of the tree.
func (w *walker) ignored(root *rootInfo, ignores []*ignoreSet, rel, name string, isDir bool) bool {
	for _, g := range w.globs {
		if ok, _ := doublestar.Match(g, rel); ok {
			return true
		}
		if ok, _ := doublestar.Match(g, name); ok {
			return true
		}
	}
	ignored := false
	if s := w.ignoreFile; s != nil {
		r := rel
		abs := filepath.Join(root.abs, filepath.FromSlash(rel))
		if x, err := filepath.Rel(s.absDir, abs); err == nil && !isDotDot(x) {
			r = filepath.ToSlash(x)
		}
		if m, neg := s.match(r, isDir); m {
			ignored = !neg
		}
	}
	for _, s := range ignores {
		r := rel
		if s.base != "" {
			r = strings.TrimPrefix(rel, s.base+"/")
		}
		if m, neg := s.match(r, isDir); m {
			ignored = !neg
		}
	}
	return ignored
}

func hasEntry(entries []fs.DirEntry, name string) bool {
	i := sort.Search(len(entries), func(i int) bool { return entries[i].Name() >= name })
	return i < len(entries) && entries[i].Name() == name
}

// within reports whether path p is dir or lies below it (both absolute and clean).
func within(dir, p string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && !isDotDot(r)
}

func isDotDot(rel string) bool {
	return rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// fileKind names what a non-regular file is, for messages.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	}
	return "not a plain file"
}

// errReason drops the operation and path from an *fs.PathError: callers name the file themselves.
func errReason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
