package stacktrace

import "strings"

// skipPrefix returns the index after leading spaces, tabs and ANSI SGR codes.
func skipPrefix(text string) int {
	i := 0
	for i < len(text) {
		if isSpace(text[i]) {
			i++
			continue
		}
		if k := ansiEnd(text, i); k > 0 {
			i = k
			continue
		}
		break
	}
	return i
}

// ansiEnd returns the index after an ANSI "ESC [ digits;… m" code starting at
// i, or -1.
func ansiEnd(text string, i int) int {
	if i+1 >= len(text) || text[i] != 0x1b || text[i+1] != '[' {
		return -1
	}
	for j := i + 2; j < len(text); j++ {
		c := text[j]
		if c == 'm' {
			return j + 1
		}
		if !isDigit(c) && c != ';' {
			return -1
		}
	}
	return -1
}

// ansiStartBefore returns the start of an ANSI code ending at end, or -1.
func ansiStartBefore(text string, lo, end int) int {
	if end-lo < 3 || text[end-1] != 'm' {
		return -1
	}
	for j := end - 2; j > lo; j-- {
		c := text[j]
		if c == '[' {
			if text[j-1] == 0x1b {
				return j - 1
			}
			return -1
		}
		if !isDigit(c) && c != ';' {
			return -1
		}
	}
	return -1
}

// trimDecor returns the end of a V8 body: trailing spaces, ANSI codes, one
// "," (Node inspect arrays) and one " {" (Node inspect own properties) removed.
func trimDecor(text string, lo int) int {
	end := len(text)
	comma, brace := false, false
	for end > lo {
		c := text[end-1]
		switch {
		case isSpace(c) || c == '\r':
			end--
			continue
		case c == 'm':
			if k := ansiStartBefore(text, lo, end); k >= 0 {
				end = k
				continue
			}
		case c == ',' && !comma:
			comma = true
			end--
			continue
		case c == '{' && !brace && end-2 >= lo && text[end-2] == ' ':
			brace = true
			end -= 2
			continue
		}
		break
	}
	return end
}

// matchOpen scans backwards from the ')' at index cl to its matching '(' at
// or after lo; -1 when unbalanced.
func matchOpen(text string, lo, cl int) int {
	depth := 0
	for i := cl; i >= lo; i-- {
		switch text[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// parseV8 parses a V8 frame line (docs/internals/resolve.md §2 rules 1 and 2), or returns nil.
func parseV8(text string) *Frame {
	i := skipPrefix(text)
	if !strings.HasPrefix(text[i:], "at") {
		return nil
	}
	j := i + 2
	if j >= len(text) || !isSpace(text[j]) {
		return nil
	}
	for j < len(text) && isSpace(text[j]) {
		j++
	}
	end := trimDecor(text, j)
	if end <= j {
		return nil
	}
	f := &Frame{Dialect: V8}
	bs, be := j, end
	if strings.HasPrefix(text[bs:be], "async ") {
		f.Async = true
		bs += len("async ")
	}
	ls, le := bs, be
	f.FuncStart, f.FuncEnd = bs, bs
	if text[be-1] == ')' {
		if o := matchOpen(text, bs, be-1); o >= 0 {
			f.paren = true
			ls, le = o+1, be-1
			ce := o
			for ce > bs && isSpace(text[ce-1]) {
				ce--
			}
			f.parseCaller(text, bs, ce)
		}
	}
	f.parseV8Loc(text, ls, le)
	if !f.paren {
		f.FuncStart, f.FuncEnd = f.LocStart, f.LocStart
	}
	return f
}

// parseCaller parses `["new "] name [" [as " alias "]"]` in text[s:e].
func (f *Frame) parseCaller(text string, s, e int) {
	if strings.HasPrefix(text[s:e], "new ") {
		f.Constructor = true
		s += len("new ")
	}
	if e-s > 0 && text[e-1] == ']' {
		if k := strings.LastIndex(text[s:e], " [as "); k >= 0 {
			f.Alias = text[s+k+len(" [as ") : e-1]
			e = s + k
		}
	}
	f.Function = text[s:e]
	f.FuncStart, f.FuncEnd = s, e
}

// parseV8Loc parses the V8 location text[ls:le].
func (f *Frame) parseV8Loc(text string, ls, le int) {
	if strings.HasPrefix(text[ls:le], "async ") { // "(async https://…:25:7)"
		f.Async = true
		ls += len("async ")
	}
	loc := text[ls:le]
	switch {
	case strings.HasPrefix(loc, "index ") || loc == "unknown location":
		f.LocStart, f.LocEnd = ls, le
		f.noLine = true
		f.classify()
	case strings.HasPrefix(loc, "address at "):
		f.Hermes = true
		f.setLoc(loc[len("address at "):], ls+len("address at "))
		f.LocStart = ls // the replacement drops "address at "
		f.classify()
	case strings.HasPrefix(loc, "eval at "):
		f.parseEvalOrigin(text, ls, le)
	case strings.Contains(loc, ":wasm-function["):
		f.File = loc[:strings.Index(loc, ":wasm-function[")]
		f.LocStart, f.LocEnd = ls, le
		f.Reason, f.Resolvable = ReasonWasm, false
	default:
		f.setLoc(loc, ls)
		f.classify()
	}
}

// maxEvalDepth bounds nested eval origins (keeps hostile input linear).
const maxEvalDepth = 32

// parseEvalOrigin handles `eval at name (origin), body:L:C`: the frame's
// position becomes the innermost eval origin's file:L:C (where eval was called).
func (f *Frame) parseEvalOrigin(text string, ls, le int) {
	f.Eval = true
	os, oe := ls, le
	if k := lastTopComma(text, ls, le); k >= 0 {
		oe = k
	}
	for depth := 0; depth < maxEvalDepth; depth++ {
		o := text[os:oe]
		if !strings.HasPrefix(o, "eval at ") || !strings.HasSuffix(o, ")") {
			break
		}
		op := matchOpen(text, os, oe-1)
		if op < 0 {
			break
		}
		is, ie := op+1, oe-1
		if strings.HasPrefix(text[is:ie], "eval at ") {
			os, oe = is, ie
			continue
		}
		if text[is:ie] == "unknown source" {
			break
		}
		f.setLoc(text[is:ie], is)
		f.classify()
		return
	}
	f.LocStart, f.LocEnd = ls, le
	f.Reason, f.Resolvable = ReasonEval, false
}

// lastTopComma returns the index of the last ", " at parenthesis depth 0 in
// text[lo:hi], or -1.
func lastTopComma(text string, lo, hi int) int {
	depth := 0
	for i := hi - 1; i >= lo; i-- {
		switch text[i] {
		case ')':
			depth++
		case '(':
			depth--
		case ',':
			if depth == 0 && i+1 < hi && text[i+1] == ' ' {
				return i
			}
		}
	}
	return -1
}

// parseNumbered parses a Sentry-style numbered frame: text is "NN  function"
// and next an indented bare location (docs/internals/resolve.md §2 rule 5).
func parseNumbered(text, next string) *Frame {
	i := 0
	for i < len(text) && text[i] >= '0' && text[i] <= '9' {
		i++
	}
	if i < 2 {
		return nil
	}
	j := i
	for j < len(text) && isSpace(text[j]) {
		j++
	}
	e := len(text)
	for e > j && (isSpace(text[e-1]) || text[e-1] == '\r') {
		e--
	}
	if j == i || e == j {
		return nil
	}
	f := parseBare(next)
	if f == nil || f.LocStart == 0 {
		return nil
	}
	f.Dialect = Numbered
	f.parseCaller(text, j, e)
	return f
}

// parseOther classifies a line that is not V8 (docs/internals/resolve.md §2 rules 3, 4, 6).
func parseOther(text string) *Frame {
	if f := parseFirefox(text); f != nil {
		return f
	}
	if f := parseBare(text); f != nil {
		return f
	}
	return parseConsole(text)
}

// trimSpaces returns the bounds of text without leading and trailing blanks.
func trimSpaces(text string) (int, int) {
	i, e := 0, len(text)
	for i < e && isSpace(text[i]) {
		i++
	}
	for e > i && (isSpace(text[e-1]) || text[e-1] == '\r') {
		e--
	}
	return i, e
}

// firefoxEval finds " line N > eval" / " line N > Function" in s; it returns
// the index of the " line " and the end of "N", or -1.
func firefoxEval(s string) (at, numEnd, n int) {
	off := 0
	for {
		k := strings.Index(s[off:], " line ")
		if k < 0 {
			return -1, 0, 0
		}
		k += off
		p := k + len(" line ")
		q := p
		for q < len(s) && s[q] >= '0' && s[q] <= '9' && q-p < maxDigits {
			q++
		}
		if q > p && (strings.HasPrefix(s[q:], " > eval") || strings.HasPrefix(s[q:], " > Function")) {
			n := 0
			for _, c := range s[p:q] {
				n = n*10 + int(c-'0')
			}
			return k, q, n
		}
		off = k + 1
	}
}

var jscNames = map[string]bool{"global code": true, "module code": true, "eval code": true}

// parseFirefox parses `[<cause>*][name]@location` (SpiderMonkey and JSC).
func parseFirefox(text string) *Frame {
	i, e := trimSpaces(text)
	s := text[i:e]
	if s == "eval code" { // JSC eval marker without a location
		return &Frame{Dialect: JSC, Function: s, FuncStart: i, FuncEnd: e, LocStart: e, LocEnd: e,
			Reason: ReasonEval}
	}
	if strings.IndexByte(s, '@') < 0 {
		return nil
	}
	var fileEnd, line, col, locEnd int
	var hasCol, eval bool
	if ea, ne, n := firefoxEval(s); ea >= 0 {
		fileEnd, line, locEnd, eval = ea, n, ne, true
	} else if strings.HasSuffix(s, "@[native code]") {
		fileEnd, locEnd = len(s), len(s)
	} else {
		var hasLine bool
		fileEnd, line, col, hasLine, hasCol = splitLoc(s)
		if !hasLine {
			return nil
		}
		locEnd = len(s)
	}
	at := -1
	lw := strings.LastIndexAny(s[:fileEnd], " \t")
	ls := strings.LastIndexAny(s[:fileEnd], "/\\?#:")
	extLen := jsExtLen(s[ls+1 : fileEnd])
	if strings.HasSuffix(s[:fileEnd], "@[native code]") {
		at, lw = fileEnd-len("@[native code]"), fileEnd
	}
	for k := lw + 1; k < fileEnd; {
		p := strings.IndexByte(s[k:fileEnd], '@')
		if p < 0 {
			break
		}
		p += k
		if isLocStart(s[p+1:fileEnd]) || (p > ls && extLen > 0 && fileEnd-(p+1) > extLen) {
			at = p
			break
		}
		k = p + 1
	}
	if at < 0 {
		return nil
	}
	f := &Frame{Dialect: Firefox, Eval: eval}
	name := s[:at]
	ns := 0
	if k := strings.LastIndexByte(name, '*'); k >= 0 {
		ns = k + 1
	}
	f.Function = name[ns:]
	f.FuncStart, f.FuncEnd = i+ns, i+at
	f.File = s[at+1 : fileEnd]
	f.Line, f.Column, f.HasColumn = line, col, hasCol
	f.LocStart, f.LocEnd = i+at+1, i+locEnd
	if f.File == "[native code]" || jscNames[f.Function] {
		f.Dialect = JSC
	}
	f.classify()
	return f
}

// parseBare parses an indented bare `location:line:column` (docs/internals/resolve.md §2 rule 4):
// no blanks, a column, and a location with a scheme, "/", "~/", a drive
// letter or a JavaScript-like extension.
func parseBare(text string) *Frame {
	i, e := trimSpaces(text)
	s := text[i:e]
	if s == "" || hasSpace(s) {
		return nil
	}
	fileEnd, _, _, _, hasCol := splitLoc(s)
	if !hasCol {
		return nil
	}
	if file := s[:fileEnd]; !isLocStart(file) || strings.HasPrefix(file, "[native code]") {
		if !hasJSExt(file) {
			return nil
		}
	}
	f := &Frame{Dialect: JSC, FuncStart: i, FuncEnd: i}
	f.setLoc(s, i)
	f.classify()
	return f
}

// parseConsole parses a Firefox console copy: indent, name, a space, a bare
// file name with a JavaScript-like extension, ":line", no column (docs/internals/resolve.md §2 rule 6).
func parseConsole(text string) *Frame {
	i, e := trimSpaces(text)
	if i == 0 {
		return nil
	}
	s := text[i:e]
	sp := strings.LastIndexAny(s, " \t")
	if sp <= 0 {
		return nil
	}
	loc := s[sp+1:]
	fileEnd, _, _, hasLine, hasCol := splitLoc(loc)
	file := loc[:fileEnd]
	if !hasLine || hasCol || strings.ContainsAny(file, "/\\@:?#") || !hasJSExt(file) {
		return nil
	}
	ne := sp
	for ne > 0 && isSpace(s[ne-1]) {
		ne--
	}
	if ne == 0 {
		return nil
	}
	ns := 0
	if k := strings.LastIndexByte(s[:ne], '*'); k >= 0 {
		ns = k + 1
	}
	f := &Frame{Dialect: FirefoxConsole, Function: s[ns:ne], FuncStart: i + ns, FuncEnd: i + ne}
	if ns == ne { // "promise callback* main.js:44": insert a name before the file
		f.FuncStart, f.FuncEnd = i+sp+1, i+sp+1
	}
	f.setLoc(loc, i+sp+1)
	f.classify()
	return f
}
