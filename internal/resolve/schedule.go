package resolve

import (
	"context"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/jsscope"
	"github.com/mapback/mapback/internal/stacktrace"
)

// located is a frame whose bundle is known, at index i of the results.
type located struct {
	i int
	f *stacktrace.Frame
	b *dist.Bundle
	// header marks the position of a Node crash header (nodeheader.go):
	// its original source line is read while the map is at hand.
	header bool
	note   string // resolved.locateNote
}

// resolveLocated looks the frames up in their maps and, for scope names,
// parses the scopes around them in their bundles. Frames are grouped by
// bundle and map; reading and parsing a group's map is one task and its
// bundle's scopes another. The tasks run in parallel, as many at a time as
// there are CPUs, the biggest group first and the two tasks of a group side
// by side. When both are done the group's frames get their scope names and,
// when nothing else will read them (no --context), the group's map and
// bundle are unmapped: the files of one group at a time stay in memory, not
// all of them.
func (r *resolver) resolveLocated(frames []located, results []resolved) {
	scopes := r.opts.Names != NamesMinified
	byUnit, keys := groupBy(frames, func(l located) string { return l.b.Path + "\x00" + mapKey(l.b) })
	at := map[string][]jsscope.Pos{} // positions per bundle
	var mu sync.Mutex                // guards the reference counts
	mapRefs, srcRefs := map[string]int{}, map[string]int{}
	for _, key := range keys {
		l := byUnit[key][0]
		mapRefs[mapKey(l.b)]++
		srcRefs[l.b.Path]++
		if scopes && l.b.Path != "" {
			for _, l := range byUnit[key] {
				line, col := r.genPos(l.f, l.b)
				at[l.b.Path] = append(at[l.b.Path], jsscope.Pos{Line: line, Col: col})
			}
		}
	}
	for p, positions := range at {
		at[p] = uniquePositions(positions) // a log repeats the same frames
	}
	release := r.opts.Context <= 0
	var tasks []task
	for _, key := range keys {
		group := byUnit[key]
		b := group[0].b
		parseScopes := scopes && b.Path != ""
		left := new(atomic.Int32)
		left.Store(1)
		if parseScopes {
			left.Store(2)
		}
		// done runs after each of the group's tasks; the last one names
		// the group's frames and releases what is no longer needed.
		done := func() {
			if left.Add(-1) != 0 {
				return
			}
			if scopes {
				var named []*resolved
				for _, l := range group {
					if res := &results[l.i]; res.ok {
						res.scoped, res.scopedComplete = r.scopeName(*res, at[l.b.Path])
						res.scopedSet = true
						r.checkBuild(res, at[l.b.Path])
						named = append(named, res)
					}
				}
				r.nameOriginals(named) // while the group's map is open
			}
			if !release {
				return
			}
			mu.Lock()
			mapRefs[mapKey(b)]--
			srcRefs[b.Path]--
			freeMap, freeSrc := mapRefs[mapKey(b)] == 0, srcRefs[b.Path] == 0
			mu.Unlock()
			if freeMap {
				r.idx.releaseMap(mapKey(b))
				for _, l := range group {
					results[l.i].m = nil // unmapped
				}
			}
			if freeSrc {
				r.idx.releaseSource(b.Path)
			}
		}
		size := fileSize(b.Path)
		if b.Map != nil {
			size += int64(len(b.Map.Inline))
			if b.Map.Path != "" {
				size += fileSize(b.Map.Path)
			}
		}
		tasks = append(tasks, task{size: size, splits: true, run: func() {
			for _, l := range group {
				results[l.i] = r.lookupIn(l.f, l.b)
				if l.note != "" {
					results[l.i].warnings = append(results[l.i].warnings, l.note)
				}
				if l.header && results[l.i].ok {
					results[l.i].sourceLine, results[l.i].sourceLineOK = r.originalLine(results[l.i])
				}
			}
			r.idx.evictMap(mapKey(b))
			done()
		}})
		if parseScopes {
			tasks = append(tasks, task{size: size, run: func() {
				parsingScopes()
				r.idx.scopesFor(b, at[b.Path])
				r.idx.evictSource(b.Path)
				done()
			}})
		}
	}
	runTasks(r.ctx, tasks)
}

// parsingScopes is called as a bundle's scope parse starts: a parse cannot
// be interrupted, and tests hold one here to interrupt the run during it.
var parsingScopes = func() {}

// groupBy groups frames by key, keys in order of first appearance.
func groupBy(frames []located, key func(located) string) (map[string][]located, []string) {
	groups := map[string][]located{}
	var keys []string
	for _, l := range frames {
		k := key(l)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], l)
	}
	return groups, keys
}

func fileSize(path string) int64 {
	if fi, err := os.Stat(path); err == nil {
		return fi.Size()
	}
	return 0
}

type task struct {
	size int64
	// splits: the task spreads its work over the idle CPUs (a source
	// map's mappings pass, see sourcemap), where a scope parse cannot.
	splits bool
	run    func()
}

// runTasks runs the tasks on as many goroutines as there are CPUs, and
// returns when all are done. The ones that cannot spread their work go
// first, biggest first: run last, a big one leaves the other CPUs idle
// while it finishes, where a task that spreads fills them.
func runTasks(ctx context.Context, tasks []task) {
	sort.SliceStable(tasks, func(i, j int) bool {
		if tasks[i].splits != tasks[j].splits {
			return !tasks[i].splits
		}
		return tasks[i].size > tasks[j].size
	})
	workers := min(runtime.GOMAXPROCS(0), len(tasks))
	if workers <= 1 {
		for _, t := range tasks {
			if ctx.Err() != nil {
				return
			}
			t.run()
		}
		return
	}
	next := make(chan task)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range next {
				if ctx.Err() == nil { // once interrupted, the rest is drained unrun
					t.run()
				}
			}
		}()
	}
	for _, t := range tasks {
		next <- t
	}
	close(next)
	wg.Wait()
}
