package jsscope

import "bytes"

// Finding the cuts: one pass over the file that matches its brackets and
// notes what prune may remove (the comment at the top of prune.go says what
// and why). findCuts is the loop; each kind of token the loop stops at has
// its own step below, so that a rule about strings, comments, `;` or
// brackets can be read, and changed, in one place. The loop runs over every
// byte of a multi-megabyte bundle, so the offset stays a local of the loop:
// each step takes the offset of its token and returns where lexing goes on,
// and only what outlives a token (the cuts, the open brackets, the lexer's
// memory of the tokens before) is kept in cutFinder.

// cutFinder is findCuts's state between tokens.
type cutFinder struct {
	src     []byte
	targets []int // sorted byte offsets that no cut may contain
	cuts    [][2]int
	stack   []bracket // the brackets open, innermost last
	top     bracket   // the program's statement level
	lx      lexer
}

// findCuts lexes src and returns the maximal removable ranges in order.
func findCuts(src []byte, targets []int) ([][2]int, error) {
	f := &cutFinder{
		src:     src,
		targets: targets,
		lx:      lexer{src: src, closeAt: -1, regexEnd: -1},
		top:     bracket{kind: bBlock},
	}
	n := len(src)
	i := f.skipHashbang()
	var err error
	for {
		i = skipPlain(src, i)
		if i >= n {
			break
		}
		switch src[i] {
		case '"', '\'':
			i, err = f.stringLiteral(i)
		case '`':
			i, err = f.template(i+1, i, len(f.cuts))
		case '/':
			i, err = f.slash(i)
		case ';':
			i = f.semicolon(i)
		case '(':
			i, err = f.openParen(i)
		case '[':
			i = f.push(i, bBracket)
		case '{':
			i, err = f.openBrace(i)
		case ')':
			i, err = f.closeParen(i)
		case ']':
			i, err = f.closeSquare(i)
		default: // }
			i, err = f.closeBrace(i)
		}
		if err != nil {
			return nil, err
		}
	}
	// A bracket still open at the end means the lexer lost its way.
	if len(f.stack) != 0 {
		return nil, errPrune
	}
	return f.cuts, nil
}

// skipPlain returns the offset of the next special byte from i, or len(src).
// Most bytes are identifiers, numbers, operators and white space, so this
// loop is where the pass spends most of its time.
func skipPlain(src []byte, i int) int {
	for i < len(src) && !special[src[i]] {
		i++
	}
	return i
}

// cut records [a, b) as removable unless it is empty or holds a target. since
// is len(cuts) when the enclosing range began: the cuts after it lie inside
// [a, b) and are dropped, so that only maximal ranges are kept.
func (f *cutFinder) cut(a, b, since int) {
	if a >= b || holds(f.targets, a, b) {
		return
	}
	f.cuts = append(f.cuts[:since], [2]int{a, b}) // drops the cuts nested inside
}

// skipHashbang returns the offset after a hashbang line at the start of the
// file, or 0.
func (f *cutFinder) skipHashbang() int {
	// A hashbang line is a comment.
	if bytes.HasPrefix(f.src, []byte("#!")) {
		e := lineEnd(f.src, 0)
		f.lx.comments = append(f.lx.comments, [2]int{0, e})
		return e
	}
	return 0
}

// stringLiteral steps over the string literal at i, emptying it when it is
// long and cannot be a key.
func (f *cutFinder) stringLiteral(i int) (int, error) {
	src, n := f.src, len(f.src)
	j, ok := stringEnd(src, i)
	if !ok {
		return 0, errPrune
	}
	// A long string (bundles carry shaders, data: URLs, CSS) is
	// emptied unless it may name a function: a key (`"k":`,
	// `"k"(){`, `["k"]`, class field `"k"=`) is followed by one of
	// : ( ] =. A comment after it keeps it too.
	if j-i > longString && !holds(f.targets, i+1, j-1) {
		k := j
		for k < n && lexClass[src[k]] == cSpace {
			k++
		}
		if k == n || bytes.IndexByte([]byte(":(]=/"), src[k]) < 0 {
			f.cuts = append(f.cuts, [2]int{i + 1, j - 1})
		}
	}
	return j, nil
}

// template scans template text from i (after ` or the } closing a
// substitution) to the closing backtick or the next ${. open is the offset
// of the template's opening backtick and since is len(cuts) when it opened:
// a template without a target is emptied whole, substitutions included.
func (f *cutFinder) template(i, open, since int) (int, error) {
	src, n := f.src, len(f.src)
	for i < n {
		switch src[i] {
		case '\\':
			i += 2
			continue
		case '`':
			i++
			f.cut(open+1, i-1, since)
			return i, nil
		case '$':
			if i+1 < n && src[i+1] == '{' {
				f.stack = append(f.stack, bracket{kind: bSubst, open: i + 1, stmt: open, cutAt: since})
				return i + 2, nil
			}
		}
		i++
	}
	return 0, errPrune
}

// slash steps over what the `/` at i starts: a comment, a regular
// expression or a division. Comments are recorded because the lexer's look
// back skips them; a regular expression is stepped over whole, since its
// text may hold quotes and brackets that are not tokens.
func (f *cutFinder) slash(i int) (int, error) {
	src, n := f.src, len(f.src)
	if i+1 < n && src[i+1] == '/' {
		e := lineEnd(src, i)
		f.lx.comments = append(f.lx.comments, [2]int{i, e})
		return e, nil
	}
	if i+1 < n && src[i+1] == '*' {
		k := bytes.Index(src[i+2:], []byte("*/"))
		if k < 0 {
			return 0, errPrune
		}
		e := i + 2 + k + 2
		f.lx.comments = append(f.lx.comments, [2]int{i, e})
		return e, nil
	}
	// The token before the / tells a division from a regular expression.
	kind, word, dot, err := f.lx.prevToken(i)
	if err != nil {
		return 0, err
	}
	if kind == pValue || kind == pParen || kind == pWord && (dot || !isExprKeyword(word)) {
		return i + 1, nil // division
	}
	j, ok := regexEnd(src, i)
	if !ok {
		return 0, errPrune
	}
	f.lx.regexEnd = j
	return j, nil
}

// level is the innermost open bracket, or the program's statement level.
func (f *cutFinder) level() *bracket {
	if len(f.stack) > 0 {
		return &f.stack[len(f.stack)-1]
	}
	return &f.top
}

// semicolon ends a statement at i.
func (f *cutFinder) semicolon(i int) int {
	// At a statement level (function body, block, class body,
	// program) the statements since the last `;` are removed when
	// they hold no target: what is left is an empty statement.
	lvl := f.level()
	// A `;` followed by else (or by while, possibly ending a
	// do-while) does not end the statement.
	if lvl.kind == bBlock && !continues(f.src, i+1) {
		if lvl.stmt < i && !holds(f.targets, lvl.stmt, i+1) {
			f.cuts = append(f.cuts[:lvl.stmtCuts], [2]int{lvl.stmt, i})
		}
		lvl.stmt, lvl.stmtCuts = i+1, len(f.cuts)
	}
	return i + 1
}

// Brackets. The kind a bracket is pushed with decides what its closing
// bracket may cut and what a `/` or `{` after it means; a closing bracket
// that does not match the innermost open one means the lexer lost its way
// (the caller then parses the whole file). Each bracket character has its
// own step, and the common cases of ( and { take no look back, because
// brackets are, after plain bytes, what the pass meets most.

// push opens a bracket of kind at i.
func (f *cutFinder) push(i, kind int) int {
	f.stack = append(f.stack, bracket{kind: kind, open: i, cutAt: len(f.cuts), stmt: i + 1, stmtCuts: len(f.cuts)})
	return i + 1
}

// pop closes the innermost open bracket; ok is false when none is open.
func (f *cutFinder) pop() (b bracket, ok bool) {
	if len(f.stack) == 0 {
		return bracket{}, false
	}
	b = f.stack[len(f.stack)-1]
	f.stack = f.stack[:len(f.stack)-1]
	return b, true
}

// closed records the bracket of kind closed at i, for the look back: the
// token before a `/` or `{` that is a ) or } is always the last one closed.
func (f *cutFinder) closed(i, kind int) int {
	f.lx.closeAt, f.lx.closeKind = i, kind
	return i + 1
}

// openParen opens the ( at i: the head of an if, while, for, with or switch
// (after which a statement follows), or any other parenthesis.
func (f *cutFinder) openParen(i int) (int, error) {
	kind := bParen
	// Only a word that may be if, while, for, with or
	// switch (or a space or comment before the parenthesis)
	// needs the look back.
	if i > 0 && mayEndHead[f.src[i-1]] {
		var err error
		if kind, err = f.headKind(i); err != nil {
			return 0, err
		}
	}
	return f.push(i, kind), nil
}

// headKind is openParen's look back at the word before the ( at i.
func (f *cutFinder) headKind(i int) (int, error) {
	kind := bParen
	prev, word, dot, err := f.lx.prevToken(i)
	if err != nil {
		return 0, err
	}
	if prev == pWord && !dot && isCondKeyword(word) {
		kind = bParenCond
	}
	if prev == pWord && !dot && string(word) == "switch" {
		kind = bParenSwitch
	}
	return kind, nil
}

// openBrace opens the { at i: an object literal (expression position), a
// block, body or class body, or a switch body.
func (f *cutFinder) openBrace(i int) (int, error) {
	src := f.src
	// The byte just before the { settles the common cases without the
	// look back.
	if i > 0 {
		switch src[i-1] {
		case ',', '(', '[', ':', '?', '=', '!', '&', '|':
			return f.push(i, bObject), nil
		case ';', ']':
			return f.push(i, bBlock), nil
		}
	}
	kind := bBlock
	prev, word, dot, err := f.lx.prevToken(i)
	if err != nil {
		return 0, err
	}
	if prev == pPunct || prev == pWord && !dot && isExprKeyword(word) && string(word) != "do" && string(word) != "else" {
		kind = bObject
	}
	if prev == pStmt && f.lx.closeKind == bParenSwitch && src[f.lx.prevSig(i)] == ')' {
		kind = bSwitch
	}
	return f.push(i, kind), nil
}

// closeParen closes the ( that the ) at i matches, emptying the long
// arguments of a plain name's call.
func (f *cutFinder) closeParen(i int) (int, error) {
	b, ok := f.pop()
	if !ok {
		return 0, errPrune
	}
	switch b.kind {
	case bParen:
		// Long arguments of a plain name's call go: `f()`
		// is as valid as `f(x)`.
		if i-b.open > minArgs && f.lx.plainCall(b.open) && !holds(f.targets, b.open+1, i) {
			f.cut(b.open+1, i, b.cutAt)
		}
	case bParenCond, bParenSwitch:
	default:
		return 0, errPrune
	}
	return f.closed(i, b.kind), nil
}

// closeSquare closes the [ that the ] at i matches; its contents stay.
func (f *cutFinder) closeSquare(i int) (int, error) {
	b, ok := f.pop()
	if !ok || b.kind != bBracket {
		return 0, errPrune
	}
	return f.closed(i, b.kind), nil
}

// closeBrace closes the { or ${ that the } at i matches. A pair without a
// target is emptied; a substitution's } goes back to the template text.
func (f *cutFinder) closeBrace(i int) (int, error) {
	b, ok := f.pop()
	if !ok {
		return 0, errPrune
	}
	switch b.kind {
	case bBlock, bObject, bSwitch:
		f.cut(b.open+1, i, b.cutAt)
	case bSubst:
		// The } ends a substitution and the template text goes on:
		// the } is part of the template, not the last closing
		// bracket the look back may meet.
		return f.template(i+1, b.stmt, b.cutAt)
	default:
		return 0, errPrune
	}
	return f.closed(i, b.kind), nil
}
