package resolve

import (
	"fmt"
	"sort"
	"strings"
)

// A run never ends in silence: when frames stay as they were, the command
// says how many and why, grouped by cause, each with what to do (Notes), and
// the exit status says whether anything resolved at all (Candidates).

// count adds one frame's outcome to the summary.
func (sum *Summary) count(res resolved) {
	sum.Frames++
	switch {
	case res.ok:
		sum.Resolved++
		sum.Candidates++
	case res.status == StatusNotResolvable || res.status == StatusOriginal:
		sum.Unresolved++ // native code, runtime internals, already original: nothing to map
	default:
		sum.Unresolved++
		sum.Candidates++
	}
}

// noteGroup is the frames that stayed unresolved for one cause.
type noteGroup struct {
	status, example, fix string
	n                    int
}

// notes explains the frames that could have resolved and did not: one line
// per cause, most frames first, with the first frame's reason as the example.
func notes(results []resolved, hasFrame func(i int) bool) []string {
	groups := map[string]*noteGroup{}
	var order []string
	for i, res := range results {
		if !hasFrame(i) || res.ok || res.status == StatusNotResolvable || res.status == StatusOriginal || res.status == "" {
			continue
		}
		fix := fixFor(res)
		key := res.status + "\x00" + fix
		g, ok := groups[key]
		if !ok {
			g = &noteGroup{status: res.status, example: res.reason, fix: fix}
			groups[key] = g
			order = append(order, key)
		}
		g.n++
	}
	sort.SliceStable(order, func(a, b int) bool { return groups[order[a]].n > groups[order[b]].n })
	var out []string
	for _, key := range order {
		g := groups[key]
		line := fmt.Sprintf("%d × %s: %s", g.n, g.status, g.example)
		if g.n > 1 {
			line = fmt.Sprintf("%d × %s, e.g. %s", g.n, g.status, g.example)
		}
		if g.fix != "" {
			line += " — " + g.fix
		}
		out = append(out, line)
	}
	return out
}

// fixFor says what to do about a frame that did not resolve.
func fixFor(res resolved) string {
	switch res.status {
	case StatusNoFile:
		return "pass --maps with the directory of the build that ran (or --map URL=FILE)"
	case StatusAmbiguous:
		return "pass --maps with one build's directory only (or --map URL=FILE)"
	case StatusNoMap:
		return "build with source maps and keep the .map files beside the bundles (or pass --map URL=FILE)"
	case StatusNoMapping:
		return "if many frames say this, the map belongs to another build of the bundle"
	case StatusMapError:
		return "mapback doctor lists the map's problems and their fixes"
	case StatusNoSource:
		return "the map gives a position but no file for it"
	case StatusDebugIDMismatch, StatusChunkIDMismatch:
		return "resolve the event against the build that ran"
	}
	return ""
}

// Explain is the account of a run whose frames did not all resolve, for
// stderr: a headline counting the frames that could have resolved (native
// code and runtime internals aside), then Notes. "" when every such frame
// resolved, or there were none.
func (sum Summary) Explain() string {
	if sum.Resolved == sum.Candidates {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "resolved %d of %d frames; %d stayed as they were:", sum.Resolved, sum.Candidates, sum.Candidates-sum.Resolved)
	for _, n := range sum.Notes {
		b.WriteString("\n  ")
		b.WriteString(n)
	}
	return b.String()
}
