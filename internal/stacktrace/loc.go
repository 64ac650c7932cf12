package stacktrace

import "strings"

// maxNum bounds a line or column number; longer digit runs are not positions.
const maxDigits = 9

// splitLoc splits "file[:line[:column]]" from the end (docs/internals/resolve.md §2 rule 2): the
// path is greedy, so "C:\x.js:1:2", "node:internal/x:3:4" and
// "file:///a.js:5:6" keep their colons. fileEnd is the length of the file part.
func splitLoc(s string) (fileEnd, line, col int, hasLine, hasCol bool) {
	end := len(s)
	n1, p1, ok1 := trailingNum(s, end)
	if !ok1 {
		return len(s), 0, 0, false, false
	}
	n2, p2, ok2 := trailingNum(s, p1)
	if ok2 {
		return p2, n2, n1, true, true
	}
	return p1, n1, 0, true, false
}

// trailingNum parses ":digits" ending at end; p is the index of the ':'.
// The file part before it must be non-empty.
func trailingNum(s string, end int) (n, p int, ok bool) {
	i := end
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	if i == end || end-i > maxDigits || i < 2 || s[i-1] != ':' {
		return 0, 0, false
	}
	for _, c := range s[i:end] {
		n = n*10 + int(c-'0')
	}
	return n, i - 1, true
}

// opaqueSchemes are schemes written without "//" that still start a location.
var opaqueSchemes = map[string]bool{"node": true, "blob": true, "data": true, "ext": true, "wasm": true}

// isLocStart reports whether s starts like a location: "scheme:/…", a known
// opaque scheme ("node:", "blob:", "data:", "ext:"), "/", "~/", a drive letter
// ("C:\", "C:/") or "[native code]".
func isLocStart(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '/' || strings.HasPrefix(s, "~/") || strings.HasPrefix(s, "[native code]") {
		return true
	}
	if !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s) && i <= 32; i++ {
		c := s[i]
		if c == ':' {
			if i+1 < len(s) && (s[i+1] == '/' || s[i+1] == '\\') {
				return true
			}
			return opaqueSchemes[strings.ToLower(s[:i])]
		}
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '.' && c != '-' {
			return false
		}
	}
	return false
}

var jsExts = []string{".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts", ".bundle", ".jsbundle", ".vue", ".svelte", ".html", ".htm"}

// hasJSExt reports whether the file (query and fragment ignored) ends in a
// JavaScript-like extension, including React Native's ".bundle".
func hasJSExt(file string) bool {
	if i := strings.IndexAny(file, "?#"); i >= 0 {
		file = file[:i]
	}
	n := jsExtLen(file)
	return n > 0 && len(file) > n
}

// jsExtLen returns the length of file's JavaScript-like extension, or 0.
func jsExtLen(file string) int {
	for _, e := range jsExts {
		if len(file) >= len(e) && strings.EqualFold(file[len(file)-len(e):], e) {
			return len(e)
		}
	}
	return 0
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func hasSpace(s string) bool { return strings.ContainsAny(s, " \t") }

// NewFrame is a frame from another source than trace text (a Sentry event's
// frame), classified as a parsed frame would be: a node: file or
// "<anonymous>" is not resolvable, whatever its position.
func NewFrame(dialect Dialect, function, file string, line, column int) *Frame {
	f := &Frame{Dialect: dialect, Function: function, File: file, Line: line, Column: column, HasColumn: column > 0, noLine: line == 0 && file != ""}
	f.classify()
	return f
}

// classify sets Resolvable and Reason from File, Line and Column.
func (f *Frame) classify() {
	file := f.File
	lower := strings.ToLower(file)
	reason := ""
	switch {
	case file == "":
		reason = ReasonNoLocation
	case file == "<anonymous>":
		reason = ReasonAnonymous
	case file == "native" || file == "[native code]":
		reason = ReasonNative
	case strings.HasPrefix(lower, "node:"):
		reason = ReasonNode
	case strings.HasPrefix(lower, "blob:"):
		reason = ReasonBlob
	case strings.HasPrefix(lower, "data:"):
		reason = ReasonData
	case strings.HasPrefix(lower, "ext:"):
		reason = ReasonExt
	case strings.Contains(file, ":wasm-function["):
		reason = ReasonWasm
	case f.noLine:
		reason = ReasonNoLocation
	case f.Line == 0 || f.HasColumn && f.Column == 0:
		reason = ReasonNoMapping
	}
	f.Reason = reason
	f.Resolvable = reason == ""
}

// setLoc fills File/Line/Column from the location text s found at offset off
// of the line, and sets the location span.
func (f *Frame) setLoc(s string, off int) {
	fileEnd, line, col, hasLine, hasCol := splitLoc(s)
	f.File = s[:fileEnd]
	f.Line, f.Column, f.HasColumn = line, col, hasCol
	f.noLine = !hasLine
	f.LocStart, f.LocEnd = off, off+len(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
