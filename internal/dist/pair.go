package dist

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/mapback/mapback/internal/mmapfile"
	"github.com/mapback/mapback/internal/rawfile"
)

// Pairing (docs/internals/inject.md §2 with mapback's changes):
//
//  1. The last sourceMappingURL comment of the bundle.
//  2. A data: URL is the map (RuleDataURL); undecodable → Bundle.Err.
//  3. A remote URL (a scheme other than data/file, or a host) → the guesses of step 6.
//  4. An absolute path (or file: URL) → used when it is an existing regular file, else step 6.
//  5. A relative path, joined to the bundle's directory → used when it is an existing regular file
//     (looked up as written, then percent-decoded; any file, inside the PATHs or not); else a
//     collected map differing in exactly one directory segment, if unique; else step 6.
//     A reference to a directory → Bundle.Err.
//  6. Guesses beside the bundle among the collected maps, for foo.min.js: foo.map, foo.min.js.map,
//     foo.js.map (only when the part after the first dot starts with "min."), foo.min.map; the first
//     collected one is the bundle's guess.
//
// Claims: a map referenced (steps 4-5) by more than one bundle is paired with none of them, unless
// those bundles are byte-identical copies, which then share it (Bundle.SharedWith). A guess
// is used only when no bundle references that map and no other bundle guesses it. A reference wins
// over guesses of the same map: the guessing bundles get no map, the referencing one keeps it.

// mapRef is a candidate map for a bundle.
type mapRef struct {
	path    string // as the user would see it: joined from the bundle's path
	key     string // real path: the identity used for claims
	outside bool
	note    string // extra warning (e.g. one-segment match)
}

// probe is what reading one bundle tells.
type probe struct {
	err      error
	url      string // raw sourceMappingURL value ("" when none)
	inline   []byte
	ref      *mapRef // explicit reference (steps 4-5)
	why      string  // why the comment was not usable and guesses were tried ("" when there was no comment)
	guess    *mapRef
	hasGuess bool // guesses were tried
}

type pairer struct {
	w      *walker
	byBase map[string][]string // base name → absolute paths (as found) of collected maps
	paths  map[string]string   // real path of a collected map → path as found

	// realDirs caches each directory's real path: resolving every map's path
	// component by component costs an lstat per component, per file.
	realDirsMu sync.Mutex
	realDirs   map[string]string
}

func (w *walker) pair() (*Result, error) {
	sort.Strings(w.leftovers)
	res := &Result{Skipped: w.skipped, Leftovers: w.leftovers}
	var bundles []*found
	pr := &pairer{w: w, byBase: map[string][]string{}, paths: map[string]string{}}
	for i := range w.files {
		f := &w.files[i]
		if f.isMap {
			res.Maps = append(res.Maps, f.path)
			pr.paths[f.real] = f.path
			base := filepath.Base(f.abs)
			pr.byBase[base] = append(pr.byBase[base], f.abs)
		} else {
			bundles = append(bundles, f)
		}
	}
	sort.Strings(res.Maps)
	for _, v := range pr.byBase {
		sort.Strings(v)
	}
	sort.Slice(bundles, func(i, j int) bool { return bundles[i].path < bundles[j].path })

	probes := make([]probe, len(bundles))
	jobs := make(chan int)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0) * 2
	if workers > len(bundles) {
		workers = len(bundles)
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if w.ctx.Err() != nil {
					continue
				}
				probes[i] = pr.probe(bundles[i])
			}
		}()
	}
	for i := range bundles {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := w.ctx.Err(); err != nil {
		return nil, err
	}

	explicit := map[string][]int{}
	guessed := map[string][]int{}
	for i := range probes {
		switch p := &probes[i]; {
		case p.err != nil:
		case p.ref != nil:
			explicit[p.ref.key] = append(explicit[p.ref.key], i)
		case p.guess != nil:
			guessed[p.guess.key] = append(guessed[p.guess.key], i)
		}
	}
	identical := map[string]bool{}
	shared := func(key string, c []int) bool {
		v, ok := identical[key]
		if !ok {
			v = identicalFiles(bundles, c)
			identical[key] = v
		}
		return v
	}
	names := func(idx []int) string {
		s := make([]string, len(idx))
		for k, i := range idx {
			s[k] = bundles[i].path
		}
		return strings.Join(s, ", ")
	}

	res.Bundles = make([]Bundle, len(bundles))
	for i, f := range bundles {
		p := &probes[i]
		b := Bundle{Path: f.path, Root: f.root.path}
		switch {
		case p.err != nil:
			b.Err = p.err
		case p.inline != nil:
			b.Map = &Map{Inline: p.inline, Rule: RuleDataURL, URL: shortDataURL(p.url)}
		case p.ref != nil:
			if p.ref.note != "" {
				b.Warnings = append(b.Warnings, p.ref.note)
			}
			if c := explicit[p.ref.key]; len(c) > 1 && shared(p.ref.key, c) {
				b.Map = &Map{Path: p.ref.path, Rule: RuleComment, URL: p.url, Outside: p.ref.outside}
				for _, j := range c {
					if j != i {
						b.SharedWith = append(b.SharedWith, bundles[j].path)
					}
				}
			} else if len(c) > 1 {
				b.Warnings = append(b.Warnings, fmt.Sprintf("map %s is claimed by %d bundles (%s): treated as having no map", p.ref.path, len(c), names(c)))
			} else {
				b.Map = &Map{Path: p.ref.path, Rule: RuleComment, URL: p.url, Outside: p.ref.outside}
			}
		case p.hasGuess:
			var conflict string
			if p.guess != nil {
				if c := explicit[p.guess.key]; len(c) > 0 {
					conflict = fmt.Sprintf("could not determine a source map reference: co-located map %s is referenced by %s", p.guess.path, names(c))
				} else if c := guessed[p.guess.key]; len(c) > 1 {
					conflict = fmt.Sprintf("could not determine a source map reference: map %s is claimed by %d bundles (%s): treated as having no map", p.guess.path, len(c), names(c))
				}
			}
			switch {
			case p.guess != nil && conflict == "":
				b.Map = &Map{Path: p.guess.path, Rule: RuleGuess, Outside: p.guess.outside}
				if p.why != "" {
					b.Warnings = append(b.Warnings, fmt.Sprintf("sourceMappingURL %s %s: using co-located %s", p.url, p.why, p.guess.path))
				}
			case p.guess != nil:
				if p.why != "" {
					b.Warnings = append(b.Warnings, fmt.Sprintf("sourceMappingURL %s %s", p.url, p.why))
				}
				b.Warnings = append(b.Warnings, conflict)
			case p.why != "":
				b.Warnings = append(b.Warnings, fmt.Sprintf("sourceMappingURL %s %s and no co-located map was found", p.url, p.why))
			}
		}
		res.Bundles[i] = b
	}
	return res, nil
}

// identicalFiles reports whether the bundles at idx have the same bytes. It
// runs only for maps with several claimants, so the common case reads
// nothing twice.
func identicalFiles(bundles []*found, idx []int) bool {
	first, err := os.ReadFile(bundles[idx[0]].path)
	if err != nil {
		return false
	}
	for _, i := range idx[1:] {
		other, err := os.ReadFile(bundles[i].path)
		if err != nil || !bytes.Equal(first, other) {
			return false
		}
	}
	return true
}

// shortDataURL keeps the header of a data: URL: the data itself can be megabytes.
func shortDataURL(u string) string {
	if k := strings.IndexByte(u, ','); k >= 0 && k+1 < len(u) {
		return u[:k+1] + "…"
	}
	return u
}

const binaryProbe = 8 << 10

func (pr *pairer) probe(f *found) probe {
	var p probe
	var (
		raw string
		ok  bool
	)
	if pr.w.quick {
		raw, ok, p.err = quickComment(f.path, pr.w.onRead)
	} else {
		raw, ok, p.err = fullComment(f.path, pr.w.onRead)
	}
	if p.err != nil {
		return p
	}
	if ok {
		p.url = raw
		pr.resolveComment(f, raw, &p)
		if p.err != nil || p.inline != nil || p.ref != nil {
			return p
		}
	}
	p.hasGuess = true
	p.guess = pr.guess(f)
	return p
}

// fullComment reads the whole bundle, checks that it is UTF-8 text, and finds its last
// sourceMappingURL comment. onRead, when not nil, gets the bytes first.
func fullComment(path string, onRead func(string, []byte)) (raw string, ok bool, err error) {
	// Small files are read into pooled buffers, so a scan of thousands of bundles makes no
	// garbage of their bytes (raw is a copy).
	data, free, err := mmapfile.Read(path)
	if err != nil {
		return "", false, fmt.Errorf("cannot read: %w", errReason(err))
	}
	defer free()
	if onRead != nil {
		onRead(path, data)
	}
	if bytes.IndexByte(data[:min(len(data), binaryProbe)], 0) >= 0 {
		return "", false, errors.New("not a JavaScript file (binary data)")
	}
	if !utf8.Valid(data) {
		return "", false, fmt.Errorf("not valid UTF-8 (at byte %d)", invalidUTF8At(data))
	}
	raw, _, _, ok = findSourceMappingURL(data)
	return raw, ok, nil
}

// quickTail is how much of a bundle's end Quick reads first: the comment is the last line of
// nearly every bundle, so a 14 MB bundle costs 64 KiB instead of 14 MB read and checked.
const quickTail = 64 << 10

// quickComment finds the last sourceMappingURL comment from the end of the file. When the tail
// does not settle it (no comment there, a comment that might not start its line in the whole
// file, a data: URL longer than the tail), it falls back to reading the whole file, so the answer
// is always the one fullComment gives, UTF-8 check aside.
func quickComment(path string, onRead func(string, []byte)) (raw string, ok bool, err error) {
	f, err := rawfile.Open(path)
	if err != nil {
		return "", false, fmt.Errorf("cannot read: %w", errReason(err))
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return "", false, fmt.Errorf("cannot read: %w", errReason(err))
	}
	size := fi.Size()
	if size <= quickTail {
		return fullComment(path, onRead)
	}
	head := make([]byte, binaryProbe)
	if _, err := io.ReadFull(f, head); err != nil {
		return "", false, fmt.Errorf("cannot read: %w", errReason(err))
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return "", false, errors.New("not a JavaScript file (binary data)")
	}
	tail := make([]byte, quickTail)
	if _, err := f.ReadAt(tail, size-quickTail); err != nil {
		return "", false, fmt.Errorf("cannot read: %w", errReason(err))
	}
	raw, lineStart, _, found := findSourceMappingURL(tail)
	if !found || lineStart == 0 {
		// Not in the tail, or at its very first byte, where a line start cannot be told from the
		// middle of a line: read it all.
		return fullComment(path, onRead)
	}
	return raw, true, nil
}

// resolveComment applies steps 2-5 to the comment value raw; on failure it sets p.why.
// EmbeddedMapError is a bundle's inline source map (a data: URL) that does not decode. doctor
// reports it as a broken map rather than an unreadable bundle, so it is a type, not a message.
type EmbeddedMapError struct{ Err error }

func (e *EmbeddedMapError) Error() string { return "embedded source map is " + e.Err.Error() }
func (e *EmbeddedMapError) Unwrap() error { return e.Err }

func (pr *pairer) resolveComment(f *found, raw string, p *probe) {
	v := stripQuery(raw)
	if v == "" {
		p.why = "is empty"
		return
	}
	if isDataURL(v) {
		m, err := DecodeDataURL(v)
		if err != nil {
			p.err = &EmbeddedMapError{Err: err}
			return
		}
		if m == nil {
			m = []byte{}
		}
		p.inline = m
		return
	}
	local := v
	if u, err := url.Parse(v); err == nil && (len(u.Scheme) > 1 || u.Host != "") {
		if !strings.EqualFold(u.Scheme, "file") || (u.Host != "" && u.Host != "localhost") {
			p.why = "is remote"
			return
		}
		local = u.Path
		if local == "" {
			local = u.Opaque
		}
	}
	isAbs := filepath.IsAbs(filepath.FromSlash(local)) || strings.HasPrefix(local, "/")
	candidates := []string{local}
	if dec, err := url.PathUnescape(local); err == nil && dec != local {
		candidates = append(candidates, dec)
	}
	why := "does not exist"
	for _, c := range candidates {
		path, abs := filepath.Clean(filepath.FromSlash(c)), ""
		if isAbs {
			abs = path
		} else {
			path = filepath.Join(filepath.Dir(f.path), filepath.FromSlash(c))
			abs = filepath.Join(filepath.Dir(f.abs), filepath.FromSlash(c))
		}
		fi, err := os.Stat(abs)
		if err != nil {
			continue
		}
		if fi.IsDir() {
			p.err = fmt.Errorf("sourceMappingURL points to a directory: %s", path)
			return
		}
		if !fi.Mode().IsRegular() {
			why = "is not a regular file (" + fileKind(fi.Mode()) + ")"
			continue
		}
		p.ref = pr.ref(path, abs)
		return
	}
	if !isAbs {
		abs := filepath.Join(filepath.Dir(f.abs), filepath.FromSlash(local))
		if real, ok := pr.oneSegment(abs); ok {
			path := pr.paths[real]
			p.ref = &mapRef{path: path, key: real, outside: pr.outside(real),
				note: fmt.Sprintf("sourceMappingURL %s does not exist: using %s (differs in one directory)", raw, path)}
			return
		}
	}
	p.why = why
}

func (pr *pairer) ref(path, abs string) *mapRef {
	real := pr.realPath(abs)
	return &mapRef{path: path, key: real, outside: pr.outside(real)}
}

// realPath is filepath.EvalSymlinks(abs), or abs when that fails, with each
// directory resolved once: a file that is not a symlink itself lies at its
// directory's real path.
func (pr *pairer) realPath(abs string) string {
	if fi, err := os.Lstat(abs); err != nil || fi.Mode()&os.ModeSymlink != 0 {
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			return real
		}
		return abs
	}
	dir := filepath.Dir(abs)
	pr.realDirsMu.Lock()
	realDir, ok := pr.realDirs[dir]
	pr.realDirsMu.Unlock()
	if !ok {
		var err error
		if realDir, err = filepath.EvalSymlinks(dir); err != nil {
			realDir = dir
		}
		pr.realDirsMu.Lock()
		if pr.realDirs == nil {
			pr.realDirs = map[string]string{}
		}
		pr.realDirs[dir] = realDir
		pr.realDirsMu.Unlock()
	}
	return filepath.Join(realDir, filepath.Base(abs))
}

func (pr *pairer) outside(real string) bool {
	for _, r := range pr.w.roots {
		if within(r.real, real) {
			return false
		}
	}
	return true
}

// oneSegment finds the unique collected map whose absolute path differs from abs in exactly one
// directory segment (never the file name) and returns its real path.
func (pr *pairer) oneSegment(abs string) (string, bool) {
	want := splitPath(abs)
	var hit string
	n := 0
	for _, cand := range pr.byBase[filepath.Base(abs)] {
		got := splitPath(cand)
		if len(got) != len(want) {
			continue
		}
		diff := 0
		for k := range got {
			if got[k] != want[k] {
				diff++
			}
		}
		if diff == 1 {
			hit = cand
			n++
		}
	}
	if n != 1 {
		return "", false
	}
	return pr.w.aliases[hit], true
}

func splitPath(p string) []string {
	return strings.Split(filepath.ToSlash(p), "/")
}

// guessNames are the co-located candidates for a bundle name, in the reference client's order.
func guessNames(name string) []string {
	var out []string
	add := func(s string) {
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	first := strings.IndexByte(name, '.')
	if first > 0 {
		add(name[:first] + ".map")
	}
	add(name + ".map")
	if first > 0 {
		if rest, ok := strings.CutPrefix(name[first+1:], "min."); ok {
			add(name[:first] + "." + rest + ".map")
		}
	}
	if ext := filepath.Ext(name); ext != "" && len(ext) < len(name) {
		add(strings.TrimSuffix(name, ext) + ".map")
	}
	return out
}

func (pr *pairer) guess(f *found) *mapRef {
	dir := filepath.Dir(f.abs)
	for _, g := range guessNames(filepath.Base(f.abs)) {
		real, ok := pr.w.aliases[filepath.Join(dir, g)]
		if !ok {
			continue
		}
		if _, collected := pr.paths[real]; !collected {
			continue
		}
		return &mapRef{path: filepath.Join(filepath.Dir(f.path), g), key: real, outside: pr.outside(real)}
	}
	return nil
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}
