//go:build conformance

package conformance

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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

func injOrNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
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
