package sourcemap

import (
	"bytes"
	"encoding/json"
	"errors"
	"unsafe"

	"github.com/mapback/mapback/internal/jsonscan"
)

var errFast = errors.New("fast path declined")

// fastDecode decodes the top-level object field by field. Only known keys
// other than "sourcesContent", "sources" and "names" are passed to
// encoding/json; unknown keys and sourcesContent are skipped without
// validation (sourcesContent entries are validated when SourceContent
// decodes them), and sources and names are checked but kept as text
// (strlist.go). Any irregularity returns an
// error so that the caller falls back to encoding/json.
//
// With skipContent a large sourcesContent is not even scanned
// (jsonscan.DocumentSkipping): where its value ends is then inferred from the
// members after it, read backwards. The inference is trusted only when the
// members a lookup relies on were all found; otherwise the document is
// scanned whole. SourceContent reads the skipped text as far as the entry it
// needs, and checks where the value ends once it reads to the end
// (readContent).
func fastDecode(b []byte, skipContent bool) (*rawMap, error) {
	var (
		members []jsonscan.Member
		err     error
	)
	if skipContent {
		members, _, _, err = jsonscan.DocumentSkipping(b, "sourcesContent")
		if err == nil && !hasLookupMembers(members) {
			return fastDecode(b, false)
		}
	} else {
		members, _, _, err = jsonscan.Document(b)
	}
	if err != nil {
		return nil, errFast
	}
	r := &rawMap{}
	for _, m := range members {
		// Array element offsets, relative to the value.
		for k := range m.Elems {
			m.Elems[k][0] -= m.ValStart
			m.Elems[k][1] -= m.ValStart
		}
		if err := r.setField(m.Key, b[m.ValStart:m.ValEnd], m.Elems); err != nil {
			return nil, err
		}
	}
	return r, nil
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

// setField decodes one member; elems are the element offsets in v when v is
// an array.
func (r *rawMap) setField(key string, v []byte, elems [][2]int) error {
	var dst any
	switch key {
	case "sourcesContent":
		if len(v) > 0 && v[0] == '[' {
			r.SourcesContent, r.contentElems = v, elems
		} else if string(v) != "null" {
			return errFast
		} else {
			r.SourcesContent, r.contentElems = nil, nil
		}
		return nil
	case "mappings":
		if len(v) >= 2 && v[0] == '"' && bytes.IndexByte(v, '\\') < 0 {
			// No escapes: the text is the value. It is not copied (6 MB for
			// the largest maps): like sourcesContent, the map reads it in
			// place, and Parse's data must stay unchanged while the map is used.
			s := unsafe.String(&v[1], len(v)-2)
			if len(v) == 2 {
				s = ""
			}
			r.Mappings = &s
			return nil
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
		l, err := scanList(v, elems)
		if err != nil {
			return err
		}
		r.Sources, r.srcList = nil, l
		return nil
	case "names":
		l, err := scanList(v, elems)
		if err != nil {
			return err
		}
		r.Names, r.nameList = nil, l
		return nil
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
