package sourcemap

import (
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf8"
)

// strList is a JSON array of strings (or nulls), "sources" or "names". Big
// maps have tens of thousands of names of which a lookup needs one or two,
// so the list keeps the array's text and element offsets and makes the
// string only when asked. Elements whose text is not their value (escapes)
// are decoded when the list is read, so malformed escapes are found at Parse
// time. The zero strList is the empty list.
type strList struct {
	raw     []byte           // the array's text
	spans   [][2]int32       // element i is raw[spans[i][0]:spans[i][1]], quotes included
	escaped map[int32]string // decoded elements whose text has escapes
	bad     map[int32]bool   // elements of the wrong type, read as null
}

// scanList reads "sources" (nullable: elements are strings or null) or
// "names" (elements are strings) from its text v and element offsets elems,
// as the member scan found them. An element of another type is recorded as a
// problem and read as null; a string with malformed escapes makes the
// document invalid JSON.
func scanList(v []byte, elems [][2]int, member string, nullable bool, probs *[]Problem) (*strList, *Problem) {
	if len(v) > math.MaxInt32 {
		return nil, fatal(ProblemType, member, "is larger than 2 GiB")
	}
	l := &strList{raw: v, spans: make([][2]int32, len(elems))}
	for i, e := range elems {
		t := v[e[0]:e[1]]
		l.spans[i] = [2]int32{int32(e[0]), int32(e[1])}
		switch {
		case t[0] == 'n' && nullable:
		case len(t) >= 2 && t[0] == '"':
			if plainJSONString(t[1 : len(t)-1]) {
				continue
			}
			var s string
			if err := json.Unmarshal(t, &s); err != nil {
				return nil, fatal(ProblemJSON, fmt.Sprintf("%s[%d]", member, i), "not valid JSON: %v", err)
			}
			if l.escaped == nil {
				l.escaped = map[int32]string{}
			}
			l.escaped[int32(i)] = s
		default:
			want, as := "a string", "an empty name"
			if nullable {
				want, as = "a string or null", "null"
			}
			*probs = append(*probs, memberProblem(ProblemMember, fmt.Sprintf("%s[%d]", member, i), "read as "+as, "is %s, not %s", describe(t), want))
			if l.bad == nil {
				l.bad = map[int32]bool{}
			}
			l.bad[int32(i)] = true
		}
	}
	return l, nil
}

// plainJSONString reports whether the body of a JSON string is its value:
// no escapes, no control characters, valid UTF-8.
func plainJSONString(b []byte) bool {
	ascii := true
	for _, c := range b {
		if c < 0x20 || c == '\\' {
			return false
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	return ascii || utf8.Valid(b)
}

// Null reports whether element i is null (or was read as null); i must be
// in range.
func (l *strList) Null(i int) bool {
	if _, esc := l.escaped[int32(i)]; esc {
		return false
	}
	return l.raw[l.spans[i][0]] != '"'
}

func (l *strList) Len() int {
	return len(l.spans)
}

// At returns element i ("" for null); i must be in range.
func (l *strList) At(i int) string {
	if s, ok := l.escaped[int32(i)]; ok {
		return s
	}
	sp := l.spans[i]
	if l.raw[sp[0]] != '"' {
		return "" // null, or read as null
	}
	return string(l.raw[sp[0]+1 : sp[1]-1])
}

// all returns the whole list as strings.
func (l *strList) all() []string {
	out := make([]string, len(l.spans))
	for i := range out {
		out[i] = l.At(i)
	}
	return out
}
