// Package jsonscan finds the members of a JSON object in its text without
// decoding the values. Source maps are mostly one huge string
// (sourcesContent) that injection must not touch and lookups rarely need:
// skipping strings with IndexByte is far cheaper than building values, and
// the offsets let callers edit the text in place or decode only what they
// need. The structure is checked (balanced brackets, "key": value pairs,
// nothing after the end, bounded nesting), numbers and escapes are not.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Member is one "key": value pair of an object.
type Member struct {
	Key              string
	KeyStart, KeyEnd int // the key's text, quotes included
	ValStart, ValEnd int // [ValStart, ValEnd) is the value's text
	// Elems are the [start, end) offsets of the elements when the value is
	// an array (the scan finds them anyway): a caller that needs one
	// element of a big array does not scan it again.
	Elems [][2]int
	// Unread: DocumentSkipping did not read the value, and ValEnd is where
	// it guessed the value ends (see backward.go).
	Unread bool
}

// maxDepth bounds nesting so a hostile file of brackets cannot exhaust the
// stack; real maps nest four or five levels.
const maxDepth = 512

// SyntaxError is malformed JSON at a byte offset.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.Msg, e.Offset) }

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// Object reads the object starting at b[i] == '{' and returns its members
// and the offset just past its closing brace.
func Object(b []byte, i int) ([]Member, int, error) { return scanObject(b, i, 0) }

func scanObject(b []byte, i, depth int) ([]Member, int, error) { return scanMembers(b, i, depth, "") }

// scanTop is scanObject for the top-level object, leaving the array value
// of the member named skip unread where DocumentSkipping allows.
func scanTop(b []byte, i int, skip string) ([]Member, int, error) { return scanMembers(b, i, 0, skip) }

func scanMembers(b []byte, i, depth int, skip string) ([]Member, int, error) {
	if i >= len(b) || b[i] != '{' {
		return nil, 0, &SyntaxError{i, "expected '{'"}
	}
	if depth > maxDepth {
		return nil, 0, &SyntaxError{i, "nested too deeply"}
	}
	var members []Member
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return members, i + 1, nil
	}
	for {
		if i >= len(b) {
			return nil, 0, &SyntaxError{i, "unexpected end of JSON"}
		}
		if b[i] != '"' {
			return nil, 0, &SyntaxError{i, "expected a member name"}
		}
		keyEnd, err := skipString(b, i)
		if err != nil {
			return nil, 0, err
		}
		key, err := decodeKey(b[i:keyEnd])
		if err != nil {
			return nil, 0, &SyntaxError{i, "invalid member name"}
		}
		m := Member{Key: key, KeyStart: i, KeyEnd: keyEnd}
		i = skipWS(b, keyEnd)
		if i >= len(b) || b[i] != ':' {
			return nil, 0, &SyntaxError{i, "expected ':'"}
		}
		i = skipWS(b, i+1)
		m.ValStart = i
		if skip != "" && key == skip && i < len(b) && b[i] == '[' && len(b)-i >= skipMin {
			if tail, valEnd, elems, read, end, err := tailMembers(b, i); err == nil {
				m.ValEnd, m.Elems, m.Unread = valEnd, elems, !read
				return append(append(members, m), tail...), end, nil
			}
		}
		if i < len(b) && b[i] == '[' {
			if m.Elems, i, err = scanArray(b, i, depth+1); err != nil {
				return nil, 0, err
			}
		} else if i, err = skipValue(b, i, depth+1); err != nil {
			return nil, 0, err
		}
		m.ValEnd = i
		members = append(members, m)
		i = skipWS(b, i)
		if i >= len(b) {
			return nil, 0, &SyntaxError{i, "unexpected end of JSON"}
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return members, i + 1, nil
		default:
			return nil, 0, &SyntaxError{i, "expected ',' or '}'"}
		}
	}
}

func decodeKey(quoted []byte) (string, error) {
	if bytes.IndexByte(quoted, '\\') < 0 {
		return string(quoted[1 : len(quoted)-1]), nil
	}
	var s string
	err := json.Unmarshal(quoted, &s)
	return s, err
}

// skipString returns the offset just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, &SyntaxError{i, "unterminated string"}
		}
		j += k
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		j++
		if n%2 == 0 {
			return j, nil
		}
	}
}

// skipValue returns the offset just past the value starting at b[i].
func skipValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return 0, &SyntaxError{i, "unexpected end of JSON"}
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{':
		_, end, err := scanObject(b, i, depth)
		return end, err
	case c == '[':
		_, end, err := scanArray(b, i, depth)
		return end, err
	case c == '-' || (c >= '0' && c <= '9'):
		j := i + 1
		for j < len(b) && bytes.IndexByte([]byte("0123456789.eE+-"), b[j]) >= 0 {
			j++
		}
		return j, nil
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(b[i:], []byte(lit)) {
				return i + len(lit), nil
			}
		}
		return 0, &SyntaxError{i, fmt.Sprintf("unexpected %q", c)}
	}
}

// Array reads the array starting at b[i] == '[' and returns the [start, end)
// offsets of its elements and the offset just past its closing bracket.
func Array(b []byte, i int) ([][2]int, int, error) { return scanArray(b, i, 0) }

func scanArray(b []byte, i, depth int) ([][2]int, int, error) { return scanArrayInto(b, i, depth, nil) }

// scanArrayInto is scanArray appending to elems.
func scanArrayInto(b []byte, i, depth int, elems [][2]int) ([][2]int, int, error) {
	if depth > maxDepth {
		return nil, 0, &SyntaxError{i, "nested too deeply"}
	}
	r := ArrayReader{b: b, i: skipWS(b, i+1), depth: depth}
	for {
		start, end, ok, err := r.Next()
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			return elems, r.End(), nil
		}
		elems = append(elems, [2]int{start, end})
	}
}

// Document scans a whole source map text: an optional UTF-8 BOM or ")]}'"
// line, a top-level object, and only whitespace after it. open and end are
// the offsets of its braces' outer bounds.
func Document(b []byte) (members []Member, open, end int, err error) {
	open = skipWS(b, SkipPrefix(b))
	members, end, err = scanObject(b, open, 0)
	if err != nil {
		return nil, 0, 0, err
	}
	if rest := skipWS(b, end); rest != len(b) {
		return nil, 0, 0, &SyntaxError{rest, "unexpected data after the top-level object"}
	}
	return members, open, end, nil
}

// SkipPrefix returns the length of a UTF-8 BOM or of the ")]}'" line that
// some servers prepend to JSON against script inclusion; both are allowed
// before a source map.
func SkipPrefix(b []byte) int {
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		return 3
	}
	if bytes.HasPrefix(b, []byte(")]}'")) {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			return i + 1
		}
	}
	return 0
}

// ArrayReader reads the elements of an array one at a time, so that a caller
// that needs element i reads no further than its end.
type ArrayReader struct {
	b     []byte
	i     int // offset of the next element, or of the closing bracket
	depth int // of the array, bounding the nesting of its elements
	comma bool
	end   int // offset just past the closing bracket, once read
	done  bool
}

// NewArrayReader starts reading the array at b[i] == '['.
func NewArrayReader(b []byte, i int) (*ArrayReader, error) {
	if i >= len(b) || b[i] != '[' {
		return nil, &SyntaxError{i, "expected '['"}
	}
	return &ArrayReader{b: b, i: skipWS(b, i+1)}, nil
}

// Next returns the [start, end) offsets of the next element; ok is false
// after the last one, when End is known.
func (r *ArrayReader) Next() (start, end int, ok bool, err error) {
	b, i := r.b, r.i
	if r.done {
		return 0, 0, false, nil
	}
	if !r.comma && i < len(b) && b[i] == ']' {
		r.done, r.end = true, i+1
		return 0, 0, false, nil
	}
	// After a comma a ']' is an error, which skipValue reports.
	if end, err = skipValue(b, i, r.depth+1); err != nil {
		return 0, 0, false, err
	}
	j := skipWS(b, end)
	switch {
	case j >= len(b):
		return 0, 0, false, &SyntaxError{j, "unexpected end of JSON"}
	case b[j] == ',':
		r.i, r.comma = skipWS(b, j+1), true
	case b[j] == ']':
		r.i, r.comma = j, false
	default:
		return 0, 0, false, &SyntaxError{j, "expected ',' or ']'"}
	}
	return i, end, true, nil
}

// End returns the offset just past the closing bracket, once Next has
// returned ok false.
func (r *ArrayReader) End() int { return r.end }
