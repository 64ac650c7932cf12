package resolve

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/mapback/mapback/internal/jsscope"
	"github.com/mapback/mapback/internal/readcap"
	"github.com/mapback/mapback/internal/sourcemap"
)

// Function names. The rule: the name printed for a frame is never less
// informative, nor less true, than the one the runtime printed.
//
//   - The truth is the function that encloses the frame's ORIGINAL position,
//     found by parsing the original source (the map's sourcesContent, or
//     the file resolve may read) and named from the original code
//     ("LineItem.assertInStock", "Money", "onReminderDue"). This is right
//     for code the bundler inlined into another function, for names the
//     bundler renamed (_Money, baseEach_default) and for names it dropped.
//   - Without the original source (no sourcesContent, or a language the
//     parser does not read), the function that encloses the generated
//     position in the bundle, each part of its name mapped through the map;
//     a part the map does not name is a minified identifier, and such a name
//     is not used.
//   - When the runtime's name already is the original's (its last part is
//     the original function's name: "Object.fetch" for fetch, "get total"
//     for Cart's getter total), the runtime's name is kept as printed, with
//     its receiver and [as alias].
//   - An anonymous original function prints as "<anonymous>" (or stays bare
//     when the runtime printed no name); top-level code keeps what the
//     runtime printed. The name the caller's call site has in the map is
//     used only with --names callsite, and --json says so (function_from).

// originalScope is what parsing the original source says of a frame.
type originalScope struct {
	known bool   // the original source was parsed
	top   bool   // no function encloses the position: top-level code
	name  string // the enclosing function's name, jsscope.Anonymous when it has none
}

// nameOriginals finds, for the resolved frames given, the function that
// encloses each original position, parsing each original source once for
// all its frames. The maps must still be open (it reads sourcesContent).
func (r *resolver) nameOriginals(results []*resolved) {
	type source struct {
		text string
		at   []jsscope.Pos
		res  []*resolved
	}
	bySource := map[string]*source{}
	var order []string
	for _, res := range results {
		if !res.ok {
			continue
		}
		m := res.contentMap
		if m == nil {
			m = res.m
		}
		if m == nil {
			continue
		}
		if !parsable(res.sourcePath) {
			continue // the parser reads JavaScript only: the bundle's scopes name these frames
		}
		key := fmt.Sprintf("%p/%d", m, res.mapping.SourceIndex)
		s, ok := bySource[key]
		if !ok {
			text, found := r.originalText(res, m)
			if !found {
				continue
			}
			s = &source{text: text}
			bySource[key] = s
			order = append(order, key)
		}
		s.at = append(s.at, jsscope.Pos{Line: res.mapping.Line, Col: res.mapping.Column})
		s.res = append(s.res, res)
	}
	for _, key := range order {
		s := bySource[key]
		ix, err := jsscope.ParseFor([]byte(s.text), s.at)
		if err != nil {
			continue // not JavaScript the parser reads (TypeScript, JSX): the bundle's scopes name these frames
		}
		for _, res := range s.res {
			sc, ok := ix.Enclosing(res.mapping.Line, res.mapping.Column)
			switch {
			case !ok && !ix.Contains(res.mapping.Line, res.mapping.Column):
				// The position is not in the source (another build of it):
				// it says nothing.
			case !ok:
				res.original = originalScope{known: true, top: true}
			default:
				res.original = originalScope{known: true, name: sc.Name}
			}
		}
	}
}

// originalText is the frame's original source: the map's sourcesContent
// entry, else the file when mayRead allows it (never for a map from an
// artifact bundle).
func (r *resolver) originalText(res *resolved, m *sourcemap.Map) (string, bool) {
	if text, ok := m.SourceContent(res.mapping.SourceIndex); ok {
		return text, true
	}
	if res.bundle == nil || r.idx.isVirtualMap(res.bundle) || !filepath.IsAbs(res.sourcePath) || !r.mayRead(res.sourcePath, res.mapDir()) {
		return "", false
	}
	data, err := readcap.File(res.sourcePath, readcap.Source, res.sourcePath)
	if err != nil {
		return "", false
	}
	return string(data), true
}

// chooseName names a resolved frame by the rule above; "" keeps the name
// the runtime printed. caller is the next outer frame, nil when none.
func (r *resolver) chooseName(res resolved, caller *resolved) (name, from string) {
	if r.opts.Names == NamesMinified {
		return "", "minified"
	}
	cand, candFrom := "", ""
	switch {
	case res.original.known && res.original.top:
		return "", "runtime" // top-level code: the runtime's own label
	case res.original.known:
		cand, candFrom = res.original.name, "original"
	case res.scopedComplete && res.scoped != "":
		cand, candFrom = res.scoped, "scope"
	}
	if cand == "" || cand == jsscope.Anonymous || !useful(cand) {
		if r.opts.Names == NamesCallsite && caller != nil && caller.ok && usefulCallName(caller.callName) {
			return caller.callName, "callsite"
		}
		if cand == jsscope.Anonymous && res.runtime != "" {
			return jsscope.Anonymous, candFrom // a minified name for an unnamed function names nothing
		}
		return "", "runtime"
	}
	if sameFunction(res.runtime, cand) {
		return "", "runtime" // the runtime's name is the original's: keep its receiver and alias
	}
	return cand, candFrom
}

// sameFunction reports whether the runtime's name for a frame already is
// the original one: the same last part and, when the original names its
// class ("LineItem.assertInStock"), the same class, since a runtime prints
// the minified class name ("f.assertInStock"). A runtime receiver for an
// original without one ("Object.fetch" for an object's fetch, "Timeout"
// for a timer) is the runtime's own type name.
func sameFunction(runtime, original string) bool {
	if runtime == "" || lastName(runtime) != lastName(original) {
		return false
	}
	op := strings.Split(original, ".")
	rp := strings.Split(runtime, ".")
	return len(op) == 1 || len(rp) >= 2 && rp[0] == op[0]
}

// lastName is the last part of a function name as a runtime prints it:
// "Object.fetch" → "fetch", "Cart.get total" → "total", "checkout/<" →
// "checkout".
func lastName(s string) string {
	s = strings.TrimRight(s, "/<*")
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimPrefix(strings.TrimPrefix(s, "get "), "set ")
}

// usefulCallName rejects call-site names that name no function of the
// source: Function.prototype's call, apply and bind.
func usefulCallName(name string) bool {
	switch name {
	case "", "call", "apply", "bind":
		return false
	}
	return true
}

// parsable reports whether an original source may be JavaScript the parser
// reads, by its name: TypeScript, JSX and framework files are not, and
// reading and parsing one (a large map's sourcesContent) only to fail would
// cost every frame of it.
func parsable(sourcePath string) bool {
	p := sourcePath
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	switch strings.ToLower(path.Ext(p)) {
	case ".ts", ".tsx", ".mts", ".cts", ".jsx", ".vue", ".svelte", ".astro", ".coffee", ".elm", ".dart":
		return false
	}
	return true
}

// useful rejects names that say nothing about the code (docs/internals/resolve.md §5).
func useful(name string) bool {
	switch name {
	case "", jsscope.Anonymous, "__webpack_require__", "__webpack_modules__":
		return false
	}
	return true
}
