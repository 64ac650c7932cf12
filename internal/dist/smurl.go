package dist

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/mapback/mapback/internal/bytesearch"
)

const smKey = "sourceMappingURL="

// SourceMappingURL finds the LAST `//# sourceMappingURL=` (or legacy `//@ sourceMappingURL=`)
// comment in js. Like the reference client, the comment must start its line: it begins at byte 0 or
// right after a '\n', with no leading whitespace.
//
// value is the text after the '=', trimmed and cut at the first whitespace; for anything but a
// `data:` URL a `?query` or `#fragment` is removed. [lineStart, lineEnd) are the byte offsets of the
// whole comment line; lineEnd excludes the line break ("\n" or "\r\n"). ok is false when there is no
// such comment. The search runs backwards from the end of js and is linear in len(js).
func SourceMappingURL(js []byte) (value string, lineStart, lineEnd int, ok bool) {
	raw, lineStart, lineEnd, ok := findSourceMappingURL(js)
	if !ok {
		return "", 0, 0, false
	}
	return stripQuery(raw), lineStart, lineEnd, true
}

// findSourceMappingURL is SourceMappingURL without the ?query/#fragment removal: raw is the value as
// written (trimmed and cut at the first whitespace).
func findSourceMappingURL(js []byte) (raw string, lineStart, lineEnd int, ok bool) {
	key := []byte(smKey)
	end := len(js)
	for {
		i := bytesearch.LastIndex(js[:end], key)
		if i < 4 {
			// No hit, or a hit too close to the start to have a "//# " prefix.
			return "", 0, 0, false
		}
		end = i
		s := i - 4
		if js[s] != '/' || js[s+1] != '/' || (js[s+2] != '#' && js[s+2] != '@') || js[s+3] != ' ' {
			continue
		}
		if s > 0 && js[s-1] != '\n' {
			continue
		}
		vStart := i + len(key)
		e := bytes.IndexByte(js[vStart:], '\n')
		if e < 0 {
			e = len(js)
		} else {
			e += vStart
		}
		lineEnd = e
		if lineEnd > vStart && js[lineEnd-1] == '\r' {
			lineEnd--
		}
		v := bytes.TrimSpace(js[vStart:lineEnd])
		if k := bytes.IndexFunc(v, unicode.IsSpace); k >= 0 {
			v = v[:k]
		}
		return string(v), s, lineEnd, true
	}
}

// stripQuery removes a ?query and #fragment from a sourceMappingURL value that is not a data: URL.
func stripQuery(v string) string {
	if isDataURL(v) {
		return v
	}
	if k := strings.IndexAny(v, "?#"); k >= 0 {
		return v[:k]
	}
	return v
}

func isDataURL(v string) bool {
	return len(v) >= 5 && strings.EqualFold(v[:5], "data:")
}

// DecodeDataURL decodes a `data:` URL holding a source map (RFC 2397): the base64 form, with or
// without parameters such as `;charset=utf-8` before `;base64`, and the non-base64 form whose data is
// percent-encoded (or plain). The media type is not checked. Errors are phrased to follow "... is",
// e.g. "not valid base64: illegal base64 data at input byte 4".
func DecodeDataURL(u string) ([]byte, error) {
	if !isDataURL(u) {
		return nil, errors.New("not a data: URL")
	}
	rest := u[len("data:"):]
	comma := strings.IndexByte(rest, ',')
	if comma < 0 {
		return nil, errors.New("not a complete data: URL (no ',' before the data)")
	}
	header, data := rest[:comma], rest[comma+1:]
	isBase64 := false
	if k := strings.LastIndexByte(header, ';'); k >= 0 && strings.EqualFold(strings.TrimSpace(header[k+1:]), "base64") {
		isBase64 = true
	}
	if !isBase64 {
		out, err := url.PathUnescape(data)
		if err != nil {
			return nil, fmt.Errorf("not validly percent-encoded: %v", err)
		}
		return []byte(out), nil
	}
	if strings.IndexByte(data, '%') >= 0 {
		// RFC 2397 allows URL-escaping inside base64 data (e.g. %3D for '=').
		if un, err := url.PathUnescape(data); err == nil {
			data = un
		}
	}
	out, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		// Accept unpadded data too; report the error of the canonical (padded) form.
		if out2, err2 := base64.RawStdEncoding.DecodeString(data); err2 == nil {
			return out2, nil
		}
		return nil, fmt.Errorf("not valid base64: %v", err)
	}
	return out, nil
}
