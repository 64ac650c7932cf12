package resolve

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/stacktrace"
)

// Node's crash header. An uncaught error makes Node print, above the error,
// where it was thrown:
//
//	/app/dist/app.js:1
//	<the whole generated line, often 100 KB of minified code>
//	<spaces>^
//	<blank line>
//	Error: …
//
// node --enable-source-maps prints the original place instead: the source's
// path and line, the original source line, the caret under the original
// column, and one more blank line. resolve does the same, so a resolved
// crash reads as Node would have printed it.
//
// Which position the header shows: the raw caret's column when Node drew
// it (it draws none past about a thousand columns). Otherwise it is, as
// Node decides, the throw statement for an exception thrown synchronously,
// and the error's first frame for a rejected promise (an async function, a
// top-level ES module): the first frame in the header's file and line,
// moved back over a `throw` keyword right before it in the synchronous
// case.

var headerLoc = regexp.MustCompile(`^(\S.*):([1-9][0-9]*)$`)

// nodeHeader is a recognised header: lines[at] is file:line, lines[at+1]
// the source line, lines[at+2] the caret line, lines[at+3] blank.
type nodeHeader struct {
	at   int
	file string
	line int // 1-based
}

// findNodeHeaders returns the crash headers in lines: each followed, after
// its blank line, by an error message and frames.
func findNodeHeaders(lines []stacktrace.Line) []nodeHeader {
	var out []nodeHeader
	for i := 0; i+4 < len(lines); i++ {
		m := headerLoc.FindStringSubmatch(lines[i].Text)
		if m == nil || lines[i].Frame != nil || lines[i+2].Frame != nil || strings.TrimSpace(lines[i+3].Text) != "" {
			continue
		}
		if c := strings.TrimRight(lines[i+2].Text, " \t"); strings.Trim(c, " \t^") != "" {
			continue // not a caret line
		}
		n, err := strconv.Atoi(m[2])
		if err != nil {
			continue
		}
		out = append(out, nodeHeader{at: i, file: m[1], line: n})
	}
	return out
}

// headerAt is a crash header to resolve: the position it points at, as a
// frame of its bundle.
type headerAt struct {
	nodeHeader
	f *stacktrace.Frame
	b *dist.Bundle
}

// headerPositions finds the crash headers whose position is known and whose
// source line is their bundle's line (a header from another build is left
// alone: the frames say so).
func (r *resolver) headerPositions(lines []stacktrace.Line) []headerAt {
	var out []headerAt
	for _, h := range findNodeHeaders(lines) {
		col, ok := headerColumn(lines, h)
		if !ok {
			continue
		}
		f := stacktrace.NewFrame(stacktrace.V8, "", h.file, h.line, col+1)
		b, _ := r.locate(f)
		if b == nil || b.Path == "" {
			continue
		}
		if got, ok := lineOf(r.idx.source(b), h.line-1); !ok || string(got) != lines[h.at+1].Text {
			continue
		}
		out = append(out, headerAt{nodeHeader: h, f: f, b: b})
	}
	return out
}

// rewriteNodeHeaders writes each resolved header as node
// --enable-source-maps prints it; results are the headers' own.
func (r *resolver) rewriteNodeHeaders(lines []stacktrace.Line, headers []headerAt, results []resolved) {
	for k, h := range headers {
		res := results[k]
		if !res.ok || !res.sourceLineOK {
			continue
		}
		text := res.sourceLine
		lines[h.at].Text = res.file + ":" + strconv.Itoa(res.mapping.Line+1)
		lines[h.at+1].Text = text
		lines[h.at+2].Text = caretPad(text, res.mapping.Column) + "^"
		// Node leaves one more blank line after a source-mapped header.
		blank := &lines[h.at+3]
		term := blank.Term
		if term == "" {
			term = "\n"
		}
		blank.Term += term
	}
}

// headerColumn is the 0-based generated column the header points at.
func headerColumn(lines []stacktrace.Line, h nodeHeader) (int, bool) {
	if caret := strings.IndexByte(lines[h.at+2].Text, '^'); caret >= 0 {
		return caret, true
	}
	first, rejected := -1, false
	for i := h.at + 4; i < len(lines); i++ {
		f := lines[i].Frame
		if f == nil {
			if i > h.at+4 && !lines[i].Cont && strings.TrimSpace(lines[i].Text) == "" {
				break // the end of this error's trace
			}
			continue
		}
		if f.Async || strings.HasPrefix(f.File, "node:internal/modules/esm/") || f.Function == "process.processTicksAndRejections" {
			rejected = true
		}
		if first < 0 && f.Line == h.line && sameFile(f.File, h.file) {
			first = i
		}
	}
	if first < 0 || lines[first].Frame.Column < 1 {
		return 0, false
	}
	col := lines[first].Frame.Column - 1
	if !rejected {
		// A synchronous throw: Node points at the throw statement.
		text := lines[h.at+1].Text
		if k := byteIndexOfUnit(text, col); k >= 0 {
			before := strings.TrimRight(text[:k], " \t")
			if strings.HasSuffix(before, "throw") && (len(before) == 5 || !isIdentChar(before[len(before)-6])) {
				col -= utf16Len(text[len(before)-5 : k])
			}
		}
	}
	return col, true
}

// sameFile reports whether a frame's file is the header's: Node writes both
// the same way (a path, or a file:// URL for ES modules).
func sameFile(a, b string) bool { return a == b }

func isIdentChar(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// byteIndexOfUnit is the byte offset of UTF-16 unit col in s, -1 past its end.
func byteIndexOfUnit(s string, col int) int {
	units := 0
	for i, r := range s {
		if units >= col {
			return i
		}
		units += utf16Units(r)
	}
	if units == col {
		return len(s)
	}
	return -1
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Units(r)
	}
	return n
}

// originalLine is the source line a resolved frame is on, from the map's
// sourcesContent or the file (as --context reads them).
func (r *resolver) originalLine(res resolved) (string, bool) {
	c, ok := r.contextFor(res, 1)
	if !ok {
		// contextFor gives nothing for library frames; a header shows the
		// line whatever the file.
		res2 := res
		res2.mapping.Ignored = false
		if !res2.inApp() {
			return "", false
		}
		c, ok = r.contextFor(res2, 1)
		if !ok {
			return "", false
		}
	}
	return c.Line, true
}
