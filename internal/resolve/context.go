package resolve

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/rivo/uniseg"

	"github.com/mapback/mapback/internal/readcap"
	"github.com/mapback/mapback/internal/stacktrace"
)

// sourceContext is the original code around a resolved frame.
type sourceContext struct {
	Pre  []string `json:"pre"`
	Line string   `json:"line"`
	Post []string `json:"post"`
	// first is the 1-based number of Pre[0] (or of Line when Pre is empty).
	first int
}

// contextFor returns n lines of original code around the frame from the
// map's sourcesContent, or else from the source file when it exists locally
// and mayRead allows it (never for a map from an artifact bundle). Library
// frames (ignore-listed, node_modules and the like) get none.
func (r *resolver) contextFor(res resolved, n int) (*sourceContext, bool) {
	if n <= 0 || !res.ok || !res.inApp() {
		return nil, false
	}
	m := res.contentMap
	if m == nil {
		m = res.m
	}
	text, ok := m.SourceContent(res.mapping.SourceIndex)
	if !ok {
		if res.bundle == nil || r.idx.isVirtualMap(res.bundle) || !filepath.IsAbs(res.sourcePath) || !r.mayRead(res.sourcePath, res.mapDir()) {
			return nil, false
		}
		data, err := readcap.File(res.sourcePath, readcap.Source, res.sourcePath)
		if err != nil {
			return nil, false
		}
		text = string(data)
	}
	lines := strings.Split(text, "\n")
	at := res.mapping.Line
	if at >= len(lines) {
		return nil, false
	}
	trim := func(s string) string { return strings.TrimSuffix(s, "\r") }
	c := &sourceContext{Line: trim(lines[at]), first: max(0, at-n) + 1}
	for i := max(0, at-n); i < at; i++ {
		c.Pre = append(c.Pre, trim(lines[i]))
	}
	for i := at + 1; i < len(lines) && i <= at+n; i++ {
		c.Post = append(c.Post, trim(lines[i]))
	}
	return c, true
}

// contextLines renders a context block under a frame line: numbered lines
// and a caret under the original column, indented like the frame.
func contextLines(frameText string, c *sourceContext, col0 int, term string) []stacktrace.Line {
	indent := frameText[:len(frameText)-len(strings.TrimLeft(frameText, " \t"))] + "  "
	last := c.first + len(c.Pre) + len(c.Post)
	width := len(fmt.Sprint(last))
	var out []stacktrace.Line
	add := func(n int, text string) {
		out = append(out, stacktrace.Line{Text: fmt.Sprintf("%s%*d | %s", indent, width, n, text), Term: term})
	}
	n := c.first
	for _, l := range c.Pre {
		add(n, l)
		n++
	}
	add(n, c.Line)
	out = append(out, stacktrace.Line{Text: indent + strings.Repeat(" ", width) + " | " + caretPad(c.Line, col0) + "^", Term: term})
	for _, l := range c.Post {
		n++
		add(n, l)
	}
	return out
}

// caretPad is the whitespace that puts a caret under the character at UTF-16
// column col0 of line: the column counts UTF-16 units, the terminal draws
// cells (an emoji takes two units and two cells, a CJK character one unit and
// two cells), and tabs are copied so the caret lines up however wide a tab is.
func caretPad(line string, col0 int) string {
	var b strings.Builder
	units := 0
	for _, r := range line {
		if units >= col0 {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteString(strings.Repeat(" ", uniseg.StringWidth(string(r))))
		}
		units += utf16Units(r)
	}
	return b.String()
}

func utf16Units(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}
