package inject

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"github.com/mapback/mapback/internal/bytesearch"
	"github.com/mapback/mapback/internal/debugid"
)

// Layout says where the snippet went; it decides how the map must change.
type Layout string

const (
	// LayoutTop: snippet after the prelude, two line breaks inserted (a
	// regular map, external or inline).
	LayoutTop Layout = "top"
	// LayoutIndex: snippet on a new first line (after a hashbang), one line
	// inserted (an index map with sections).
	LayoutIndex Layout = "index"
	// LayoutEnd: snippet at the end, no code line moves (no map).
	LayoutEnd Layout = "end"
)

var utf8BOM = []byte("\xef\xbb\xbf")

// preludeEnd returns the byte offset where the reference client inserts the
// snippet (docs/internals/inject.md §5.1): after an optional hashbang line, any whitespace
// and comments, and one optional string statement. A UTF-8 BOM stays first:
// the scan starts after it (the reference client would put the snippet before
// it, where browsers no longer see it as a BOM).
func preludeEnd(js []byte) int {
	i := skipSpaceAndComments(js, headEnd(js))
	if i < len(js) && (js[i] == '"' || js[i] == '\'') {
		q := js[i]
		if j := bytes.IndexByte(js[i+1:], q); j >= 0 {
			end := i + 1 + j + 1 // just past the closing quote
			if end < len(js) && js[end] == ';' {
				i = end + 1
				// Only the single-quoted form also takes one line break.
				if q == '\'' && i < len(js) && (js[i] == '\n' || js[i] == '\r') {
					i++
				}
			}
		}
	}
	return i
}

// headEnd returns the length of what always stays first: a UTF-8 BOM and a
// hashbang line (only when a line break ends it).
func headEnd(js []byte) int {
	i := 0
	if bytes.HasPrefix(js, utf8BOM) {
		i = len(utf8BOM)
	}
	if bytes.HasPrefix(js[i:], []byte("#!")) {
		if j := bytes.IndexAny(js[i:], "\r\n"); j >= 0 {
			i += j + 1
		}
	}
	return i
}

// skipSpaceAndComments skips Unicode White_Space, block comments and
// terminated line comments from i. An unterminated comment is not skipped.
func skipSpaceAndComments(js []byte, i int) int {
	for i < len(js) {
		switch {
		case bytes.HasPrefix(js[i:], []byte("/*")):
			j := bytes.Index(js[i+2:], []byte("*/"))
			if j < 0 {
				return i
			}
			i += 2 + j + 2
		case bytes.HasPrefix(js[i:], []byte("//")):
			j := bytes.IndexAny(js[i:], "\r\n")
			if j < 0 {
				return i
			}
			i += j + 1
		default:
			r, size := utf8.DecodeRune(js[i:])
			if !unicode.Is(unicode.White_Space, r) {
				return i
			}
			i += size
		}
	}
	return i
}

// position returns the generated (line, column) of byte offset off, 0-based,
// with the column in UTF-16 code units and line breaks counted as V8 counts
// them (\n, \r\n, lone \r, U+2028, U+2029). A leading BOM is not counted:
// browsers drop it before the code is parsed.
func position(js []byte, off int) (line, col int) {
	start := 0
	if bytes.HasPrefix(js, utf8BOM) {
		start = len(utf8BOM)
	}
	lineStart := start
	for i := start; i < off; {
		c := js[i]
		switch {
		case c == '\n':
			line++
			i++
			lineStart = i
		case c == '\r':
			line++
			i++
			// When off falls between \r and \n, the \r alone ends the line.
			if i < off && js[i] == '\n' {
				i++
			}
			lineStart = i
		case c >= 0x80:
			r, size := utf8.DecodeRune(js[i:])
			i += size
			if r == '\u2028' || r == '\u2029' {
				line++
				lineStart = i
			}
		default:
			i++
		}
	}
	return line, utf16Len(js[lineStart:off])
}

// utf16Len counts UTF-16 code units: a rune above U+FFFF takes two.
func utf16Len(b []byte) int {
	n := 0
	for len(b) > 0 {
		if b[0] < 0x80 {
			n++
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		b = b[size:]
	}
	return n
}

// injectTop inserts "\n" + snippet + "\n" at the prelude end and appends the
// debugId comment (§5.1). It returns the new bytes and the offset of the
// insertion point in the original.
func injectTop(js []byte, id debugid.ID) (out []byte, at int) {
	at = preludeEnd(js)
	snippet := debugid.Snippet(id)
	comment := "\n" + debugid.Comment(id) + "\n"
	out = make([]byte, 0, len(js)+len(snippet)+2+len(comment))
	out = append(out, js[:at]...)
	out = append(out, '\n')
	out = append(out, snippet...)
	out = append(out, '\n')
	out = append(out, js[at:]...)
	out = append(out, comment...)
	return out, at
}

// injectIndex places the snippet on its own first line, after a hashbang,
// repeating a leading "use …" directive before it so the file keeps its mode
// (§5.3, as observed from the reference client).
func injectIndex(js []byte, id debugid.ID) []byte {
	head := headEnd(js)
	var out bytes.Buffer
	out.Grow(len(js) + 400)
	out.Write(js[:head])
	if d := leadingDirective(js[head:]); d != nil {
		out.Write(d)
		out.WriteByte(';')
	}
	out.WriteString(debugid.Snippet(id))
	out.WriteByte('\n')
	out.Write(js[head:])
	out.WriteString("\n" + debugid.Comment(id) + "\n")
	return out.Bytes()
}

// leadingDirective returns the first statement's string literal when it is a
// "use …" directive (after whitespace and comments), else nil.
func leadingDirective(js []byte) []byte {
	i := skipSpaceAndComments(js, 0)
	if i >= len(js) || (js[i] != '"' && js[i] != '\'') {
		return nil
	}
	q := js[i]
	j := bytes.IndexByte(js[i+1:], q)
	if j < 0 || !bytes.HasPrefix(js[i+1:], []byte("use ")) {
		return nil
	}
	return js[i : i+1+j+1]
}

// injectEnd appends the snippet when the bundle has no map (§5.4): the last
// line that starts with a sourceMappingURL comment moves below the snippet,
// then the debugId comment follows. Every original byte is kept, CRLF
// included; only the added text uses \n.
func injectEnd(js []byte, id debugid.ID) []byte {
	body, urlLine := js, []byte(nil)
	if start, end, next, ok := lastSourceMappingURLLine(js); ok {
		urlLine = js[start:end]
		body = make([]byte, 0, len(js))
		body = append(body, js[:start]...)
		body = append(body, js[next:]...)
	}
	var out bytes.Buffer
	out.Grow(len(body) + 400 + len(urlLine))
	out.Write(body)
	if len(body) > 0 && body[len(body)-1] != '\n' && body[len(body)-1] != '\r' {
		out.WriteByte('\n')
	}
	out.WriteString(debugid.Snippet(id))
	out.WriteByte('\n')
	if urlLine != nil {
		out.Write(urlLine)
		out.WriteByte('\n')
	}
	out.WriteString(debugid.Comment(id) + "\n")
	return out.Bytes()
}

// lastSourceMappingURLLine finds the last line that starts (at column 0) with
// "//# sourceMappingURL=" or "//@ sourceMappingURL=". It returns the line's
// byte range without its terminator, and where the next line starts.
func lastSourceMappingURLLine(js []byte) (start, end, next int, ok bool) {
	limit := len(js)
	for {
		i := bytesearch.LastIndex(js[:limit], []byte("sourceMappingURL="))
		if i < 0 {
			return 0, 0, 0, false
		}
		limit = i
		s := i - 4
		if s < 0 || (string(js[s:i]) != "//# " && string(js[s:i]) != "//@ ") {
			continue
		}
		if s > 0 && js[s-1] != '\n' && js[s-1] != '\r' {
			continue // not at the start of its line
		}
		e := s + bytes.IndexAny(js[s:], "\r\n")
		if e < s {
			return s, len(js), len(js), true
		}
		n := e + 1
		if js[e] == '\r' && n < len(js) && js[n] == '\n' {
			n++
		}
		return s, e, n, true
	}
}
