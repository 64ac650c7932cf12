//go:build conformance

package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
)

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
