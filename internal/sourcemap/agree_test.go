package sourcemap

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Lenient lookups and the strict Check are one walk: on every map the
// repository holds and every fuzz seed, they agree on which segments exist,
// on where the mappings become unreadable, and on the problem a lookup meets.
func TestLenientAndStrictAgree(t *testing.T) {
	docs := map[string][]byte{}
	for _, root := range []string{"../../testdata", ".."} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() && (d.Name() == "node_modules" || d.Name() == "gen") {
				return filepath.SkipDir
			}
			if strings.HasSuffix(p, ".map") {
				if b, err := os.ReadFile(p); err == nil {
					docs[p] = b
				}
			}
			return nil
		})
	}
	for i, s := range parseSeeds {
		docs["seed "+strconv.Itoa(i)] = []byte(s)
	}
	for _, s := range lookupSeeds {
		docs["mappings "+s] = []byte(`{"version":3,"sources":["a.js","b.js","c.js"],"names":["x","y"],"mappings":"` + s + `"}`)
	}
	corpus, _ := filepath.Glob("testdata/fuzz/*/*")
	for _, p := range corpus {
		if b, err := os.ReadFile(p); err == nil {
			if v, ok := fuzzBytes(b); ok {
				docs[p] = v
			}
		}
	}
	if len(docs) < 40 {
		t.Fatalf("only %d maps found", len(docs))
	}
	checked := 0
	for name, data := range docs {
		m, err := Parse(data)
		if err != nil {
			continue // refused by both: Check needs a parsed map
		}
		checked++
		maps := []*Map{m}
		for _, s := range m.sections {
			maps = append(maps, s.m)
		}
		for k, mm := range maps {
			if mm.sections != nil {
				continue
			}
			agreeOn(t, name+" #"+strconv.Itoa(k), mm)
		}
	}
	t.Logf("%d maps checked both ways", checked)
}

// agreeOn compares Check's segments with the lookups' on a regular map.
func agreeOn(t *testing.T, name string, m *Map) {
	strict := map[int][]int{}
	maxLine := -1
	ps := m.Check(context.Background(), func(sg Segment) {
		strict[sg.Line] = append(strict[sg.Line], sg.Column)
		maxLine = max(maxLine, sg.Line)
	})
	syntaxLine := -1
	for _, p := range ps.List {
		if p.Kind == ProblemSyntax {
			syntaxLine = p.Line
		}
	}
	for line := 0; line <= maxLine+1; line++ {
		segs, err := m.line(line)
		if syntaxLine >= 0 && line >= syntaxLine {
			// The lookups stop at the same line, with the same message.
			if err == nil || err.Error() != ps.List[len(ps.List)-1].Error() {
				t.Errorf("%s: line %d: lookups say %v, Check %v", name, line, err, ps.List)
			}
			return
		}
		if err != nil {
			t.Errorf("%s: line %d: lookups fail (%v), Check does not", name, line, err)
			return
		}
		var lenient []int
		for j, sg := range segs {
			lenient = append(lenient, int(sg.genCol))
			if j > 0 && segs[j-1].genCol == sg.genCol {
				continue // lookups land on the first of equal columns
			}
			// A lookup at the segment's column lands on it (the first of
			// equal columns) and reports the problem Check reports.
			mp, ok, lerr := m.LookupErr(line, int(sg.genCol))
			switch {
			case sg.fields < 4 && ok:
				t.Errorf("%s: %d:%d: a 1-field segment mapped", name, line, sg.genCol)
			case sg.prob&(probSource|probOriginal) != 0 && (lerr == nil || !hasProblem(ps, lerr.Error())):
				t.Errorf("%s: %d:%d: lookup error %v not in Check's %v", name, line, sg.genCol, lerr, ps.List)
			case mp.Problem != "" && !hasProblem(ps, mp.Problem):
				t.Errorf("%s: %d:%d: lookup problem %v not in Check's", name, line, sg.genCol, mp.Problem)
			}
		}
		want := append([]int(nil), strict[line]...)
		sort.Ints(want)
		if !reflect.DeepEqual(lenient, want) && (len(lenient) > 0 || len(want) > 0) {
			t.Errorf("%s: line %d: lookups see columns %v, Check %v", name, line, lenient, want)
		}
	}
}

// hasProblem reports whether ps holds a problem with message msg (or ps was
// cut short, and might).
func hasProblem(ps Problems, msg string) bool {
	for _, p := range ps.List {
		if p.Error() == msg {
			return true
		}
	}
	return ps.Total > len(ps.List)
}

// fuzzBytes reads the []byte value of a "go test fuzz v1" corpus file.
func fuzzBytes(b []byte) ([]byte, bool) {
	lines := strings.Split(string(b), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
		return nil, false
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	return []byte(s), err == nil
}
