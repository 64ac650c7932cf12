package inject

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/debugid"
	"github.com/mapback/mapback/internal/sourcemap"
)

func vlq(v int) string { return string(sourcemap.AppendVLQ(nil, int64(v))) }

// segment is a decoded mapping with absolute values; fields is 1, 4 or 5.
type segment struct {
	line, col                  int
	fields                     int
	src, srcLine, srcCol, name int
}

func decodeMappings(t testing.TB, s string) []segment {
	var out []segment
	var src, srcLine, srcCol, name int
	for line, group := range strings.Split(s, ";") {
		col := 0
		for _, seg := range strings.Split(group, ",") {
			if seg == "" {
				continue
			}
			var vals []int
			for i := 0; i < len(seg); {
				v, next, err := sourcemap.DecodeVLQ(seg, i)
				if err != nil {
					t.Fatalf("bad VLQ in %q: %v", seg, err)
				}
				vals = append(vals, int(v))
				i = next
			}
			col += vals[0]
			sg := segment{line: line, col: col, fields: len(vals)}
			if len(vals) >= 4 {
				src += vals[1]
				srcLine += vals[2]
				srcCol += vals[3]
				sg.src, sg.srcLine, sg.srcCol = src, srcLine, srcCol
			}
			if len(vals) == 5 {
				name += vals[4]
				sg.name = name
			}
			out = append(out, sg)
		}
	}
	return out
}

// mappingsFrom builds a valid mappings string from fuzz bytes: up to 6
// lines, increasing columns, 1-, 4- and 5-field segments.
func mappingsFrom(data []byte) string {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		v := int(data[0])
		data = data[1:]
		return v
	}
	var lines []string
	for range 1 + next()%6 {
		var segs []string
		for range next() % 5 {
			seg := vlq(next() % 40) // generated column delta
			if kind := next() % 3; kind > 0 {
				seg += vlq(next()%3-1) + vlq(next()%7-3) + vlq(next()%20-10)
				if kind == 2 {
					seg += vlq(0) // the one name
				}
			}
			segs = append(segs, seg)
		}
		lines = append(lines, strings.Join(segs, ","))
	}
	return strings.Join(lines, ";")
}

var preludes = []string{
	"", "/* banner */\n", "#!/usr/bin/env node\n", "\"use strict\";", "'use strict';\n",
	"/*! a */\n/*! b */\n\"use strict\";", "/* h\u00e9llo \U0001F389 */ ", "// x\r\n", "  \n\t",
}

func FuzzInjectPreservesMappings(f *testing.F) {
	f.Add(uint8(0), []byte("var a=1,b=2;"), []byte{2, 3, 0, 1, 1, 1, 5, 2, 0, 0, 7})
	f.Add(uint8(3), []byte("var b=1;\nvar c;"), []byte{3, 4, 10, 1, 0, 1, 3, 20, 2, 1, 1, 1})
	f.Add(uint8(6), []byte("x()"), []byte{1, 4, 30, 0, 1, 2, 0, 5, 0, 3, 1})
	f.Fuzz(func(t *testing.T, preludeIndex uint8, body, mdata []byte) {
		if bytes.ContainsAny(body, "\x00") || bytes.Contains(body, []byte("sourceMappingURL")) || bytes.Contains(body, []byte("debugId")) {
			return
		}
		js := []byte(preludes[int(preludeIndex)%len(preludes)] + string(body) + "\n//# sourceMappingURL=a.js.map\n")
		mappings := mappingsFrom(mdata)
		sm := fmt.Sprintf(`{"version":3,"sources":["a.js","b.js","c.js"],"names":["n"],"mappings":%q,"x_custom":[1,{"y":"z"}]}`, mappings)
		o, err := planBundle(context.Background(), js, &mapInput{data: []byte(sm)}, Backends{Sentry: true})
		if err != nil {
			t.Fatalf("planBundle: %v", err)
		}
		checkInjection(t, js, []byte(sm), o)
	})
}

// checkInjection verifies the property for one bundle: the JS is the
// original with exactly the snippet and comment added, every original
// segment is found at its shifted place, the only new segment is the copy of
// the covering segment, and the map is otherwise byte-identical.
func checkInjection(t *testing.T, js, sm []byte, o outcome) {
	t.Helper()
	S := debugid.Snippet(o.id)
	at := preludeEnd(js)
	wantJS := string(js[:at]) + "\n" + S + "\n" + string(js[at:]) + "\n" + debugid.Comment(o.id) + "\n"
	if string(o.newJS) != wantJS {
		t.Fatalf("JS is not the original plus snippet and comment")
	}
	L, C := position(js, at)

	before, err := parseMap(context.Background(), sm, nil)
	if err != nil {
		t.Fatal(err)
	}
	after, err := parseMap(context.Background(), o.newMap, nil)
	if err != nil {
		t.Fatalf("injected map does not parse: %v", err)
	}
	oldSegs := decodeMappings(t, string(sm[before.mappings.ValStart+1:before.mappings.ValEnd-1]))
	newSegs := decodeMappings(t, string(o.newMap[after.mappings.ValStart+1:after.mappings.ValEnd-1]))

	// Segments before the split stay; a copy of the one covering the split
	// column starts the moved part of line L, unless a segment starts exactly
	// there; everything after the split moves down two lines (and, on line
	// L, left by C).
	var want, moved []segment
	var covering *segment
	exact := false
	for i, s := range oldSegs {
		if s.line < L || (s.line == L && s.col < C) {
			want = append(want, s)
			if s.line == L {
				covering = &oldSegs[i]
			}
			continue
		}
		exact = exact || (s.line == L && s.col == C)
		m := s
		if s.line == L {
			m.col -= C
		}
		m.line += 2
		moved = append(moved, m)
	}
	if C > 0 && covering != nil && !exact {
		c := *covering
		c.line, c.col = L+2, 0
		want = append(want, c)
	}
	want = append(want, moved...)
	if fmt.Sprint(newSegs) != fmt.Sprint(want) {
		t.Fatalf("split at (%d,%d)\nold  %v\nnew  %v\nwant %v", L, C, oldSegs, newSegs, want)
	}

	// Apart from mappings and the added keys, the map is byte-identical.
	restored := string(o.newMap[:after.mappings.ValStart]) + string(sm[before.mappings.ValStart:before.mappings.ValEnd]) + string(o.newMap[after.mappings.ValEnd:])
	added := `,"debugId":"` + o.id.String() + `","debug_id":"` + o.id.String() + `"`
	if strings.Replace(restored, added, "", 1) != string(sm) {
		t.Fatalf("map bytes changed beyond mappings and the ID keys:\n%s\n%s", sm, o.newMap)
	}
}
