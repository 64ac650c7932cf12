package jsonscan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/bits"
)

// Reading a document from its end.
//
// A source map is mostly one array, "sourcesContent", that a lookup never
// needs; scanning past it costs more than the rest of the lookup (its pages
// must be read in from the page cache, and every quote in 20 MB of source
// code is a stop). DocumentSkipping reads the members before it forwards and
// the members after it backwards from the closing brace, so the array itself
// is never touched.
//
// Strings can be found backwards as surely as forwards: inside a string
// every quote is escaped, and outside one no backslash can stand, so a quote
// preceded by an even number of backslashes is always structural, and the
// first such quote before a string's closing quote is its opening quote.
// Arrays, objects, numbers and literals follow.
//
// Where the backward scan stops is the one guess: walking back through the
// members after the skipped one, the first top-level array met that has a
// string element of longElem bytes or more and is still going after
// guessAfter bytes is taken to be the skipped array (source files are long,
// names and paths are not, and a small array with a long string is read to
// its key), and the member is marked Unread. The guess is wrong only if
// another such array follows the skipped one: the members between them are
// then not seen. A caller that reads the value later checks it as far as it
// reads (sourcemap's readContent); a caller that needs certain members
// checks that it found them and otherwise scans with Document.

// skipMin is the size from which a skippable array is worth the backward
// scan; smaller documents are scanned whole. An array is taken to be the
// skipped one once guessAfter bytes of it are read and one of its string
// elements is longElem bytes or more. Variables for the tests.
var (
	skipMin    = 1 << 20
	guessAfter = 1 << 20
	longElem   = 4 << 10
)

// errLong stops the backward scan of a top-level array at a long element;
// errNoKey, a member whose value starts where the scan's range does.
var (
	errLong  = errors.New("long element")
	errNoKey = errors.New("value at the start of the range")
)

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipWSBack returns the offset of the last non-white-space byte at or
// before j, or lo-1.
func skipWSBack(b []byte, lo, j int) int {
	for j >= lo && isWS(b[j]) {
		j--
	}
	return j
}

// lastQuote returns the offset of the last '"' in b, or -1. The mappings
// string that usually ends a map is megabytes without a quote: past the
// first 256 bytes, blocks without one are passed over with IndexByte (which
// is vectorised; there is no backward counterpart), and only a block that
// has one is searched from its end.
func lastQuote(b []byte) int {
	const first, block = 256, 4096
	for i := len(b); i > 0; {
		lo := max(0, i-block)
		if i == len(b) {
			lo = max(0, i-first)
		} else if bytes.IndexByte(b[lo:i], '"') < 0 {
			i = lo
			continue
		}
		if k := lastQuoteIn(b[lo:i]); k >= 0 {
			return lo + k
		}
		i = lo
	}
	return -1
}

// lastQuoteIn is lastQuote testing eight bytes at a time.
func lastQuoteIn(b []byte) int {
	const (
		ones  = 0x0101010101010101
		low7  = 0x7f7f7f7f7f7f7f7f
		highs = 0x8080808080808080
	)
	i := len(b)
	for i >= 8 {
		x := binary.LittleEndian.Uint64(b[i-8:i]) ^ ('"' * ones)
		// A byte of x is zero exactly when its bit 7 stays clear here; no
		// carry crosses bytes, so there are no false hits.
		if z := ^((x & low7) + low7 | x) & highs; z != 0 {
			return i - 8 + (63-bits.LeadingZeros64(z))/8
		}
		i -= 8
	}
	for i > 0 {
		i--
		if b[i] == '"' {
			return i
		}
	}
	return -1
}

// stringStart returns the offset of the opening quote of the string whose
// closing quote is b[j]; the string lies in b[lo:]. With limit > 0 it gives
// up with errLong once the string is known to be limit bytes or longer.
func stringStart(b []byte, lo, j, limit int) (int, error) {
	if escaped(b, lo, j) {
		return 0, &SyntaxError{j, "unterminated string"}
	}
	k := j
	for {
		from := lo
		if limit > 0 && j-limit > from {
			from = j - limit
		}
		q := lastQuote(b[from:k])
		if q < 0 {
			if from > lo {
				return 0, errLong
			}
			return 0, &SyntaxError{j, "unterminated string"}
		}
		k = from + q
		if !escaped(b, lo, k) {
			return k, nil
		}
	}
}

// escaped reports whether an odd number of backslashes (in b[lo:]) precede
// b[k].
func escaped(b []byte, lo, k int) bool {
	n := 0
	for p := k - 1; p >= lo && b[p] == '\\'; p-- {
		n++
	}
	return n%2 == 1
}

// isScalarByte reports whether c can be part of a number or of true, false
// or null.
func isScalarByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '.' || c == '+' || c == '-' || c == 'E'
}

// valueStart returns the offset of the first byte of the value whose last
// byte is b[j], which lies in b[lo:].
func valueStart(b []byte, lo, j, depth int) (int, error) {
	if depth > maxDepth {
		return 0, &SyntaxError{j, "nested too deeply"}
	}
	switch c := b[j]; {
	case c == '"':
		return stringStart(b, lo, j, 0)
	case c == ']':
		return arrayStart(b, lo, j, depth, false)
	case c == '}':
		start, _, err := objectStart(b, lo, j, depth)
		return start, err
	case isScalarByte(c):
		k := j
		for k > lo && isScalarByte(b[k-1]) {
			k--
		}
		// What precedes must end the value; the value itself must read
		// forwards as one.
		if end, err := skipValue(b, k, depth); err != nil || end != j+1 {
			return 0, &SyntaxError{k, "invalid value"}
		}
		return k, nil
	default:
		return 0, &SyntaxError{j, "unexpected " + string(c)}
	}
}

// arrayStart returns the offset of the '[' of the array whose ']' is b[j].
// With long it stops with errLong once it has read guessAfter bytes of the
// array and met a string element of longElem bytes or more.
func arrayStart(b []byte, lo, j, depth int, long bool) (int, error) {
	k := skipWSBack(b, lo, j-1)
	if k >= lo && b[k] == '[' {
		return k, nil
	}
	sawLong := false
	for k >= lo {
		var start int
		var err error
		if long && b[k] == '"' {
			if start, err = stringStart(b, lo, k, longElem); errors.Is(err, errLong) {
				// A long element: read on, as far as guessAfter allows.
				sawLong = true
				if rest := guessAfter - (j - k); rest > 0 {
					start, err = stringStart(b, lo, k, rest)
				}
			}
		} else {
			start, err = valueStart(b, lo, k, depth+1)
		}
		if err != nil {
			return 0, err
		}
		if sawLong && j-start >= guessAfter {
			return 0, errLong
		}
		k = skipWSBack(b, lo, start-1)
		if k < lo {
			break
		}
		switch b[k] {
		case ',':
			k = skipWSBack(b, lo, k-1)
		case '[':
			return k, nil
		default:
			return 0, &SyntaxError{k, "expected ',' or '['"}
		}
	}
	return 0, &SyntaxError{lo, "unexpected start of array"}
}

// elements returns the element offsets of the array b[start:end], read
// forwards once its bounds are known: sized from its quotes up front, the
// list of a 100,000-name array is not regrown a dozen times.
func elements(b []byte, start, end int) ([][2]int, error) {
	elems := make([][2]int, 0, bytes.Count(b[start:end], []byte{'"'})/2+1)
	elems, next, err := scanArrayInto(b, start, 1, elems)
	if err == nil && next != end {
		err = &SyntaxError{next, "array ends early"}
	}
	if len(elems) == 0 {
		elems = nil // as scanArray
	}
	return elems, err
}

// objectStart returns the offset of the '{' of the object whose '}' is b[j],
// and its members in order.
func objectStart(b []byte, lo, j, depth int) (int, []Member, error) {
	var members []Member
	k := skipWSBack(b, lo, j-1)
	if k >= lo && b[k] == '{' {
		return k, nil, nil
	}
	for k >= lo {
		m, err := memberBack(b, lo, k, depth, false)
		if err != nil {
			return 0, nil, err
		}
		members = append(members, m)
		k = skipWSBack(b, lo, m.KeyStart-1)
		if k < lo {
			break
		}
		switch b[k] {
		case ',':
			k = skipWSBack(b, lo, k-1)
		case '{':
			for x, y := 0, len(members)-1; x < y; x, y = x+1, y-1 {
				members[x], members[y] = members[y], members[x]
			}
			return k, members, nil
		default:
			return 0, nil, &SyntaxError{k, "expected ',' or '{'"}
		}
	}
	return 0, nil, &SyntaxError{lo, "unexpected start of object"}
}

// memberBack reads the "key": value member whose value ends at b[j]. With
// long, an array value stops at a long element with errLong, and the
// returned member has only ValEnd set.
func memberBack(b []byte, lo, j, depth int, long bool) (Member, error) {
	m := Member{ValEnd: j + 1}
	var err error
	if b[j] == ']' {
		if m.ValStart, err = arrayStart(b, lo, j, depth+1, long); err == nil && depth == 0 {
			m.Elems, err = elements(b, m.ValStart, m.ValEnd)
		}
	} else {
		m.ValStart, err = valueStart(b, lo, j, depth+1)
	}
	if err != nil {
		return m, err
	}
	k := skipWSBack(b, lo, m.ValStart-1)
	if k < lo {
		return m, errNoKey
	}
	if b[k] != ':' {
		return m, &SyntaxError{m.ValStart, "expected ':' before a value"}
	}
	k = skipWSBack(b, lo, k-1)
	if k < lo || b[k] != '"' {
		return m, &SyntaxError{k + 1, "expected a member name"}
	}
	if m.KeyStart, err = stringStart(b, lo, k, 0); err != nil {
		return m, err
	}
	m.KeyEnd = k + 1
	if m.Key, err = decodeKey(b[m.KeyStart:m.KeyEnd]); err != nil {
		return m, &SyntaxError{m.KeyStart, "invalid member name"}
	}
	return m, nil
}

// tailMembers reads the top-level members after the one whose array value
// starts at b[v], backwards from the object's closing brace. It returns them
// in order, the end of the skipped value, whether that value was read (its
// elements then in elems), and the offset just past the closing brace.
// Anything unexpected is an error, and the caller scans forwards instead.
func tailMembers(b []byte, v int) (tail []Member, valEnd int, elems [][2]int, read bool, end int, err error) {
	j := skipWSBack(b, v, len(b)-1)
	if j <= v || b[j] != '}' {
		return nil, 0, nil, false, 0, &SyntaxError{j, "expected '}' at the end"}
	}
	end = j + 1
	j = skipWSBack(b, v, j-1)
	for {
		if j < v {
			return nil, 0, nil, false, 0, &SyntaxError{v, "member not found"}
		}
		m, err := memberBack(b, v, j, 0, true)
		switch {
		case errors.Is(err, errLong):
			read = false
		case errors.Is(err, errNoKey) && m.ValStart == v && b[j] == ']':
			// The skipped array itself, read whole (all its elements
			// short): its key is before v, out of this scan's range.
			read, elems = true, m.Elems
		case err != nil:
			return nil, 0, nil, false, 0, err
		default:
			tail = append(tail, m)
			k := skipWSBack(b, v, m.KeyStart-1)
			if k < v || b[k] != ',' {
				return nil, 0, nil, false, 0, &SyntaxError{k, "expected ','"}
			}
			j = skipWSBack(b, v, k-1)
			continue
		}
		for x, y := 0, len(tail)-1; x < y; x, y = x+1, y-1 {
			tail[x], tail[y] = tail[y], tail[x]
		}
		return tail, j + 1, elems, read, end, nil
	}
}

// DocumentSkipping is Document, except that it does not read the value of
// the top-level member named skip when that value is an array of a
// megabyte or more: it reads the members after it backwards from the end
// instead (see above) and returns the member with Unread set and no Elems.
// The text of an unread value is not checked at all, and the guess of where
// it ends is a guess: use it only where a caller checks what it needs.
func DocumentSkipping(b []byte, skip string) (members []Member, open, end int, err error) {
	open = skipWS(b, SkipPrefix(b))
	members, end, err = scanTop(b, open, skip)
	if err != nil {
		return nil, 0, 0, err
	}
	if rest := skipWS(b, end); rest != len(b) {
		return nil, 0, 0, &SyntaxError{rest, "unexpected data after the top-level object"}
	}
	return members, open, end, nil
}
