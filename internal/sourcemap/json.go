package sourcemap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/mapback/mapback/internal/jsonscan"
)

// rawMap is a map document split into its members. The members are found by
// jsonscan, which skips strings with IndexByte and builds no values: big
// members ("mappings", "sourcesContent", "sources", "names") stay text and
// are read where they lie. Only small members are decoded here, each against
// the type ECMA-426 gives it; what does not fit is either a fatal problem
// (the format requires it) or recorded and read as absent.
type rawMap struct {
	version    []byte // the raw value, nil when missing
	file       []byte
	sourceRoot []byte
	mappings   []byte
	sources    []byte
	names      []byte
	content    []byte // "sourcesContent"
	sections   []byte
	ignoreList []byte
	xIgnore    []byte // "x_google_ignoreList"
	debugID    []byte
	debugSnake []byte // "debug_id"

	// Element offsets (relative to the value) of the arrays the member scan
	// read; contentElems is nil when sourcesContent was left unread.
	sourceElems, nameElems, contentElems, ignoreElems, xIgnoreElems [][2]int
}

// decodeRaw splits a map document into members. With skipContent a large
// "sourcesContent" is not even scanned (jsonscan.DocumentSkipping): where
// its value ends is inferred from the members after it, read backwards. The
// inference is trusted only when the members a lookup relies on were all
// found; otherwise the document is scanned whole. SourceContent reads the
// skipped text as far as the entry it needs, and checks where the value ends
// once it reads to the end (readContent).
func decodeRaw(b []byte, skipContent bool) (*rawMap, *Problem) {
	var (
		members []jsonscan.Member
		err     error
	)
	if skipContent {
		members, _, _, err = jsonscan.DocumentSkipping(b, "sourcesContent")
		if err == nil && !hasLookupMembers(members) {
			return decodeRaw(b, false)
		}
	} else {
		members, _, _, err = jsonscan.Document(b)
	}
	if err != nil {
		return nil, notJSON(err)
	}
	r := &rawMap{}
	for _, m := range members {
		// Array element offsets, relative to the value.
		for k := range m.Elems {
			m.Elems[k][0] -= m.ValStart
			m.Elems[k][1] -= m.ValStart
		}
		v := b[m.ValStart:m.ValEnd]
		// A repeated key: the last one wins, as in JSON.parse.
		switch m.Key {
		case "version":
			r.version = v
		case "file":
			r.file = v
		case "sourceRoot":
			r.sourceRoot = v
		case "mappings":
			r.mappings = v
		case "sources":
			r.sources, r.sourceElems = v, m.Elems
		case "names":
			r.names, r.nameElems = v, m.Elems
		case "sourcesContent":
			r.content, r.contentElems = v, m.Elems
			if m.Unread {
				r.contentElems = nil
			}
		case "sections":
			r.sections = v
		case "ignoreList":
			r.ignoreList, r.ignoreElems = v, m.Elems
		case "x_google_ignoreList":
			r.xIgnore, r.xIgnoreElems = v, m.Elems
		case "debugId":
			r.debugID = v
		case "debug_id":
			r.debugSnake = v
		}
	}
	return r, nil
}

// notJSON is the fatal problem for text that is not valid JSON.
func notJSON(err error) *Problem {
	p := fatal(ProblemJSON, "", "not valid JSON: %v", err)
	p.Err = err
	return p
}

// notAnObject is the fatal problem for a document that does not even start
// like a JSON object: some other file (a bundle, /etc/passwd, an HTML error
// page), which a message must not quote.
func notAnObject(data []byte) *Problem {
	t := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(t) == 0:
		return fatal(ProblemJSON, "", "not a source map: the file is empty")
	case t[0] != '{':
		return fatal(ProblemJSON, "", "not a source map: the file is not a JSON object")
	}
	return nil
}

// at words a JSON syntax problem with its place in the file: data is the
// whole file, prefix the length of what Parse stripped before decoding.
func (p *Problem) at(data []byte, prefix int) *Problem {
	var se *jsonscan.SyntaxError
	if !errors.As(p.Err, &se) {
		return p
	}
	q := *p
	q.Detail = "not valid JSON: " + se.Msg + " " + jsonPos(data, se.Offset+prefix)
	return &q
}

// jsonPos formats a byte offset of data as "at line L, column C (byte N)
// near `…`": 20 bytes either side, whitespace folded.
func jsonPos(data []byte, off int) string {
	off = max(0, min(off, len(data)))
	line := bytes.Count(data[:off], []byte("\n")) + 1
	col := off - (bytes.LastIndexByte(data[:off], '\n') + 1) + 1
	if off >= len(data) {
		return fmt.Sprintf("at the end of the file (byte %d, line %d): the file is truncated", off, line)
	}
	a, z := max(0, off-20), min(len(data), off+20)
	for a > 0 && !utf8.RuneStart(data[a]) {
		a--
	}
	for z < len(data) && !utf8.RuneStart(data[z]) {
		z++
	}
	near := strings.Join(strings.Fields(string(data[a:z])), " ")
	return fmt.Sprintf("at line %d, column %d (byte %d), near `%s`", line, col, off, near)
}

// hasLookupMembers reports whether members has no unread member or has
// every member a lookup of a regular map relies on: had the backward scan
// stopped short, a member it missed would most likely be one of these.
func hasLookupMembers(members []jsonscan.Member) bool {
	unread := false
	found := map[string]bool{}
	for _, m := range members {
		unread = unread || m.Unread
		found[m.Key] = true
	}
	return !unread || found["version"] && found["sources"] && found["names"] && found["mappings"]
}

// checkVersion applies the policy for "version": ECMA-426 lets a decoder go
// on with another version, mapback does not (every command refuses it), as
// nothing else in such a file can be trusted to mean what version 3 means.
func checkVersion(v []byte) *Problem {
	switch {
	case v == nil:
		return fatal(ProblemVersion, "version", `missing (a source map has "version": 3)`)
	case v[0] == '"':
		return fatal(ProblemVersion, "version", `is the string %s; it must be the number 3`, v)
	case v[0] < '0' && v[0] != '-' || v[0] > '9':
		return fatal(ProblemVersion, "version", "is %s, not the number 3", describe(v))
	}
	if f, err := strconv.ParseFloat(string(v), 64); err != nil || f != 3 {
		return fatal(ProblemVersion, "version", "is %s; only version 3 source maps exist", v)
	}
	return nil
}

// jsonString decodes a JSON string value; ok is false when v is not a
// string. A string whose escapes are malformed is an error.
func jsonString(v []byte) (s string, ok bool, err error) {
	if len(v) < 2 || v[0] != '"' {
		return "", false, nil
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1]), true, nil
	}
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false, err
	}
	return s, true, nil
}

// optionalString reads a member that is a string or absent; another type is
// recorded and read as absent.
func optionalString(v []byte, member string, probs *[]Problem) (string, *Problem) {
	if v == nil {
		return "", nil
	}
	s, ok, err := jsonString(v)
	switch {
	case err != nil:
		return "", fatal(ProblemJSON, member, "not valid JSON: %v", err)
	case !ok:
		*probs = append(*probs, memberProblem(ProblemMember, member, "read as absent", "is %s, not a string", describe(v)))
	}
	return s, nil
}

// requiredMappings returns the "mappings" text. Without escapes (always, in
// practice) it is the value itself, not copied (6 MB for the largest maps):
// like sourcesContent it is read in place, so Parse's data must stay
// unchanged while the map is used.
func requiredMappings(v []byte) (string, *Problem) {
	switch {
	case v == nil:
		return "", fatal(ProblemType, "mappings", `missing (a source map needs "mappings", a string)`)
	case v[0] != '"':
		return "", fatal(ProblemType, "mappings", "is %s, not a string", describe(v))
	case bytes.IndexByte(v, '\\') < 0:
		if len(v) == 2 {
			return "", nil
		}
		return unsafe.String(&v[1], len(v)-2), nil
	}
	s, _, err := jsonString(v)
	if err != nil {
		return "", fatal(ProblemJSON, "mappings", "not valid JSON: %v", err)
	}
	return s, nil
}

// indexList reads "ignoreList" (or "x_google_ignoreList"): a list of indexes
// of sources. Elements that are not such an index, and a value that is not
// a list, are recorded and left out.
func indexList(v []byte, elems [][2]int, member string, nSources int, probs *[]Problem) []bool {
	if v == nil {
		return nil
	}
	if v[0] != '[' {
		*probs = append(*probs, memberProblem(ProblemMember, member, "read as absent", "is %s, not a list of source indexes", describe(v)))
		return nil
	}
	var ignored []bool
	for k, e := range elems {
		t := v[e[0]:e[1]]
		f, err := strconv.ParseFloat(string(t), 64)
		switch {
		case len(t) == 0 || (t[0] != '-' && (t[0] < '0' || t[0] > '9')) || err != nil:
			*probs = append(*probs, memberProblem(ProblemMember, fmt.Sprintf("%s[%d]", member, k), "left out", "is %s, not a source index", describe(t)))
		case f != math.Trunc(f) || f < 0 || f >= float64(nSources):
			*probs = append(*probs, memberProblem(ProblemMember, fmt.Sprintf("%s[%d]", member, k), "left out", "is %s, which is not an index of sources (the map has %s)", t, plural(nSources, "source")))
		default:
			if ignored == nil {
				ignored = make([]bool, nSources)
			}
			ignored[int(f)] = true
		}
	}
	return ignored
}

// plural formats a count with its noun: "1 source", "3 sources".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
