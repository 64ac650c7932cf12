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
// literal that holds none of the positions, the statements between two `;`
// of a statement list that hold none, the arguments of calls of plain names
// that hold none, and long string literals that cannot be keys. What is left is still valid JavaScript — `{}` is an empty block,
// function body, object, class body, pattern or switch body wherever `{…}`
// was, `` ` ` `` an empty template, `""` an empty string, `;` an empty
// statement and `f()` a call — and it keeps every scope that contains a position together
// with the tokens that name it (identifiers, keys, assignment targets and
// class names sit in the same statement as the function, outside the
// removed ranges, or the range would contain the position). Switch bodies
// keep their statements (a case label must come first), and a `;` followed
// by else or while does not end a statement. For the four positions of the
// benchmark trace, babylon.js's 8.9 MB become 29 KB for the parser.
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
	// ( after switch, and the { of a switch body: a statement level whose
	// statements cannot be removed (case labels must stay first)
	bParenSwitch
	bSwitch
)

type bracket struct {
	kind  int
	open  int // offset of the opening character
	cutAt int // len(cuts) when the bracket opened
	// bBlock: where the statement after the last `;` at this level starts,
	// and len(cuts) then; bSubst: stmt is the offset of the template's
	// opening backtick
	stmt, stmtCuts int
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

// The keyword sets are switches rather than maps: the lexer asks about
// hundreds of thousands of words, and a switch on a short string costs a
// few comparisons where a map costs a hash.

// isExprKeyword reports whether w is a word after which `/` starts a
// regular expression.
func isExprKeyword(w []byte) bool {
	switch string(w) {
	case "return", "typeof", "instanceof", "in", "of", "new", "delete", "void",
		"throw", "case", "yield", "await", "do", "else":
		return true
	}
	return false
}

// isCondKeyword reports whether w is a word whose parenthesised head is
// followed by a statement, so a `/` after its ) starts a regular expression.
func isCondKeyword(w []byte) bool {
	switch string(w) {
	case "if", "while", "for", "with":
		return true
	}
	return false
}

// isNotCallee reports whether w is a word a parenthesis after which is not
// a call's arguments and must keep its contents: the expression keywords (a
// parenthesised operand), and catch, extends and import, whose parentheses
// cannot be empty.
func isNotCallee(w []byte) bool {
	switch string(w) {
	case "catch", "extends", "import":
		return true
	}
	return isExprKeyword(w)
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

// special marks the bytes the lexer stops at: everything else (identifiers,
// numbers, operators, white space) is skipped in a tight loop, and the token
// before a `/`, `(` or `{` is looked at backwards only when it matters.
var special = func() (t [256]bool) {
	for _, c := range []byte("\"'`/()[]{};") {
		t[c] = true
	}
	return t
}()

// mayEndHead marks the bytes that can end the token before the ( of an if,
// while, for, with or switch head: the keywords' last letters, and white
// space or a comment's end.
var mayEndHead = func() (t [256]bool) {
	for _, c := range []byte("fehr/ \t\n\r\v\f") {
		t[c] = true
	}
	return t
}()

// lexer is the part of findCuts's state (cutFinder) that looks back at the
// tokens before an offset.
type lexer struct {
	src      []byte
	comments [][2]int // comment spans so far, in order
	// The last closing bracket and the kind of bracket it closed: the
	// token before a `/` or `{` that is a ) or } is always the last one
	// closed.
	closeAt, closeKind int
	regexEnd           int // offset just past the last regular expression
}

// prevSig returns the offset of the last significant byte before i
// (skipping white space and comments), -1 at the start.
func (lx *lexer) prevSig(i int) int {
	p := i - 1
	ci := len(lx.comments) - 1
	for p >= 0 {
		if lexClass[lx.src[p]] == cSpace {
			p--
			continue
		}
		if ci >= 0 && lx.comments[ci][1] == p+1 {
			p = lx.comments[ci][0] - 1
			ci--
			continue
		}
		break
	}
	return p
}

// prevToken classifies the token before offset i; for a word it also
// returns it and whether a `.` precedes it (a property name, not a keyword).
func (lx *lexer) prevToken(i int) (kind int, word []byte, dot bool, err error) {
	src := lx.src
	p := lx.prevSig(i)
	if p < 0 {
		return pStart, nil, false, nil
	}
	c := src[p]
	switch {
	case lexClass[c] == cWord:
		ws := p
		for ws > 0 && lexClass[src[ws-1]] == cWord {
			ws--
		}
		if q := lx.prevSig(ws); q >= 0 && src[q] == '.' {
			dot = true
		}
		return pWord, src[ws : p+1], dot, nil
	case c == '"' || c == '\'' || c == '`' || c == ']':
		return pValue, nil, false, nil
	case c == '/':
		if lx.regexEnd == p+1 {
			return pValue, nil, false, nil
		}
		return pPunct, nil, false, nil
	case c == ')' || c == '}':
		if lx.closeAt != p {
			return 0, nil, false, errPrune
		}
		switch lx.closeKind {
		case bParen:
			return pParen, nil, false, nil
		case bParenCond, bBlock, bParenSwitch, bSwitch:
			return pStmt, nil, false, nil
		}
		return pValue, nil, false, nil // an object literal
	case c == ';':
		return pStmt, nil, false, nil
	case (c == '+' || c == '-') && p > 0 && src[p-1] == c:
		return pValue, nil, false, nil // ++ and -- are taken as postfix
	case c == '>' && p > 0 && src[p-1] == '=':
		return pArrow, nil, false, nil
	}
	return pPunct, nil, false, nil
}

// inComment reports whether offset p lies in a comment seen so far.
func (lx *lexer) inComment(p int) bool {
	k := sort.Search(len(lx.comments), func(i int) bool { return lx.comments[i][1] > p })
	return k < len(lx.comments) && lx.comments[k][0] <= p
}

// minArgs is the length from which the arguments of a call are removed.
const minArgs = 32

// plainCall reports whether the ( at open starts the arguments of a call of
// a plain name: a word before it that is not a property (after `.`), not a
// keyword whose parenthesis is an operand or cannot be empty (isNotCallee),
// and not after new (sobek ends `new f()` at f, so an emptied `new f(x)`
// would end the expression early) or set (a setter keeps its parameter).
// Other calls keep their arguments. It may be asked after the arguments
// were lexed: it looks only at the text before open (a comment just before
// it makes it answer false).
func (lx *lexer) plainCall(open int) bool {
	src := lx.src
	// prevWord finds the word whose last byte is the last non-space byte
	// before end.
	prevWord := func(end int) (ws, we int, ok bool) {
		p := end - 1
		for p >= 0 && lexClass[src[p]] == cSpace {
			p--
		}
		if p < 0 || lexClass[src[p]] != cWord || lx.inComment(p) {
			return 0, 0, false
		}
		ws = p
		for ws > 0 && lexClass[src[ws-1]] == cWord {
			ws--
		}
		return ws, p + 1, true
	}
	ws, we, ok := prevWord(open)
	if !ok {
		return false
	}
	if w := src[ws:we]; isNotCallee(w) || isCondKeyword(w) || string(w) == "switch" {
		return false
	}
	p := ws - 1
	for p >= 0 && lexClass[src[p]] == cSpace {
		p--
	}
	if p >= 0 && src[p] == '.' {
		return false
	}
	if bs, be, ok := prevWord(ws); ok {
		if b := string(src[bs:be]); b == "new" || b == "set" {
			return false
		}
	}
	return true
}

// continues reports whether the code at i (after a `;`) starts with else or
// while, or with a comment (not looked into).
func continues(src []byte, i int) bool {
	for i < len(src) && lexClass[src[i]] == cSpace {
		i++
	}
	rest := src[i:]
	word := func(w string) bool {
		return bytes.HasPrefix(rest, []byte(w)) && (len(rest) == len(w) || lexClass[rest[len(w)]] != cWord)
	}
	return word("else") || word("while") || bytes.HasPrefix(rest, []byte("/"))
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
