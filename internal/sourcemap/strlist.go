package sourcemap

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// strList is a JSON array of strings (or nulls), "sources" or "names". Big
// maps have tens of thousands of names of which a lookup needs one or two,
// so the fast path keeps the array's text and element offsets and makes the
// string only when asked. Elements whose text is not their value (escapes)
// are decoded when the list is read, so a list that encoding/json would
// reject is rejected at Parse time as before.
type strList struct {
	vals []string // decoded list (slow path, index maps), or nil

	raw     []byte           // the array's text
	spans   [][2]int32       // element i is raw[spans[i][0]:spans[i][1]], quotes included
	escaped map[int32]string // decoded elements whose text has escapes
}

func decodedList(p []*string) *strList {
	l := &strList{vals: make([]string, len(p))}
	for i, s := range p {
		if s != nil {
			l.vals[i] = *s
		}
	}
	return l
}

// scanList reads the array of strings or nulls in v (elems: its element
// offsets, from the member scan), or fails (errFast) on anything
// encoding/json would not decode into []*string the same way.
func scanList(v []byte, elems [][2]int) (*strList, error) {
	if bytes.Equal(v, []byte("null")) {
		return &strList{}, nil
	}
	if len(v) == 0 || v[0] != '[' || len(v) > 1<<31-1 {
		return nil, errFast
	}
	l := &strList{raw: v, spans: make([][2]int32, len(elems))}
	for i, e := range elems {
		t := v[e[0]:e[1]]
		l.spans[i] = [2]int32{int32(e[0]), int32(e[1])}
		switch {
		case bytes.Equal(t, []byte("null")):
		case len(t) >= 2 && t[0] == '"':
			if plainJSONString(t[1 : len(t)-1]) {
				continue
			}
			var s string
			if json.Unmarshal(t, &s) != nil {
				return nil, errFast
			}
			if l.escaped == nil {
				l.escaped = map[int32]string{}
			}
			l.escaped[int32(i)] = s
		default:
			return nil, errFast
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

func (l *strList) Len() int {
	if l.vals != nil || l.raw == nil {
		return len(l.vals)
	}
	return len(l.spans)
}

// At returns element i ("" for null); i must be in range.
func (l *strList) At(i int) string {
	if l.vals != nil {
		return l.vals[i]
	}
	if s, ok := l.escaped[int32(i)]; ok {
		return s
	}
	sp := l.spans[i]
	if l.raw[sp[0]] == 'n' {
		return ""
	}
	return string(l.raw[sp[0]+1 : sp[1]-1])
}

// all returns the whole list as strings.
func (l *strList) all() []string {
	if l.vals != nil || l.raw == nil {
		return l.vals
	}
	out := make([]string, len(l.spans))
	for i := range out {
		out[i] = l.At(i)
	}
	return out
}
