// Package stacktrace parses pasted JavaScript stack-trace text into lines and
// frames and renders it back (docs/internals/resolve.md §1–§3).
//
// Parsing never fails on content: every line is kept exactly as read (text and
// terminator), and lines that are not frames are simply lines with a nil Frame.
// Render writes every line back byte for byte; only a frame on which Replace
// was called is rewritten, and then only its function span and/or location
// span change, in the frame's own dialect.
//
// A bare section number (§5.1) in this package's comments is one of docs/internals/resolve.md.
package stacktrace

import (
	"io"
	"strconv"
	"strings"
)

// Dialect is the stack-trace grammar a frame was written in.
type Dialect string

// The dialects of docs/internals/resolve.md §1 and §11.2.
const (
	V8             Dialect = "v8"              // "    at fn (file:L:C)"
	Firefox        Dialect = "firefox"         // "fn@file:L:C" (SpiderMonkey)
	JSC            Dialect = "jsc"             // "fn@file:L:C" with JSC markers, or a bare "file:L:C"
	Numbered       Dialect = "numbered"        // Sentry-style "03  fn" + "    file:L:C"
	FirefoxConsole Dialect = "firefox-console" // "    fn basename.js:L" (devtools copy, lossy)
)

// Reasons a frame is not resolvable (Frame.Reason). ReasonNoMapping maps to the
// docs/internals/resolve.md §11.2 status "no_mapping"; every other reason to "not_resolvable".
const (
	ReasonNative     = "native"      // "native", "[native code]"
	ReasonAnonymous  = "anonymous"   // "<anonymous>" location (built-ins, console inline scripts)
	ReasonEval       = "eval"        // an eval body without a usable eval origin, JSC "eval code"
	ReasonBlob       = "blob"        // blob: URL
	ReasonData       = "data"        // data: URL
	ReasonNode       = "node"        // node: built-in module
	ReasonExt        = "ext"         // ext: (Deno built-ins)
	ReasonWasm       = "wasm"        // wasm-function[N]:0x… location
	ReasonNoLocation = "no_location" // no file or no line ("Promise.all (index 0)", "at foo")
	ReasonNoMapping  = "no_mapping"  // line or column written as 0
)

// Line is one line of the input.
type Line struct {
	Text  string // the line exactly as read, without its terminator
	Term  string // "\n", "\r\n", or "" for a last line without one
	Frame *Frame // nil when the line is not a frame (or is the second line of a numbered frame)
	// Cont is true for the location line of a Numbered frame. That frame is
	// the Frame of the previous line; its LocStart/LocEnd index this line's Text.
	Cont bool
}

// Frame is one parsed stack frame.
type Frame struct {
	Dialect     Dialect
	Function    string // as written, without "async ", "new ", " [as …]" or a Firefox "<cause>*"; "" when none; "?" in Numbered
	Async       bool   // V8 "async " prefix
	Constructor bool   // V8 "new " prefix
	Alias       string // V8 " [as x]"
	File        string // the location's file/URL as written (query and fragment kept); "" when none
	Line        int    // 1-based as written; 0 when absent
	Column      int    // 1-based as written; 0 when absent
	HasColumn   bool   // a column was written (distinguishes an absent column from ":0")
	Eval        bool   // File:Line:Column is an eval origin (V8 "eval at …", Firefox "line N > eval")
	Hermes      bool   // V8 "address at …": Column is a bytecode offset; resolve only with a Hermes map
	Resolvable  bool   // worth looking up in a map
	Reason      string // why not Resolvable (Reason* constants); "" when Resolvable

	// Byte offsets of the function name in the frame line's Text. When the
	// frame has no function, FuncStart == FuncEnd is where one is inserted.
	FuncStart, FuncEnd int
	// Byte offsets of the location (File:Line[:Column], or for an eval frame
	// the innermost origin's file:line[:col]) in the Text of the location
	// line: the frame's own line, or for Numbered the next line.
	LocStart, LocEnd int

	noLine bool // the location had no ":line"
	paren  bool // V8: the location is inside "(…)" (false for a bare "at file:L:C")
	rep    *replacement
}

type replacement struct {
	function string
	file     string
	line     int
	col      int
}

// Replace records a rewrite of the frame, applied by Render. function == ""
// keeps the current function; file == "" keeps the current location. col 0
// omits the column. Everything else on the line (indentation, ANSI codes,
// "async ", "new ", " [as alias]", Firefox cause prefixes, trailing "," or
// " {", the number of a Numbered frame) is kept. A V8 frame without a
// function becomes "at fn (loc)" only when a function is given (and is not an
// eval frame); a JSC bare location becomes "fn@loc".
func (f *Frame) Replace(function, file string, line, col int) {
	f.rep = &replacement{function: function, file: file, line: line, col: col}
}

// Replaced reports whether Replace has been called.
func (f *Frame) Replaced() bool { return f.rep != nil }

// ClearReplace drops a recorded replacement.
func (f *Frame) ClearReplace() { f.rep = nil }

// Parse reads all of r and classifies its lines. It fails only on I/O errors.
func Parse(r io.Reader) ([]Line, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return ParseString(string(b)), nil
}

// ParseString splits s into lines (on "\n"; a preceding "\r" belongs to the
// terminator) and classifies each one (docs/internals/resolve.md §2).
func ParseString(s string) []Line {
	var lines []Line
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, Line{Text: s})
			break
		}
		text, term := s[:i], "\n"
		if i > 0 && s[i-1] == '\r' {
			text, term = s[:i-1], "\r\n"
		}
		lines = append(lines, Line{Text: text, Term: term})
		s = s[i+1:]
	}
	for i := 0; i < len(lines); i++ {
		if f := parseV8(lines[i].Text); f != nil {
			lines[i].Frame = f
			continue
		}
		if i+1 < len(lines) {
			if f := parseNumbered(lines[i].Text, lines[i+1].Text); f != nil {
				lines[i].Frame = f
				lines[i+1].Cont = true
				i++
				continue
			}
		}
		lines[i].Frame = parseOther(lines[i].Text)
	}
	return lines
}

// Render writes every line's Text and Term, applying recorded replacements.
func Render(w io.Writer, lines []Line) error {
	var sb strings.Builder
	flush := func() error {
		if sb.Len() == 0 {
			return nil
		}
		_, err := io.WriteString(w, sb.String())
		sb.Reset()
		return err
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		f := l.Frame
		switch {
		case f == nil || f.rep == nil:
			sb.WriteString(l.Text)
		case f.Dialect == Numbered:
			sb.WriteString(f.renderFunc(l.Text))
			if i+1 < len(lines) && lines[i+1].Cont {
				sb.WriteString(l.Term)
				i++
				l = lines[i]
				sb.WriteString(f.renderLoc(l.Text))
			}
		default:
			sb.WriteString(f.renderLine(l.Text))
		}
		sb.WriteString(l.Term)
		if sb.Len() >= 64<<10 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// RenderString is Render into a string.
func RenderString(lines []Line) string {
	var sb strings.Builder
	_ = Render(&sb, lines)
	return sb.String()
}

func (r *replacement) loc() string {
	s := r.file
	if r.line > 0 {
		s += ":" + strconv.Itoa(r.line)
		if r.col > 0 {
			s += ":" + strconv.Itoa(r.col)
		}
	}
	return s
}

func validSpans(f *Frame, funcText, locText string) bool {
	return 0 <= f.FuncStart && f.FuncStart <= f.FuncEnd && f.FuncEnd <= len(funcText) &&
		0 <= f.LocStart && f.LocStart <= f.LocEnd && f.LocEnd <= len(locText)
}

// renderLine renders a single-line frame with its replacement.
func (f *Frame) renderLine(text string) string {
	if !validSpans(f, text, text) || f.FuncEnd > f.LocStart {
		return text
	}
	fn := text[f.FuncStart:f.FuncEnd]
	loc := text[f.LocStart:f.LocEnd]
	if f.rep.file != "" {
		loc = f.rep.loc()
	}
	if nf := f.rep.function; nf != "" {
		if f.FuncStart == f.FuncEnd { // no function yet: insert one
			switch f.Dialect {
			case V8:
				if !f.paren && !f.Eval {
					fn, loc = nf+" (", loc+")"
				} else if f.paren {
					fn = nf
				}
			case Firefox, JSC:
				if f.FuncStart == f.LocStart { // bare location, no "@"
					fn = nf + "@"
				} else {
					fn = nf
				}
			case FirefoxConsole:
				fn = nf + " "
			}
		} else {
			fn = nf
		}
	}
	return text[:f.FuncStart] + fn + text[f.FuncEnd:f.LocStart] + loc + text[f.LocEnd:]
}

// renderFunc renders the number line of a Numbered frame.
func (f *Frame) renderFunc(text string) string {
	if f.rep.function == "" || f.FuncStart < 0 || f.FuncStart > f.FuncEnd || f.FuncEnd > len(text) {
		return text
	}
	return text[:f.FuncStart] + f.rep.function + text[f.FuncEnd:]
}

// renderLoc renders the location line of a Numbered frame.
func (f *Frame) renderLoc(text string) string {
	if f.rep.file == "" || f.LocStart < 0 || f.LocStart > f.LocEnd || f.LocEnd > len(text) {
		return text
	}
	return text[:f.LocStart] + f.rep.loc() + text[f.LocEnd:]
}
