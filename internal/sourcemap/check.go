package sourcemap

import (
	"context"
	"fmt"
)

// Lenient and strict use of one decoder.
//
// Parse is lenient: it refuses a map only for a fatal problem, keeps the
// other problems it finds in the members (Problems), and lookups decode just
// the lines they need, reporting the problems of the segment they land on.
// Check is strict: it walks every segment with the same lineReader the
// lookups use and returns every problem. resolve uses the first; doctor and
// inject the second. Because both are one walk, a map doctor passes resolves
// in resolve, and a problem resolve meets is one doctor names, in the same
// words.

// Problems returns the problems found while parsing (members read as absent,
// elements read as null, invalid debug IDs), in document order. Problems in
// "mappings" are found by lookups and by Check.
func (m *Map) Problems() []Problem {
	out := append([]Problem(nil), m.problems...)
	return out
}

// Check decodes the whole map and returns every problem: those Parse kept,
// then each section's (for an index map), each of its mappings problems in
// order, sourcesContent entries that are not strings or null, and index map
// sections that start before the previous section's last mapping. visit,
// when not nil, is called with the generated position (0-based, in the
// map's coordinates) of every segment that exists, in mappings order.
func (m *Map) Check(ctx context.Context, visit func(line, col int)) Problems {
	var ps Problems
	if m.sections == nil {
		m.check(ctx, &ps, -1, section{}, visit)
		return ps
	}
	// The index map's own problems come first; sections' are added as
	// each section is walked.
	for _, p := range m.problems {
		if p.Section < 0 {
			ps.add(p)
		}
	}
	prevLast := [2]int{-1, -1} // the previous section's last mapping
	for k, s := range m.sections {
		if k > 0 && prevLast[0] >= 0 && (s.line < prevLast[0] || s.line == prevLast[0] && s.col <= prevLast[1]) {
			ps.add(Problem{Kind: ProblemOverlap, Section: -1, Member: fmt.Sprintf("sections[%d].offset", k), Line: -1, Column: -1, AfterColumn: -1,
				Detail: fmt.Sprintf("(line %d, column %d) is not after sections[%d]'s last mapping (line %d, column %d): positions from there on resolve through sections[%d]",
					s.line+1, s.col+1, k-1, prevLast[0]+1, prevLast[1]+1, k)})
		}
		last := [2]int{-1, -1}
		s.m.check(ctx, &ps, k, s, func(line, col int) {
			if line > last[0] || line == last[0] && col > last[1] {
				last = [2]int{line, col}
			}
			if visit != nil {
				visit(line, col)
			}
		})
		if last[0] >= 0 {
			prevLast = last
		}
		if ctx.Err() != nil {
			break
		}
	}
	return ps
}

// check walks one regular map (section k of an index map placed by s, or
// k = -1) and adds its problems to ps.
func (m *Map) check(ctx context.Context, ps *Problems, k int, s section, visit func(line, col int)) {
	place := func(p Problem) Problem {
		if k < 0 {
			return p
		}
		return *s.place(k, &p)
	}
	for _, p := range m.problems {
		ps.add(place(p))
	}
	m.checkContent(func(p Problem) { ps.add(place(p)) })

	lim := m.limits()
	var st vlqState
	mp := m.mappings
	for line, i := 0, 0; ; line++ {
		if line%1024 == 0 && ctx.Err() != nil {
			return
		}
		r := newLineReader(mp, i, st, line, lim)
		r.empty = func(p Problem) { ps.add(place(p)) }
		for {
			sg, ok, p := r.next()
			if p != nil {
				ps.add(place(*p))
				return // nothing after malformed text can be read
			}
			if !ok {
				break
			}
			if sg.prob != 0 {
				if len(ps.List) < MaxProblems {
					sg.problems(line, lim, func(p Problem) { ps.add(place(p)) })
				} else {
					ps.Total += sg.problemCount() // formatting them would be wasted
				}
			}
			if sg.prob&probColumn == 0 && visit != nil {
				l, c := line, int(sg.genCol)
				if k >= 0 {
					if l == 0 {
						c += s.col
					}
					l += s.line
				}
				visit(l, c)
			}
		}
		if r.i >= len(mp) && !(r.i > i && mp[r.i-1] == ';') {
			break // the last line: it did not end with a ';'
		}
		i, st = r.i, r.st
	}
}

// checkContent reads all of sourcesContent (ParseLazy leaves it unread) and
// reports entries that are neither strings nor null, and text the lazy parse
// took for the array's end that is not.
func (m *Map) checkContent(add func(Problem)) {
	if m.content == nil {
		return
	}
	m.mu.Lock()
	lazy := !m.contDone
	if lazy && m.contErr == nil {
		m.contErr = m.readContent(-1)
	}
	offs, err := m.contOffs, m.contErr
	m.mu.Unlock()
	if err != nil {
		add(memberProblem(ProblemMember, "sourcesContent", "cannot be read: %v", err))
	}
	if !lazy {
		return // Parse checked the entries
	}
	for i, o := range offs {
		if p := contentProblem(m.content[o[0]:o[1]], i); p != nil {
			add(*p)
		}
	}
}
