package jsscope

import (
	"bytes"
	"errors"
	"sort"
)

// Pruning: parsing a whole multi-megabyte bundle to name the functions around
// a handful of positions spends nearly all its time on code that cannot
// enclose them. prune lexes the file once (strings, template literals with
// nested substitutions, comments, regular expressions versus division) to
// match its braces, and removes the contents of every {…} pair and template
// literal that holds none of the positions, and of long string literals that
// cannot be keys. What is left is still valid JavaScript — `{}` is an empty
// block, function body, object, class body, pattern or switch body wherever
// `{…}` was, `` ` ` `` an empty template and `""` an empty string — and it
// keeps every scope that contains a position together with the tokens that
// name it (identifiers, keys, assignment targets and class names sit outside
// the removed ranges, or the range would contain the position). babylon.js's
// 8.9 MB become 0.44 MB for the parser (four positions).
//
// The lexer only has to find brackets; where it could guess wrong (a `/`
// after `)` or `}`), a wrong guess desynchronises it, which shows as
// mismatched brackets or an unterminated literal, and the caller parses the
// whole file instead.

// longString is the length from which a string literal that names nothing
// is emptied.
const longString = 256

var errPrune = errors.New("jsscope: cannot match the brackets of the file")

// span is a kept range of the original text, at dst in the pruned text.
type span struct{ src, dst, n int }

// pruned is the pruned text and how its offsets map back.
type pruned struct {
	text  []byte
	spans []span   // kept ranges in order
	cuts  [][2]int // removed ranges [a, b) of the original, in order
}

// orig maps an offset of the pruned text to the original text. An offset at
// the junction of two spans belongs to the later one (the closing bracket).
func (p *pruned) orig(off int) int {
	k := sort.Search(len(p.spans), func(i int) bool { return p.spans[i].dst > off }) - 1
	if k < 0 {
		return off
	}
	return p.spans[k].src + off - p.spans[k].dst
}

// removed reports whether original offset off lies in a removed range.
func (p *pruned) removed(off int) bool {
	k := sort.Search(len(p.cuts), func(i int) bool { return p.cuts[i][1] > off })
	return k < len(p.cuts) && p.cuts[k][0] <= off
}

// Bracket kinds on the lexer's stack.
const (
	bParen     = iota
	bParenCond // ( after if, while, for, with: a regular expression may follow its )
	bBracket
	bBlock  // { of a statement, body or class: a regular expression may follow its }
	bObject // { in expression position: division follows its }
	bSubst  // ${ of a template literal
)

type bracket struct {
	kind  int
	open  int // offset of the opening character
	tmpl  int // bSubst: offset of the template's opening backtick
	cutAt int // len(cuts) when the bracket opened
}

// byte classes for the lexer
const (
	cOther = iota
	cSpace
	cWord
	cQuote
	cTick
	cSlash
	cOpen
	cClose
)

var lexClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			t[c] = cSpace
		case c == '_' || c == '$' || c == '#' || c == '\\' || c >= 0x80 ||
			'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9':
			t[c] = cWord
		case c == '"' || c == '\'':
			t[c] = cQuote
		case c == '`':
			t[c] = cTick
		case c == '/':
			t[c] = cSlash
		case c == '(' || c == '[' || c == '{':
			t[c] = cOpen
		case c == ')' || c == ']' || c == '}':
			t[c] = cClose
		}
	}
	return t
}()

// Previous significant token, for the regular-expression and object-literal
// decisions.
const (
	pStart = iota // start of file
	pWord         // identifier, keyword or number: see word and dot
	pValue        // literal, ] or } ending an expression: `/` divides
	pParen        // ) of a call or grouping: `/` divides, `{` opens a body
	pPunct        // operator or other punctuator: an expression starts
	pArrow        // =>: a { after it is a body, a / a regular expression
	pStmt         // ; or } of a block or ) of if/while/for/with: a statement starts
)

// exprKeywords are the words after which `/` starts a regular expression.
var exprKeywords = map[string]bool{
	"return": true, "typeof": true, "instanceof": true, "in": true, "of": true, "new": true,
	"delete": true, "void": true, "throw": true, "case": true, "yield": true, "await": true,
	"do": true, "else": true,
}

// condKeywords are the words whose parenthesised head is followed by a
// statement, so a `/` after its ) starts a regular expression.
var condKeywords = map[string]bool{"if": true, "while": true, "for": true, "with": true}

// isKeyword reports whether the word src[a:b] (not after a `.`) is in set.
func isKeyword(set map[string]bool, w []byte) bool {
	return len(w) >= 2 && len(w) <= 10 && w[0] >= 'a' && w[0] <= 'z' && set[string(w)]
}

// prune removes the contents of the brace pairs, template literals and long
// string literals that hold none of the targets (sorted byte offsets). A target inside a pair
// means at or after its first inner byte and before its closing character.
func prune(src []byte, targets []int) (*pruned, error) {
	cuts, err := findCuts(src, targets)
	if err != nil {
		return nil, err
	}
	removed := 0
	for _, c := range cuts {
		removed += c[1] - c[0]
	}
	p := &pruned{text: make([]byte, 0, len(src)-removed), cuts: cuts, spans: make([]span, 0, len(cuts)+1)}
	at := 0
	for _, c := range cuts {
		p.spans = append(p.spans, span{src: at, dst: len(p.text), n: c[0] - at})
		p.text = append(p.text, src[at:c[0]]...)
		at = c[1]
	}
	p.spans = append(p.spans, span{src: at, dst: len(p.text), n: len(src) - at})
	p.text = append(p.text, src[at:]...)
	return p, nil
}

// holds reports whether a target lies in [a, b).
func holds(targets []int, a, b int) bool {
	k := sort.SearchInts(targets, a)
	return k < len(targets) && targets[k] < b
}

// findCuts lexes src and returns the maximal removable ranges in order.
func findCuts(src []byte, targets []int) ([][2]int, error) {
	var (
		cuts  [][2]int
		stack []bracket
		prev  = pStart
		wa    int  // src[wa:wb] is the last word when prev is pWord
		wb    int  //
		dot   bool // a `.` preceded the last word (a property name, not a keyword)
		n     = len(src)
		i     = 0
	)
	cut := func(a, b, since int) {
		if a >= b || holds(targets, a, b) {
			return
		}
		cuts = append(cuts[:since], [2]int{a, b}) // drops the cuts nested inside
	}
	keyword := func(set map[string]bool) bool {
		return prev == pWord && !dot && isKeyword(set, src[wa:wb])
	}
	// A hashbang line is a comment.
	if bytes.HasPrefix(src, []byte("#!")) {
		i = lineEnd(src, 0)
	}
	// inTemplate scans template text from i (after ` or the } closing a
	// substitution) to the closing backtick or the next ${.
	inTemplate := func(open, since int) error {
		for i < n {
			switch src[i] {
			case '\\':
				i += 2
				continue
			case '`':
				i++
				cut(open+1, i-1, since)
				prev = pValue
				return nil
			case '$':
				if i+1 < n && src[i+1] == '{' {
					stack = append(stack, bracket{kind: bSubst, open: i + 1, tmpl: open, cutAt: since})
					i += 2
					prev = pPunct
					return nil
				}
			}
			i++
		}
		return errPrune
	}
	lastSig := byte(0) // the last significant byte, to see a `.` before a word
	for i < n {
		c := src[i]
		switch lexClass[c] {
		case cSpace:
			i++
			continue
		case cWord:
			j := i + 1
			for j < n && lexClass[src[j]] == cWord {
				j++
			}
			dot = lastSig == '.'
			wa, wb = i, j
			i = j
			prev = pWord
		case cQuote:
			j, ok := stringEnd(src, i)
			if !ok {
				return nil, errPrune
			}
			// A long string (bundles carry shaders, data: URLs, CSS) is
			// emptied unless it may name a function: a key (`"k":`,
			// `"k"(){`, `["k"]`, class field `"k"=`) is followed by one of
			// : ( ] =. A comment after it keeps it too.
			if j-i > longString && !holds(targets, i+1, j-1) {
				k := j
				for k < n && lexClass[src[k]] == cSpace {
					k++
				}
				if k == n || bytes.IndexByte([]byte(":(]=/"), src[k]) < 0 {
					cuts = append(cuts, [2]int{i + 1, j - 1})
				}
			}
			i = j
			prev = pValue
		case cTick:
			i++
			if err := inTemplate(i-1, len(cuts)); err != nil {
				return nil, err
			}
		case cSlash:
			if i+1 < n && src[i+1] == '/' {
				i = lineEnd(src, i)
				continue
			}
			if i+1 < n && src[i+1] == '*' {
				k := bytes.Index(src[i+2:], []byte("*/"))
				if k < 0 {
					return nil, errPrune
				}
				i += 2 + k + 2
				continue
			}
			if prev == pValue || prev == pParen || prev == pWord && !keyword(exprKeywords) {
				i++ // division
				prev = pPunct
				break
			}
			j, ok := regexEnd(src, i)
			if !ok {
				return nil, errPrune
			}
			i = j
			prev = pValue
		case cOpen:
			b := bracket{open: i, cutAt: len(cuts)}
			switch c {
			case '(':
				b.kind = bParen
				if keyword(condKeywords) {
					b.kind = bParenCond
				}
			case '[':
				b.kind = bBracket
			case '{':
				b.kind = bBlock
				if prev == pPunct || keyword(exprKeywords) && string(src[wa:wb]) != "do" && string(src[wa:wb]) != "else" {
					b.kind = bObject
				}
			}
			stack = append(stack, b)
			prev = pPunct
			i++
		case cClose:
			if len(stack) == 0 {
				return nil, errPrune
			}
			b := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			switch c {
			case ')':
				switch b.kind {
				case bParen:
					prev = pParen
				case bParenCond:
					prev = pStmt
				default:
					return nil, errPrune
				}
			case ']':
				if b.kind != bBracket {
					return nil, errPrune
				}
				prev = pValue
			case '}':
				switch b.kind {
				case bBlock:
					cut(b.open+1, i, b.cutAt)
					prev = pStmt
				case bObject:
					cut(b.open+1, i, b.cutAt)
					prev = pValue
				case bSubst:
					i++
					lastSig = '}'
					if err := inTemplate(b.tmpl, b.cutAt); err != nil {
						return nil, err
					}
					continue
				default:
					return nil, errPrune
				}
			}
			i++
		default:
			prev = pPunct
			switch c {
			case ';':
				prev = pStmt
			case '=':
				if i+1 < n && src[i+1] == '>' {
					prev = pArrow
					i += 2
					lastSig = '>'
					continue
				}
			case '+', '-':
				if i+1 < n && src[i+1] == c {
					// ++ and -- are taken as postfix: `/` after them divides.
					prev = pValue
					i += 2
					lastSig = c
					continue
				}
			}
			i++
		}
		lastSig = src[i-1]
	}
	if len(stack) != 0 {
		return nil, errPrune
	}
	return cuts, nil
}

// lineEnd returns the offset of the line terminator ending the line at i
// (\n, \r, U+2028 or U+2029), or len(src).
func lineEnd(src []byte, i int) int {
	for i < len(src) {
		switch src[i] {
		case '\n', '\r':
			return i
		case 0xE2:
			if i+2 < len(src) && src[i+1] == 0x80 && (src[i+2] == 0xA8 || src[i+2] == 0xA9) {
				return i
			}
		}
		i++
	}
	return i
}

// stringEnd returns the offset just past the string literal at src[i].
func stringEnd(src []byte, i int) (int, bool) {
	q := src[i]
	j := i + 1
	for {
		k := bytes.IndexByte(src[j:], q)
		if k < 0 {
			return 0, false
		}
		j += k
		// Escaped when an odd number of backslashes precede the quote.
		bs := 0
		for p := j - 1; p > i && src[p] == '\\'; p-- {
			bs++
		}
		j++
		if bs%2 == 0 {
			return j, true
		}
	}
}

// regexEnd returns the offset just past the regular expression literal
// (flags included) at src[i] == '/'.
func regexEnd(src []byte, i int) (int, bool) {
	j := i + 1
	class := false
	for j < len(src) {
		switch src[j] {
		case '\\':
			j += 2
			continue
		case '\n', '\r':
			return 0, false
		case '[':
			class = true
		case ']':
			class = false
		case '/':
			if !class {
				j++
				for j < len(src) && lexClass[src[j]] == cWord {
					j++
				}
				return j, true
			}
		}
		j++
	}
	return 0, false
}
