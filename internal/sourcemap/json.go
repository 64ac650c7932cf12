package sourcemap

import (
	"bytes"
	"encoding/json"
	"errors"
)

var errFast = errors.New("fast path declined")

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// skipString returns the offset just past the JSON string starting at b[i]
// (b[i] == '"') and whether it contains a backslash.
func skipString(b []byte, i int) (int, bool, error) {
	i++
	esc := false
	for {
		k := bytes.IndexByte(b[i:], '"')
		if k < 0 {
			return 0, false, errFast
		}
		j := i + k
		// count backslashes before the quote
		n := 0
		for p := j - 1; p >= i && b[p] == '\\'; p-- {
			n++
		}
		if !esc && bytes.IndexByte(b[i:j], '\\') >= 0 {
			esc = true
		}
		if n%2 == 0 {
			return j + 1, esc, nil
		}
		i = j + 1
	}
}

// skipValue returns the offset just past the JSON value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errFast
	}
	switch b[i] {
	case '"':
		j, _, err := skipString(b, i)
		return j, err
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch c := b[i]; c {
			case '"':
				j, _, err := skipString(b, i)
				if err != nil {
					return 0, err
				}
				i = j
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return 0, errFast
	default:
		j := i
		for j < len(b) && !isWS(b[j]) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
			j++
		}
		if j == i {
			return 0, errFast
		}
		return j, nil
	}
}

// fastDecode decodes the top-level object field by field. Only known keys
// other than "sourcesContent" are passed to encoding/json; unknown keys and
// sourcesContent are skipped without validation (sourcesContent entries are
// validated when SourceContent decodes them). Any irregularity returns an
// error so that the caller falls back to encoding/json.
func fastDecode(b []byte) (*rawMap, error) {
	r := &rawMap{}
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, errFast
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '"' {
				return nil, errFast
			}
			ke, kesc, err := skipString(b, i)
			if err != nil || kesc {
				return nil, errFast
			}
			key := string(b[i+1 : ke-1])
			i = skipWS(b, ke)
			if i >= len(b) || b[i] != ':' {
				return nil, errFast
			}
			vs := skipWS(b, i+1)
			ve, err := skipValue(b, vs)
			if err != nil {
				return nil, err
			}
			if err := r.setField(key, b[vs:ve]); err != nil {
				return nil, err
			}
			i = skipWS(b, ve)
			if i >= len(b) {
				return nil, errFast
			}
			if b[i] == '}' {
				i++
				break
			}
			if b[i] != ',' {
				return nil, errFast
			}
			i = skipWS(b, i+1)
		}
	}
	if skipWS(b, i) != len(b) {
		return nil, errFast
	}
	return r, nil
}

func (r *rawMap) setField(key string, v []byte) error {
	var dst any
	switch key {
	case "sourcesContent":
		if len(v) > 0 && v[0] == '[' {
			r.SourcesContent = v
		} else if string(v) != "null" {
			return errFast
		} else {
			r.SourcesContent = nil
		}
		return nil
	case "mappings":
		if len(v) >= 2 && v[0] == '"' {
			if _, esc, err := skipString(v, 0); err == nil && !esc {
				s := string(v[1 : len(v)-1])
				r.Mappings = &s
				return nil
			}
		}
		r.Mappings = nil
		dst = &r.Mappings
	case "version":
		r.Version = nil
		dst = &r.Version
	case "file":
		dst = &r.File
	case "sourceRoot":
		r.SourceRoot = nil
		dst = &r.SourceRoot
	case "sources":
		r.Sources = nil
		dst = &r.Sources
	case "names":
		r.Names = nil
		dst = &r.Names
	case "sections":
		r.Sections = nil
		dst = &r.Sections
	case "ignoreList":
		r.IgnoreList = nil
		dst = &r.IgnoreList
	case "x_google_ignoreList":
		r.XGoogleIgnore = nil
		dst = &r.XGoogleIgnore
	case "debugId":
		dst = &r.DebugID
	case "debug_id":
		dst = &r.DebugIDSnake
	default:
		return nil
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return errFast
	}
	return nil
}
