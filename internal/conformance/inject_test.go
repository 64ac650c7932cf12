//go:build conformance

package conformance

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/testkit"
)

// TestInjectMatchesReference runs `mapback sourcemaps inject` and the
// reference client's `sourcemaps inject` on two copies of the same tree (the
// fixtures, then the published-bundle corpus) and compares the results:
//
//  1. every bundle's bytes are identical, except for a short list of
//     documented, deliberate differences, each verified precisely
//     (internal/inject/testdata/golden/README.md, docs/internals/inject.md §10):
//     - crlf-end-layout: a CRLF bundle without a map; the reference rewrites
//     every line end to LF, mapback keeps them. mapback's output with CRLF
//     turned into LF must equal the reference's, and keep every CRLF;
//     - bom: mapback keeps a UTF-8 BOM first, the reference puts the snippet
//     before it. Equal once the BOM is removed from both;
//     - reference-mispair / reference-unpaired: the reference's ID is carried
//     by no map of its tree, while mapback's ID is a map's debugId in
//     mapback's tree, and either the outputs differ only in the ID (the
//     reference paired another map) or the reference's output is exactly
//     the no-map end layout with the content-only ID while mapback's is the
//     top layout (docs/internals/inject.md §10.4: a relative sourceMappingURL naming a missing
//     file; mapback falls back to the co-located map). Logged; the map
//     mapback paired is then left out of check 3 but not of check 4;
//  2. the //# debugId= comments agree (outside the two cases above);
//  3. each map is equal once both are decoded: mapback's debug_id and the keys
//     the reference drops (mapback must keep those byte for byte) removed,
//     the reference's "sources":null / section "url":null removed, mappings
//     compared decoded (trailing empty lines ignored), debugId compared
//     ignoring case and hyphens. Allowlisted, each proven: non-ascii-prelude
//     (mapback splits at the UTF-16 column, the reference at the byte column)
//     and reference-emptied-shared-map (several bundles name one map; the
//     reference leaves its "mappings" empty);
//  4. for every map mapback changed, sampled generated positions resolve in
//     mapback's map at the shifted position exactly as in the original map;
//  5. a second mapback run over its own output exits 0 and changes no byte.
func TestInjectMatchesReference(t *testing.T) {
	mb := binary(t, "MAPBACK_BIN")
	ref := binary(t, "MAPBACK_REFERENCE_CLI")
	root := testkit.RepoRoot(t)

	t.Run("fixtures", func(t *testing.T) {
		injCompareTree(t, mb, ref, filepath.Join(root, "testdata", "fixtures"), 5, 5)
	})
	t.Run("corpus", func(t *testing.T) {
		injCompareTree(t, mb, ref, fetchCorpus(t), 1800, 100)
	})
}

// Allowlist reasons (see the test's doc comment).
const (
	injCRLF     = "crlf-end-layout"
	injBOM      = "bom"
	injMispair  = "reference-mispair"
	injUnpaired = "reference-unpaired"
	injNonASCII = "non-ascii-prelude"
	// The reference emptied "mappings" of a map that several of its bundles
	// carry the ID of (it rewrites the shared map once per bundle).
	injRefEmptied = "reference-emptied-shared-map"
)

var injBOMBytes = []byte("\xef\xbb\xbf")

// The runtime snippet, copied from docs/internals/inject.md §4 rather than
// from mapback's code, so the test is an independent oracle.
const injSnippetTemplate = `!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="__SENTRY_DEBUG_ID__")}catch(e){}}();`

func injSnippet(id string) []byte {
	return []byte(strings.Replace(injSnippetTemplate, "__SENTRY_DEBUG_ID__", id, 1))
}

var injCommentRE = regexp.MustCompile(`//# debugId=([0-9a-fA-F-]{32,36})`)

// injJSID returns the value of the last //# debugId= comment, as written.
func injJSID(js []byte) string {
	i := bytes.LastIndex(js, []byte("//# debugId="))
	if i < 0 {
		return ""
	}
	m := injCommentRE.FindSubmatch(js[i:])
	if m == nil {
		return ""
	}
	return string(m[1])
}

// injNormID makes IDs comparable: lowercase, no hyphens.
func injNormID(id string) string {
	return strings.ReplaceAll(strings.ToLower(id), "-", "")
}

type injTreeStats struct {
	mu          sync.Mutex
	bundles     int
	identical   int
	untouched   int // identical and unchanged by both tools
	allowed     map[string][]string
	maps        int
	mapsSame    int // unchanged by both tools
	mapsEqual   int // changed by both, equal after normalisation
	keptKeys    map[string]int
	positions   int
	posMaps     int
	hashA       map[string][sha256.Size]byte
	bundleIDsMB map[string][]string // normalised ID -> bundles carrying it (mapback's tree)
	bundleIDsRf map[string]int      // normalised ID -> number of bundles (reference tree)
	mapIDsMB    map[string]bool
	mapIDsRef   map[string]bool
}

func (s *injTreeStats) allow(reason, rel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowed[reason] = append(s.allowed[reason], rel)
}

func (s *injTreeStats) isAllowed(rel string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, list := range s.allowed {
		for _, r := range list {
			if r == rel {
				return true
			}
		}
	}
	return false
}

func injCompareTree(t *testing.T, mb, ref, src string, minBundles, minChangedMaps int) {
	start := time.Now()
	tmp := t.TempDir()
	treeA, treeB := filepath.Join(tmp, "mapback"), filepath.Join(tmp, "reference")
	homeA, homeB := filepath.Join(tmp, "home-mapback"), filepath.Join(tmp, "home-reference")
	for _, d := range []string{homeA, homeB} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}

	files, err := injListFiles(src)
	if err != nil {
		t.Fatal(err)
	}
	testkit.CopyTreeTo(t, src, treeA)
	testkit.CopyTreeTo(t, src, treeB)
	copied := time.Since(start)

	// One tool after the other: run side by side on two cores they slow each
	// other down more than they overlap.
	t0 := time.Now()
	refRes := injExec(tmp, homeB, ref, "sourcemaps", "inject", treeB)
	refTime := time.Since(t0)
	t0 = time.Now()
	mbRes := injExec(tmp, homeA, mb, "sourcemaps", "inject", "-q", treeA)
	mbTime := time.Since(t0)
	if refRes.err != nil || refRes.code != 0 {
		t.Fatalf("reference inject: exit %d, %v\n%s", refRes.code, refRes.err, injTail(refRes.stderr+refRes.stdout))
	}
	if mbRes.err != nil {
		t.Fatalf("mapback inject: %v", mbRes.err)
	}
	if mbRes.code != 0 {
		t.Errorf("mapback inject: exit %d, want 0\n%s", mbRes.code, injTail(mbRes.stderr+mbRes.stdout))
	}

	tCompare := time.Now()
	// Neither tool may add, remove or re-mode a file (temp files left behind,
	// journals, …).
	for name, tree := range map[string]string{"mapback": treeA, "reference": treeB} {
		got, err := injListFiles(tree)
		if err != nil {
			t.Fatal(err)
		}
		injCompareListings(t, name, files, got)
	}

	st := &injTreeStats{
		allowed:     map[string][]string{},
		keptKeys:    map[string]int{},
		hashA:       map[string][sha256.Size]byte{},
		bundleIDsMB: map[string][]string{},
		bundleIDsRf: map[string]int{},
		mapIDsMB:    map[string]bool{},
		mapIDsRef:   map[string]bool{},
	}
	var bundles, maps, others []string
	for rel, mode := range files {
		if !mode.IsRegular() {
			continue
		}
		switch filepath.Ext(rel) {
		case ".js", ".mjs", ".cjs":
			bundles = append(bundles, rel)
		case ".map":
			maps = append(maps, rel)
		default:
			others = append(others, rel)
		}
	}
	sort.Strings(bundles)
	sort.Strings(maps)
	read3 := func(rel string) (o, a, b []byte, err error) {
		if o, err = os.ReadFile(filepath.Join(src, rel)); err != nil {
			return
		}
		if a, err = os.ReadFile(filepath.Join(treeA, rel)); err != nil {
			return
		}
		st.mu.Lock()
		st.hashA[rel] = sha256.Sum256(a)
		st.mu.Unlock()
		b, err = os.ReadFile(filepath.Join(treeB, rel))
		return
	}

	// Files that are neither bundles nor maps: untouched by both.
	injParallel(others, func(rel string) {
		o, a, b, err := read3(rel)
		if err != nil {
			t.Error(err)
			return
		}
		if !bytes.Equal(o, a) || !bytes.Equal(o, b) {
			t.Errorf("%s: not a bundle or map, yet changed (mapback changed: %v, reference changed: %v)",
				rel, !bytes.Equal(o, a), !bytes.Equal(o, b))
		}
	})

	// 1, 2: bundles.
	type mispair struct{ rel, refID, mbID, reason string }
	var mispairs []mispair
	injParallel(bundles, func(rel string) {
		o, a, b, err := read3(rel)
		if err != nil {
			t.Error(err)
			return
		}
		idA, idB := injJSID(a), injJSID(b)
		st.mu.Lock()
		st.bundles++
		if idA != "" {
			st.bundleIDsMB[injNormID(idA)] = append(st.bundleIDsMB[injNormID(idA)], rel)
		}
		if idB != "" {
			st.bundleIDsRf[injNormID(idB)]++
		}
		st.mu.Unlock()

		switch {
		case bytes.Equal(a, b):
			st.mu.Lock()
			st.identical++
			if bytes.Equal(a, o) {
				st.untouched++
			}
			st.mu.Unlock()
			return // same bytes, so the same debug ID
		case bytes.Contains(o, []byte("\r\n")) && !bytes.Contains(b, []byte("\r\n")) &&
			bytes.Count(a, []byte("\r\n")) == bytes.Count(o, []byte("\r\n")) &&
			bytes.Equal(bytes.ReplaceAll(a, []byte("\r\n"), []byte("\n")), b):
			st.allow(injCRLF, rel)
		case bytes.HasPrefix(o, injBOMBytes) && bytes.HasPrefix(a, injBOMBytes) &&
			bytes.Equal(a[len(injBOMBytes):], bytes.Replace(b, injBOMBytes, nil, 1)):
			st.allow(injBOM, rel)
		case idA != "" && idB != "" && idA != idB &&
			bytes.Equal(bytes.ReplaceAll(b, []byte(idB), []byte(idA)), a):
			// Same layout, another ID: the reference paired another map.
			// Decided below, once every map's ID is known.
			st.mu.Lock()
			mispairs = append(mispairs, mispair{rel, idB, idA, injMispair})
			st.mu.Unlock()
			return
		case idA != "" && idB == injContentID(o) && bytes.Equal(b, injEndLayout(o, idB)) && injIsTopLayout(o, a, idA):
			// The reference found no map (end layout, content-only ID) where
			// mapback paired one: docs/internals/inject.md §10.4, a relative
			// sourceMappingURL naming a missing file. Decided below.
			st.mu.Lock()
			mispairs = append(mispairs, mispair{rel, idB, idA, injUnpaired})
			st.mu.Unlock()
			return
		default:
			off := injFirstDiff(a, b)
			t.Errorf("%s: JS differs from the reference at byte %d (of %d/%d): mapback %q, reference %q",
				rel, off, len(a), len(b), injExcerpt(a, off), injExcerpt(b, off))
		}
		if injNormID(idA) != injNormID(idB) {
			t.Errorf("%s: debug ID %q, reference %q", rel, idA, idB)
		}
	})

	// 3, 4: maps. Judgements that depend on the mispair decision are kept for later.
	type mapResult struct {
		rel      string
		mbID     string
		refSame  bool // reference left the map as it was
		problems []string
	}
	results := make([]mapResult, len(maps))
	idx := map[string]int{}
	for i, rel := range maps {
		idx[rel] = i
	}
	injParallel(maps, func(rel string) {
		res := &results[idx[rel]]
		res.rel = rel
		o, a, b, err := read3(rel)
		if err != nil {
			t.Error(err)
			return
		}
		st.mu.Lock()
		st.maps++
		st.mu.Unlock()
		// Each map is parsed once (the big ones are tens of MB).
		var O, A, B map[string]json.RawMessage
		for _, p := range []struct {
			who  string
			data []byte
			dst  *map[string]json.RawMessage
		}{{"original", o, &O}, {"mapback's", a, &A}, {"reference's", b, &B}} {
			var err error
			if *p.dst, err = injObject(p.data); err != nil {
				res.problems = append(res.problems, fmt.Sprintf("%s map is not a JSON object: %v", p.who, err))
				return
			}
		}
		if !bytes.Equal(o, a) && !json.Valid(a) {
			res.problems = append(res.problems, "mapback's map is not valid JSON")
			return
		}
		idsA, idsB := injRawIDs(A), injRawIDs(B)
		st.mu.Lock()
		for _, id := range idsA {
			st.mapIDsMB[injNormID(id)] = true
		}
		for _, id := range idsB {
			st.mapIDsRef[injNormID(id)] = true
		}
		st.mu.Unlock()
		if len(idsA) > 0 {
			res.mbID = injNormID(idsA[0])
		}
		res.refSame = bytes.Equal(o, b)
		if bytes.Equal(o, a) && bytes.Equal(o, b) {
			st.mu.Lock()
			st.mapsSame++
			st.mu.Unlock()
			return
		}
		if bytes.Equal(o, a) != bytes.Equal(o, b) {
			res.problems = append(res.problems, fmt.Sprintf("changed by only one tool (mapback changed: %v, reference changed: %v)",
				!bytes.Equal(o, a), !bytes.Equal(o, b)))
		}
		if bytes.Equal(o, a) {
			return
		}
		// Decoded once, used by the comparison and the positions check.
		orig, err := injParseSourceMap(O)
		if err != nil {
			res.problems = append(res.problems, "original map: "+err.Error())
			return
		}
		got, err := injParseSourceMap(A)
		if err != nil {
			res.problems = append(res.problems, "mapback's map: "+err.Error())
			return
		}
		ids := injRawIDs(A)
		if !bytes.Equal(o, b) {
			ps := injCompareMaps(st, rel, src, treeA, O, A, B, orig.lines, got.lines)
			if len(ps) == 0 && !st.isAllowed(rel) {
				st.mu.Lock()
				st.mapsEqual++
				st.mu.Unlock()
			}
			res.problems = append(res.problems, ps...)
		}
		_, index := O["sections"]
		res.problems = append(res.problems, injCheckPositions(st, rel, src, treeA, ids, index, orig, got)...)
	})

	allowedMB := map[string]bool{}
	for _, m := range mispairs {
		// Generic proof that the reference's pairing is the broken one: no
		// map in its tree carries the ID it gave the bundle, while mapback's
		// ID is its map's debugId (the map itself is checked by positions).
		if !st.mapIDsRef[injNormID(m.refID)] && st.mapIDsMB[injNormID(m.mbID)] {
			st.allow(m.reason, m.rel)
			allowedMB[injNormID(m.mbID)] = true
			t.Logf("%s: %s: the reference injected %s, which no map in its tree carries; mapback injected %s, its map's debugId",
				m.reason, m.rel, m.refID, m.mbID)
			continue
		}
		t.Errorf("%s: debug ID %s, reference %s, and not a provable reference defect (%s)", m.rel, m.mbID, m.refID, m.reason)
	}
	for _, r := range results {
		if len(r.problems) == 0 {
			continue
		}
		if r.refSame && allowedMB[r.mbID] {
			// The map mapback paired with a reference-mispair bundle: the
			// reference never edited it. The positions check still applies.
			var own []string
			for _, p := range r.problems {
				if strings.HasPrefix(p, "positions:") {
					own = append(own, p)
				}
			}
			if len(own) == 0 {
				st.allow("map of "+injMispair+"/"+injUnpaired, r.rel)
			}
			r.problems = own
		}
		for _, p := range r.problems {
			t.Errorf("%s: %s", r.rel, p)
		}
	}

	compareTime := time.Since(tCompare)

	// 5: a second run changes nothing.
	t1 := time.Now()
	again := injExec(tmp, homeA, mb, "sourcemaps", "inject", "-q", treeA)
	againTime := time.Since(t1)
	if again.err != nil || again.code != 0 {
		t.Errorf("second mapback run: exit %d, %v\n%s", again.code, again.err, injTail(again.stderr+again.stdout))
	}
	after, err := injListFiles(treeA)
	if err != nil {
		t.Fatal(err)
	}
	injCompareListings(t, "mapback (second run)", files, after)
	var changed []string
	var cmu sync.Mutex
	var hashed []string
	for rel := range st.hashA {
		hashed = append(hashed, rel)
	}
	injParallel(hashed, func(rel string) {
		data, err := os.ReadFile(filepath.Join(treeA, rel))
		if err != nil || sha256.Sum256(data) != st.hashA[rel] {
			cmu.Lock()
			changed = append(changed, rel)
			cmu.Unlock()
		}
	})
	sort.Strings(changed)
	if len(changed) > 0 {
		t.Errorf("second mapback run changed %d files, e.g. %s", len(changed), strings.Join(changed[:min(5, len(changed))], ", "))
	}

	// Summary and guards against a vacuous pass.
	reasons := make([]string, 0, len(st.allowed))
	for r := range st.allowed {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	var allowedJS, allowedMaps []string
	for _, r := range reasons {
		sort.Strings(st.allowed[r])
		nJS, nMaps := 0, 0
		for _, rel := range st.allowed[r] {
			if strings.HasSuffix(rel, ".map") {
				nMaps++
			} else {
				nJS++
			}
		}
		if nJS > 0 {
			allowedJS = append(allowedJS, fmt.Sprintf("%s %d", r, nJS))
		}
		if nMaps > 0 {
			allowedMaps = append(allowedMaps, fmt.Sprintf("%s %d", r, nMaps))
		}
		t.Logf("allowlisted %s: %s", r, strings.Join(st.allowed[r], ", "))
	}
	var kept []string
	for k, n := range st.keptKeys {
		kept = append(kept, fmt.Sprintf("%s ×%d", k, n))
	}
	sort.Strings(kept)
	t.Logf("bundles: %d, identical %d (%d untouched by both); allowlisted: %s",
		st.bundles, st.identical, st.untouched, injOrNone(allowedJS))
	t.Logf("maps: %d, unchanged by both %d, equal after normalisation %d, allowlisted: %s; kept by mapback, dropped by the reference: %s",
		st.maps, st.mapsSame, st.mapsEqual, injOrNone(allowedMaps), injOrNone(kept))
	t.Logf("positions: %d compared over %d maps mapback changed", st.positions, st.posMaps)
	t.Logf("time: %s total (copy %s, reference %s, mapback %s, compare %s, mapback again %s)",
		time.Since(start).Round(time.Millisecond), copied.Round(time.Millisecond), refTime.Round(time.Millisecond),
		mbTime.Round(time.Millisecond), compareTime.Round(time.Millisecond), againTime.Round(time.Millisecond))
	if st.bundles < minBundles || st.posMaps < minChangedMaps {
		t.Errorf("only %d bundles and %d changed maps compared; want at least %d and %d", st.bundles, st.posMaps, minBundles, minChangedMaps)
	}
}

// injContentID is the reference's ID for a bundle without a map (see
// docs/internals/inject.md §3): SHA-1 of the bytes, first 16 bytes, UUID version 5 bits.
func injContentID(js []byte) string {
	sum := sha1.Sum(js)
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// injEndLayout is the reference's output for an LF bundle without a map (see
// docs/internals/inject.md §5.4): the last sourceMappingURL line moves below the snippet.
func injEndLayout(o []byte, id string) []byte {
	body := o
	var urlLine []byte
	i := max(bytes.LastIndex(o, []byte("//# sourceMappingURL=")), bytes.LastIndex(o, []byte("//@ sourceMappingURL=")))
	if i >= 0 {
		start := bytes.LastIndexByte(o[:i], '\n') + 1
		end := len(o)
		next := len(o)
		if j := bytes.IndexByte(o[i:], '\n'); j >= 0 {
			end, next = i+j, i+j+1
		}
		urlLine = o[start:end]
		body = append(append([]byte(nil), o[:start]...), o[next:]...)
	}
	out := append([]byte(nil), body...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	out = append(append(out, injSnippet(id)...), '\n')
	if urlLine != nil {
		out = append(append(out, urlLine...), '\n')
	}
	return append(out, "//# debugId="+id+"\n"...)
}

// injIsTopLayout reports whether a is o with "\n"+snippet+"\n" inserted once
// and "\n//# debugId=<id>\n" appended (docs/internals/inject.md §5.1).
func injIsTopLayout(o, a []byte, id string) bool {
	ins := append(append([]byte{'\n'}, injSnippet(id)...), '\n')
	p := bytes.Index(a, ins)
	if p < 0 || p > len(o) || !bytes.Equal(a[:p], o[:p]) {
		return false
	}
	return bytes.Equal(a[p+len(ins):], append(append([]byte(nil), o[p:]...), "\n//# debugId="+id+"\n"...))
}

func injOrNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

// injRawIDs returns the map's debugId and debug_id values, as written.
func injRawIDs(m map[string]json.RawMessage) []string {
	var ids []string
	for _, k := range []string{"debugId", "debug_id"} {
		var s string
		if r, ok := m[k]; ok && json.Unmarshal(r, &s) == nil {
			ids = append(ids, s)
		}
	}
	return ids
}

// injShift describes where mapback put the snippet in a bundle.
type injShift struct {
	index         bool // index map: every line + 1
	line, col     int  // regular map: two line breaks at (line, col) (UTF-16 column)
	colBytes      int
	nonASCII      bool
	bundle, jsErr string
}

// injFindShift locates the snippet in mapback's output of the bundle that
// carries the map's ID and derives the generated-position shift from the
// original bundle's bytes.
func injFindShift(st *injTreeStats, src, treeA, mapID string, index bool) injShift {
	st.mu.Lock()
	carriers := append([]string(nil), st.bundleIDsMB[injNormID(mapID)]...)
	st.mu.Unlock()
	if len(carriers) == 0 {
		return injShift{jsErr: fmt.Sprintf("no bundle in mapback's output carries the map's debugId %s", mapID)}
	}
	sort.Strings(carriers)
	var first injShift
	for i, rel := range carriers {
		sh := injShift{index: index, bundle: rel}
		o, err1 := os.ReadFile(filepath.Join(src, rel))
		a, err2 := os.ReadFile(filepath.Join(treeA, rel))
		if err1 != nil || err2 != nil {
			return injShift{jsErr: fmt.Sprintf("%v %v", err1, err2)}
		}
		s := injSnippet(injJSID(a))
		if index {
			// The snippet line is inserted (after a hashbang, possibly with a
			// repeated directive); every section moves down one line.
			if !bytes.Contains(a, append(s, '\n')) {
				sh.jsErr = fmt.Sprintf("%s: snippet line not found", rel)
			}
		} else {
			ins := append(append([]byte{'\n'}, s...), '\n')
			p := bytes.Index(a, ins)
			switch {
			case p < 0:
				sh.jsErr = fmt.Sprintf("%s: %q+snippet+%q not found (not the top layout)", rel, "\n", "\n")
			case p > len(o) || !bytes.Equal(a[:p], o[:p]) || !bytes.HasPrefix(a[p+len(ins):], o[p:]):
				sh.jsErr = fmt.Sprintf("%s: the snippet is not a pure insertion into the original bytes", rel)
			default:
				sh.line, sh.col, sh.colBytes, sh.nonASCII = injLineCol(o[:p])
			}
		}
		if i == 0 {
			first = sh
		} else if sh.line != first.line || sh.col != first.col || sh.jsErr != first.jsErr {
			first.jsErr = fmt.Sprintf("bundles %s and %s carry the same ID but got different insertion points", carriers[0], rel)
		}
	}
	return first
}

// injCheckPositions is check 4: positions of the original map resolve the
// same in mapback's map at the shifted position.
func injCheckPositions(st *injTreeStats, rel, src, treeA string, ids []string, index bool, orig, got *injSourceMap) []string {
	if len(ids) == 0 {
		return []string{"positions: mapback changed the map but it has no debugId"}
	}
	sh := injFindShift(st, src, treeA, ids[0], index)
	if sh.jsErr != "" {
		return []string{"positions: " + sh.jsErr}
	}
	orig.sortLines()
	got.sortLines()
	focus, focusCol := -1, 0
	if !index {
		focus, focusCol = sh.line, sh.col
	}
	samples := injSamplePositions(orig.genColumns(), rel, 1000, focus, focusCol)
	if len(samples) == 0 {
		return []string{"positions: the original map has no segments to sample"}
	}
	var problems []string
	for _, p := range samples {
		q := p
		switch {
		case index:
			q.line++
		case p.line < sh.line || (p.line == sh.line && p.col < sh.col):
		case p.line == sh.line:
			q.line, q.col = p.line+2, p.col-sh.col
		default:
			q.line += 2
		}
		want, have := orig.lookup(p.line, p.col), got.lookup(q.line, q.col)
		if want != have && len(problems) < 5 {
			problems = append(problems, fmt.Sprintf("positions: generated %d:%d (0-based) resolves to %s in the original, but %d:%d in mapback's map resolves to %s (snippet in %s at %d:%d)",
				p.line, p.col, want, q.line, q.col, have, sh.bundle, sh.line, sh.col))
		}
	}
	st.mu.Lock()
	st.positions += len(samples)
	st.posMaps++
	st.mu.Unlock()
	return problems
}

// injCompareMaps is check 3: mapback's map against the reference's.
func injCompareMaps(st *injTreeStats, rel, src, treeA string, O, A, B map[string]json.RawMessage, lo, la [][]injSeg) []string {
	var problems []string
	fail := func(f string, args ...any) { problems = append(problems, fmt.Sprintf(f, args...)) }
	str := func(r json.RawMessage) string {
		var s string
		if json.Unmarshal(r, &s) != nil {
			return "<not a string: " + string(r) + ">"
		}
		return s
	}

	for k := range O {
		if _, ok := A[k]; !ok {
			fail("mapback dropped the original key %q", k)
		}
	}
	// debug IDs: mapback writes debugId and debug_id with the same value.
	if _, ok := A["debugId"]; !ok {
		fail("mapback's map has no debugId")
	}
	if r, ok := A["debug_id"]; ok {
		if injNormID(str(r)) != injNormID(str(A["debugId"])) {
			fail("mapback's debug_id %s and debugId %s differ", r, A["debugId"])
		}
		delete(A, "debug_id")
	}
	idA, idB := str(A["debugId"]), str(B["debugId"])
	if injNormID(idA) != injNormID(idB) {
		fail("debugId %s, reference %s", A["debugId"], B["debugId"])
	}
	delete(A, "debugId")
	delete(B, "debugId")
	// Keys the reference drops must survive in mapback's map unchanged.
	for k, v := range A {
		if _, ok := B[k]; ok {
			continue
		}
		if ov, ok := O[k]; !ok || !bytes.Equal(ov, v) {
			fail("key %q is in mapback's map but not the reference's, and not the original's value", k)
		} else {
			st.mu.Lock()
			st.keptKeys[k]++
			st.mu.Unlock()
		}
		delete(A, k)
	}
	if r, ok := B["sources"]; ok && string(r) == "null" {
		if _, ok := A["sources"]; !ok {
			delete(B, "sources")
		}
	}
	for k := range B {
		if _, ok := A[k]; !ok {
			fail("key %q is in the reference's map only", k)
		}
	}

	// mappings, decoded. (No case of the reference merging consecutive
	// segments at the same generated column appears in these trees, so the
	// comparison is exact apart from trailing empty lines.)
	if _, ok := A["mappings"]; ok {
		if rb, ok := B["mappings"]; ok {
			problems = append(problems, injCompareMappings(st, rel, src, treeA, idA, idB, lo, la, str(O["mappings"]), str(rb))...)
			delete(A, "mappings")
			delete(B, "mappings")
		}
	}
	// Index maps: the reference adds "url":null to every section and
	// re-encodes nested maps; compare sections with decoded mappings.
	if ra, ok := A["sections"]; ok {
		if rb, ok := B["sections"]; ok {
			na, nb := injNormSections(ra, false), injNormSections(rb, true)
			if !reflect.DeepEqual(na, nb) {
				fail("sections differ after normalisation")
			}
			delete(A, "sections")
			delete(B, "sections")
		}
	}
	for k, v := range A {
		w, ok := B[k]
		if !ok {
			continue
		}
		if bytes.Equal(v, w) {
			continue
		}
		var x, y any
		if json.Unmarshal(v, &x) != nil || json.Unmarshal(w, &y) != nil || !reflect.DeepEqual(x, y) {
			fail("key %q differs: mapback %s, reference %s", k, injCut(v), injCut(w))
		}
	}
	return problems
}

func injCompareMappings(st *injTreeStats, rel, src, treeA, idA, idB string, lo, la [][]injSeg, mo, mb string) []string {
	lb, err := injDecodeMappings(mb)
	if err != nil {
		return []string{"reference's " + err.Error()}
	}
	la, lb = injTrimLines(la), injTrimLines(lb)
	line := injFirstLineDiff(la, lb)
	if line < 0 {
		return nil
	}
	// A reference defect: with several bundles pointing at one map, it edits
	// the map once per bundle and leaves "mappings" empty.
	st.mu.Lock()
	carriers := st.bundleIDsRf[injNormID(idB)]
	st.mu.Unlock()
	if mb == "" && mo != "" && carriers > 1 {
		st.allow(injRefEmptied, rel)
		return nil
	}
	// The documented split-column difference: provable only when the
	// insertion line has non-ASCII text before the split, and the reference's
	// mappings are exactly the split at the byte column while mapback's are
	// the split at the UTF-16 column.
	if sh := injFindShift(st, src, treeA, idA, false); sh.jsErr == "" && sh.nonASCII && sh.col != sh.colBytes {
		wantA := injTrimLines(injSplitLines(lo, sh.line, sh.col))
		wantB := injTrimLines(injSplitLines(lo, sh.line, sh.colBytes))
		if injFirstLineDiff(la, wantA) < 0 && injFirstLineDiff(lb, wantB) < 0 {
			st.allow(injNonASCII, rel)
			return nil
		}
	}
	excerpt := func(l [][]injSeg) string {
		if line >= len(l) {
			return "(no such line)"
		}
		return fmt.Sprint(l[line][:min(4, len(l[line]))])
	}
	return []string{fmt.Sprintf("decoded mappings differ from generated line %d (0-based; %d/%d lines): mapback %s, reference %s",
		line, len(la), len(lb), excerpt(la), excerpt(lb))}
}

// injNormSections decodes each section's nested map mappings and drops the
// reference's "url":null additions.
func injNormSections(raw json.RawMessage, reference bool) any {
	var secs []map[string]any
	if json.Unmarshal(raw, &secs) != nil {
		return "<invalid sections>"
	}
	for _, s := range secs {
		if reference {
			if u, ok := s["url"]; ok && u == nil {
				delete(s, "url")
			}
		}
		if m, ok := s["map"].(map[string]any); ok {
			if ms, ok := m["mappings"].(string); ok {
				l, err := injDecodeMappings(ms)
				if err != nil {
					m["mappings"] = err.Error()
				} else {
					m["mappings"] = fmt.Sprint(injTrimLines(l))
				}
			}
		}
	}
	return secs
}

type injResult struct {
	stdout, stderr string
	code           int
	err            error
}

// injExec runs a binary with a clean environment: no real HOME, no .env.
func injExec(dir, home, bin string, args ...string) injResult {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "SENTRY_LOAD_DOTENV=0"}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := injResult{stdout: out.String(), stderr: errOut.String()}
	if ctx.Err() != nil {
		r.err = fmt.Errorf("%s %v: timed out", bin, args)
	} else if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		r.err = err
	}
	return r
}

// injListFiles maps every path below root (relative, slash-separated) to its
// mode; directories are included so their modes are compared too.
func injListFiles(root string) (map[string]fs.FileMode, error) {
	out := map[string]fs.FileMode{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = info.Mode()
		return nil
	})
	return out, err
}

func injCompareListings(t *testing.T, name string, want, got map[string]fs.FileMode) {
	t.Helper()
	var diffs []string
	for p, m := range want {
		g, ok := got[p]
		switch {
		case !ok:
			diffs = append(diffs, "missing "+p)
		case g != m:
			diffs = append(diffs, fmt.Sprintf("%s mode %v, was %v", p, g, m))
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, "new file "+p)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%s: the tree's files changed: %s", name, strings.Join(diffs[:min(10, len(diffs))], "; "))
	}
}

// injParallel calls f for every item on GOMAXPROCS goroutines.
func injParallel(items []string, f func(string)) {
	ch := make(chan string)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range ch {
				f(it)
			}
		}()
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
}

func injFirstDiff(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

func injExcerpt(b []byte, off int) string {
	lo, hi := max(0, off-20), min(len(b), off+40)
	return string(b[lo:hi])
}

func injCut(r json.RawMessage) string {
	if len(r) > 120 {
		return string(r[:120]) + "…"
	}
	return string(r)
}

func injTail(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}
