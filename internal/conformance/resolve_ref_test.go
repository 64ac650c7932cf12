//go:build conformance

package conformance

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// resRef is the reference client's answer for one sample.
type resRef struct {
	token           bool // a nearest token was found
	minLine, minCol int  // its 1-based generated position
	orig            *resAnswer
	out             string // raw output, for messages
	err             string // the run failed or was not understood
}

func (r resRef) String() string {
	switch {
	case r.err != "":
		return "error: " + r.err
	case !r.token:
		return "no token found"
	case r.orig == nil:
		return fmt.Sprintf("token at %d:%d, no original position", r.minLine, r.minCol)
	}
	return r.orig.String()
}

func (a resAnswer) String() string {
	if !a.ok {
		return "no mapping"
	}
	return fmt.Sprintf("%s:%d:%d", a.base, a.line, a.col)
}

// resReferenceAll runs `sourcemaps resolve MAP -l L -c C` for every sample,
// two processes at a time (the machine has two cores).
func resReferenceAll(ref, home, mapPath string, pos []injPos) []resRef {
	out := make([]resRef, len(pos))
	ch := make(chan int)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				p := pos[i]
				res := injExec(home, home, ref, "sourcemaps", "resolve", mapPath,
					"-l", strconv.Itoa(p.line+1), "-c", strconv.Itoa(p.col+1))
				out[i] = resParseReference(res)
			}
		}()
	}
	for i := range pos {
		ch <- i
	}
	close(ch)
	wg.Wait()
	return out
}

func resParseReference(res injResult) resRef {
	r := resRef{out: res.stdout + res.stderr}
	if res.err != nil || res.code != 0 {
		r.err = fmt.Sprintf("exit %d, %v: %s", res.code, res.err, r.out)
		return r
	}
	if strings.Contains(res.stdout, "no token found") {
		return r
	}
	mm := refMinified.FindStringSubmatch(res.stdout)
	if mm == nil {
		r.err = "output not understood: " + r.out
		return r
	}
	r.token = true
	r.minLine, _ = strconv.Atoi(mm[1])
	r.minCol, _ = strconv.Atoi(mm[2])
	if om := refOriginal.FindStringSubmatch(res.stdout); om != nil {
		l, _ := strconv.Atoi(om[1])
		c, _ := strconv.Atoi(om[2])
		r.orig = &resAnswer{true, resBase(om[3]), l, c}
	}
	return r
}

// resCandidates returns the decoder's acceptable answers for a 0-based
// generated position: every segment at the greatest column <= col on the same
// line (docs/internals/resolve.md §4: with several at that column any is acceptable), in mappings
// order. found is false when the line has no segment at or before col.
func resCandidates(sm *injSourceMap, line, col int) ([]injHit, bool) {
	if sm.sections != nil {
		i := sort.Search(len(sm.sections), func(i int) bool {
			s := sm.sections[i]
			return s.line > line || (s.line == line && s.col > col)
		}) - 1
		if i < 0 || sm.sections[i].m == nil {
			return nil, false
		}
		s := sm.sections[i]
		l, c := line-s.line, col
		if l == 0 {
			c -= s.col
		}
		return resCandidates(s.m, l, c)
	}
	if line < 0 || line >= len(sm.lines) {
		return nil, false
	}
	segs := sm.lines[line]
	i := sort.Search(len(segs), func(i int) bool { return int(segs[i].col) > col }) - 1
	if i < 0 {
		return nil, false
	}
	j := i
	for j > 0 && segs[j-1].col == segs[i].col {
		j--
	}
	var out []injHit
	for _, s := range segs[j : i+1] {
		h := injHit{found: true}
		if s.n >= 4 {
			h.mapped, h.src, h.line, h.col = true, injString(sm.sources, s.src), s.srcLine, s.srcCol
		}
		out = append(out, h)
	}
	return out, true
}

func resHitAnswer(h injHit) resAnswer {
	if !h.mapped {
		return resAnswer{}
	}
	return resAnswer{true, resBase(h.src), int(h.line) + 1, int(h.col) + 1}
}

func resInCands(a resAnswer, cands []injHit) bool {
	for _, h := range cands {
		if resHitAnswer(h) == a {
			return true
		}
	}
	return false
}

func resHasOneField(cands []injHit) bool {
	for _, h := range cands {
		if !h.mapped {
			return true
		}
	}
	return false
}

func resMatchesDecoder(got resAnswer, cands []injHit, found bool) bool {
	if !found {
		return !got.ok
	}
	return resInCands(got, cands)
}

func resCandString(cands []injHit, found bool) string {
	if !found {
		return "(nothing at or before the column on the line)"
	}
	var parts []string
	for _, h := range cands {
		if h.mapped { // printed 1-based, like the other answers
			parts = append(parts, fmt.Sprintf("%s:%d:%d", h.src, h.line+1, h.col+1))
		} else {
			parts = append(parts, h.String())
		}
	}
	return strings.Join(parts, " | ")
}

// resSample picks n positions with injSamplePositions (four in five at a
// segment, one in five between segments), then replaces every 20th with a
// column before the first segment of a line that does not start at column 0
// (where the reference falls back across lines and mapback must not), all
// deterministic for the seed name. It returns how many were replaced.
func resSample(cols [][]int32, name string, n int) ([]injPos, int) {
	pos := injSamplePositions(cols, name, n, -1, 0)
	var late []int // lines whose first segment is past column 0
	for l, c := range cols {
		if len(c) > 0 && c[0] > 0 {
			late = append(late, l)
		}
	}
	if len(late) == 0 {
		return pos, 0
	}
	h := fnv.New64a()
	h.Write([]byte(name + "/before-first"))
	seed := h.Sum64()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	replaced := 0
	for i := 19; i < len(pos); i += 20 {
		l := late[rng.IntN(len(late))]
		pos[i] = injPos{l, rng.IntN(int(cols[l][0]))}
		replaced++
	}
	return pos, replaced
}
