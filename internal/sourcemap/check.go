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
	if len(m.problems) == 0 {
		return nil
	}
	return append([]Problem(nil), m.problems...)
}

// Segment is one segment of a map, as Check visits it. Positions are 0-based;
// the generated one is in the map's coordinates (an index map's).
type Segment struct {
	Line, Column int // generated
	Fields       int // 1, 4 or 5
	// For 4 and 5 fields: the source index, original line and column, and
	// (5 fields) the name index, else -1. They may be out of range: Check
	// reports that as a problem.
	Source, OriginalLine, OriginalColumn, Name int
}

// Check decodes the whole map and returns every problem: those Parse kept,
// then each section's (for an index map), each of its mappings problems in
// order, sourcesContent entries that are not strings or null, and index map
// sections that start before the previous section's last mapping. visit,
// when not nil, is called with every segment that exists (a negative
// generated column leaves one out), in mappings order.
func (m *Map) Check(ctx context.Context, visit func(Segment)) Problems {
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
				Detail: fmt.Sprintf("(line %d, column %d) is not after sections[%d]'s last mapping (line %d, column %d)", s.line+1, s.col+1, k-1, prevLast[0]+1, prevLast[1]+1),
				Effect: fmt.Sprintf("positions from there on resolve through sections[%d]", k)})
		}
		last := [2]int{-1, -1}
		s.m.check(ctx, &ps, k, s, func(sg Segment) {
			if sg.Line > last[0] || sg.Line == last[0] && sg.Column > last[1] {
				last = [2]int{sg.Line, sg.Column}
			}
			if visit != nil {
				visit(sg)
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
func (m *Map) check(ctx context.Context, ps *Problems, k int, s section, visit func(Segment)) {
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
			n, ok, p := r.step()
			if p != nil {
				ps.add(place(*p))
				return // nothing after malformed text can be read
			}
			if !ok {
				break
			}
			if prob := segmentFlags(&r.acc, n, lim); prob != 0 {
				sg := segmentAt(&r.acc, n, lim)
				if len(ps.List) < MaxProblems {
					sg.problems(line, lim, func(p Problem) { ps.add(place(p)) })
				} else {
					ps.Total += sg.problemCount() // formatting them would be wasted
				}
				if prob&probColumn != 0 {
					continue // the segment does not exist
				}
			}
			if visit != nil {
				sg := segmentAt(&r.acc, n, lim)
				v := Segment{Line: line, Column: int(sg.genCol), Fields: n, Source: -1, OriginalLine: -1, OriginalColumn: -1, Name: int(sg.name)}
				if n >= 4 {
					v.Source, v.OriginalLine, v.OriginalColumn = int(sg.src), int(sg.line), int(sg.col)
				}
				if k >= 0 {
					if v.Line == 0 {
						v.Column += s.col
					}
					v.Line += s.line
				}
				visit(v)
			}
		}
		if r.i >= len(mp) && (r.i <= i || mp[r.i-1] != ';') {
			break // the last line: it did not end with a ';'
		}
		i, st = r.i, r.state()
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
		add(memberProblem(ProblemMember, "sourcesContent", "its entries from there on are left out", "cannot be read: %v", err))
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
