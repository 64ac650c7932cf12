package inject

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The map is edited as text, so mapback needs to know where the top-level
// members are without decoding the file: a 30 MB map is mostly one
// sourcesContent string, and skipping strings with IndexByte is far cheaper
// than building values. The scanner checks the structure (balanced brackets,
// "key": value pairs in objects, nothing after the end) so a file that is not
// JSON is rejected, but does not validate every number or escape.

type member struct {
	key              string
	keyStart, keyEnd int // the key's text, quotes included
	valStart, valEnd int // [valStart, valEnd) is the value's text
}

// maxDepth bounds nesting so a hostile file of brackets cannot exhaust the
// stack; real maps nest four or five levels.
const maxDepth = 512

type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.msg, e.off) }

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

// scanObject reads the object starting at b[i] == '{' and returns its
// members and the offset just past its closing brace.
func scanObject(b []byte, i, depth int) ([]member, int, error) {
	if i >= len(b) || b[i] != '{' {
		return nil, 0, &syntaxError{i, "expected '{'"}
	}
	if depth > maxDepth {
		return nil, 0, &syntaxError{i, "nested too deeply"}
	}
	var members []member
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return members, i + 1, nil
	}
	for {
		if i >= len(b) {
			return nil, 0, &syntaxError{i, "unexpected end of JSON"}
		}
		if b[i] != '"' {
			return nil, 0, &syntaxError{i, "expected a member name"}
		}
		keyEnd, err := skipString(b, i)
		if err != nil {
			return nil, 0, err
		}
		key, err := decodeKey(b[i:keyEnd])
		if err != nil {
			return nil, 0, &syntaxError{i, "invalid member name"}
		}
		m := member{key: key, keyStart: i, keyEnd: keyEnd}
		i = skipWS(b, keyEnd)
		if i >= len(b) || b[i] != ':' {
			return nil, 0, &syntaxError{i, "expected ':'"}
		}
		i = skipWS(b, i+1)
		m.valStart = i
		if i, err = skipValue(b, i, depth+1); err != nil {
			return nil, 0, err
		}
		m.valEnd = i
		members = append(members, m)
		i = skipWS(b, i)
		if i >= len(b) {
			return nil, 0, &syntaxError{i, "unexpected end of JSON"}
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return members, i + 1, nil
		default:
			return nil, 0, &syntaxError{i, "expected ',' or '}'"}
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
			return 0, &syntaxError{i, "unterminated string"}
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
		return 0, &syntaxError{i, "unexpected end of JSON"}
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
		return 0, &syntaxError{i, fmt.Sprintf("unexpected %q", c)}
	}
}

// scanArray reads the array starting at b[i] == '[' and returns the start
// offsets of its elements and the offset just past its closing bracket.
func scanArray(b []byte, i, depth int) ([]int, int, error) {
	if depth > maxDepth {
		return nil, 0, &syntaxError{i, "nested too deeply"}
	}
	var elems []int
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return elems, i + 1, nil
	}
	for {
		elems = append(elems, i)
		var err error
		if i, err = skipValue(b, i, depth+1); err != nil {
			return nil, 0, err
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return nil, 0, &syntaxError{i, "unexpected end of JSON"}
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			return elems, i + 1, nil
		default:
			return nil, 0, &syntaxError{i, "expected ',' or ']'"}
		}
	}
}

// scanDocument scans a whole JSON document whose top level is an object,
// allowing only whitespace after it.
func scanDocument(b []byte) (members []member, open, end int, err error) {
	open = skipWS(b, skipMapPrefix(b))
	members, end, err = scanObject(b, open, 0)
	if err != nil {
		return nil, 0, 0, err
	}
	if rest := skipWS(b, end); rest != len(b) {
		return nil, 0, 0, &syntaxError{rest, "unexpected data after the top-level object"}
	}
	return members, open, end, nil
}

// skipMapPrefix returns the length of a UTF-8 BOM or of the ")]}'" line that
// some servers prepend to JSON against script inclusion; both are allowed
// before a source map.
func skipMapPrefix(b []byte) int {
	if bytes.HasPrefix(b, utf8BOM) {
		return len(utf8BOM)
	}
	if bytes.HasPrefix(b, []byte(")]}'")) {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			return i + 1
		}
	}
	return 0
}
