package sourcemap

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a source map, as the decoder found it.
// resolve, doctor and inject all read maps through this package, so they
// name the same problems in the same words; each command decides only what
// a problem costs it (docs/internals/sourcemap-format.md has the policy).
type Problem struct {
	Kind ProblemKind
	// Section is the index map section the problem is in, -1 for a regular
	// map or the index map's own members.
	Section int
	// Member is the JSON member at fault, with the element index when there
	// is one: "sources[3]", "mappings", "sections[1].offset".
	Member string
	// Line and Column locate a mappings problem: the 0-based generated
	// position in the coordinates of the whole map (an index map's, not the
	// section's). Column is -1 when the segment has no column of its own
	// (it is empty or cannot be read): Segment is then its 1-based place
	// among the line's comma-separated segments, and AfterColumn the
	// generated column reached before it (-1 when none is, or it is out of
	// range).
	Line, Column, AfterColumn, Segment int
	// Detail says what is wrong; Effect what a lenient reader (resolve)
	// does about it, "" for a fatal problem.
	Detail, Effect string
	// Err is the underlying error, for ProblemJSON a *jsonscan.SyntaxError
	// whose offset locates the fault in the text.
	Err error
}

func (p *Problem) Unwrap() error { return p.Err }

// ProblemKind classifies problems, so callers choose a fix without reading
// messages.
type ProblemKind uint8

const (
	// Fatal kinds: Parse refuses the map with one of these.
	ProblemJSON     ProblemKind = iota + 1 // not JSON, not an object
	ProblemVersion                         // "version" missing or not 3
	ProblemType                            // a member the decoder needs is missing or of the wrong type
	ProblemSections                        // an index map's sections cannot be used: type, offsets, order, nesting

	// Kinds a map can be used with: the decoder sets the faulty part aside
	// (ECMA-426's "optionally report an error" and continue).
	ProblemMember   // an optional member or element of the wrong type: read as absent or null
	ProblemDebugID  // "debugId" is not a UUID: read as absent
	ProblemSegment  // an empty segment (",,"): skipped, nothing is lost
	ProblemColumn   // a generated column below 0 or past 2^31-1: the segment is dropped
	ProblemSource   // a source index outside "sources": the segment maps to nothing
	ProblemOriginal // an original line or column below 0 or past 2^31-1: the segment maps to nothing
	ProblemName     // a name index outside "names": the segment has no name
	ProblemOverlap  // an index map section starts before the previous one's last mapping

	// ProblemSyntax is malformed mappings text (a bad character, a value cut
	// short or past 32 bits, a segment of 2, 3 or 6+ fields): every segment
	// after it depends on values that cannot be read, so decoding stops there.
	ProblemSyntax
)

// Fatal reports whether a map with this problem cannot be used at all.
func (k ProblemKind) Fatal() bool { return k >= ProblemJSON && k <= ProblemSections }

// InMappings reports whether the problem is at a position of "mappings".
func (k ProblemKind) InMappings() bool {
	return k == ProblemSegment || k == ProblemColumn || k == ProblemSource || k == ProblemOriginal || k == ProblemName || k == ProblemSyntax
}

// Error formats the problem for a message that starts with the map's path:
// the member, then for mappings the 1-based generated line and column, what
// is wrong, and what a lenient reader does about it.
func (p *Problem) Error() string {
	if p.Effect == "" {
		return p.Fault()
	}
	return p.Fault() + "; " + p.Effect
}

// Fault is Error without the effect: for a caller that refuses the map
// rather than working around the problem.
func (p *Problem) Fault() string {
	var b strings.Builder
	if p.Section >= 0 {
		fmt.Fprintf(&b, "sections[%d].map: ", p.Section)
	}
	b.WriteString(p.Member)
	if p.Kind.InMappings() {
		fmt.Fprintf(&b, ", generated line %d", p.Line+1)
		switch {
		case p.Column >= 0:
			fmt.Fprintf(&b, ", column %d", p.Column+1)
		case p.Segment > 0:
			fmt.Fprintf(&b, ", segment %d", p.Segment)
			if p.AfterColumn >= 0 {
				fmt.Fprintf(&b, " (after column %d)", p.AfterColumn+1)
			}
		}
	}
	if p.Detail != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(p.Detail)
	}
	return b.String()
}

// fatal is a problem that makes Parse refuse the map.
func fatal(kind ProblemKind, member, format string, args ...any) *Problem {
	return &Problem{Kind: kind, Section: -1, Member: member, Line: -1, Column: -1, AfterColumn: -1, Detail: fmt.Sprintf(format, args...)}
}

// memberProblem is a problem with an optional member or one of its elements,
// with its effect on a lenient reader.
func memberProblem(kind ProblemKind, member, effect, format string, args ...any) Problem {
	p := *fatal(kind, member, format, args...)
	p.Effect = effect
	return p
}

// Problems is what a check of a whole map found, in the order found. It keeps
// the first MaxProblems and counts the rest: a generator bug repeats one
// problem on every segment.
type Problems struct {
	List  []Problem
	Total int
}

// MaxProblems is how many problems a check keeps.
const MaxProblems = 50

func (ps *Problems) add(p Problem) {
	ps.Total++
	if len(ps.List) < MaxProblems {
		ps.List = append(ps.List, p)
	}
}

// Fatal returns the first problem that makes the map unusable, or nil.
func (ps *Problems) Fatal() *Problem {
	for i := range ps.List {
		if ps.List[i].Kind.Fatal() || ps.List[i].Kind == ProblemSyntax {
			return &ps.List[i]
		}
	}
	return nil
}

// describe names a JSON value's type for a message: "a number", "an object".
func describe(v []byte) string {
	if len(v) == 0 {
		return "empty"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
