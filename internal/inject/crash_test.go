package inject_test

// TestCrashSafety is the crash test of issue 3. It SIGKILLs the real binary
// at random moments while it injects a large tree and checks, right after
// each kill and again after a recovery run, the promise of write.go: every
// unit (a bundle and its map, or byte-identical bundles and the map they
// share) is original, fully injected, or in the documented intermediate
// state: the commit point (the leading bundle) injected and every other
// changed file still original with its complete new version waiting in
// .<name>.mapback-tmp; and the next run finishes every unit.
//
// The test is black-box: it knows the CLI, the --json report (to learn which
// files are written together), that leftovers are named .<file>.mapback-*
// and that the temporary of a pending file is .<file>.mapback-tmp; nothing
// of the implementation. Random kills rarely land in the microseconds
// between two renames, so when strace is installed a second phase kills the
// binary at exact system calls (the rename onto each file of a unit, the
// removal of a temporary during recovery).

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mapback/mapback/internal/sourcemap"
)

const (
	crashTmpSuffix      = ".mapback-tmp" // a pending file's complete new version
	crashLeftoverSuffix = ".mapback-"    // any file an interrupted run may leave (temporaries, journals)
)

func TestCrashSafety(t *testing.T) {
	start := time.Now()
	bin := buildMapback(t)
	work := t.TempDir()
	tr := generateCrashTree(t, bin, filepath.Join(work, "pristine"), everyShape)
	tr.learnExpected(t, bin, work)
	seed := crashSeed(t)
	trials := 100
	if testing.Short() {
		trials = 20
		t.Logf("-short: %d trials instead of 100", trials)
	}

	t.Run("random-kills", func(t *testing.T) { tr.randomKills(t, bin, work, seed, trials, 1.5) })
	t.Run("syscall-kills", func(t *testing.T) { tr.syscallKills(t, bin, work) })
	t.Run("concurrent-runs", func(t *testing.T) { tr.concurrentRuns(t, bin, work) })
	if err := tr.checkPristine(); err != nil {
		t.Error(err)
	}
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}

// TestCrashSafetyScale is the random-kill test on a tree shaped like the
// scale corpus of make bench (a code-split app: thousands of small chunks
// and their maps in one directory): inject commits such a tree in several
// batches (commit.go), so kills land between batches, inside one, and during
// the renames of one. It takes minutes, so it runs in CI (.ci/run sets CI)
// or with MAPBACK_CRASH_SCALE=1.
func TestCrashSafetyScale(t *testing.T) {
	if os.Getenv("CI") == "" && os.Getenv("MAPBACK_CRASH_SCALE") == "" {
		t.Skip("NOT RUN: takes minutes; CI runs it, or set MAPBACK_CRASH_SCALE=1")
	}
	start := time.Now()
	bin := buildMapback(t)
	work := t.TempDir()
	tr := generateCrashTree(t, bin, filepath.Join(work, "pristine"), scaleShape)
	tr.learnExpected(t, bin, work)
	tr.countSyncs(t, bin, work, 100)
	// Most of a run is writing temporaries; a narrower window puts more
	// kills into the batches' commits.
	tr.randomKills(t, bin, work, crashSeed(t), 50, 1.0)
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}

// countSyncs injects a copy of the tree under strace and fails when the run
// makes more than limit calls that wait for the disk (fsync, fdatasync,
// syncfs, sync, sync_file_range): durability must cost per batch, not per
// file.
func (tr *crashTree) countSyncs(t *testing.T, bin, work string, limit int) {
	t.Helper()
	strace, err := exec.LookPath("strace")
	if err != nil || runtime.GOOS != "linux" {
		if os.Getenv("CI") != "" && runtime.GOOS == "linux" {
			t.Fatalf("strace is required in CI to count the syncs: %v", err)
		}
		t.Logf("NOT RUN: no strace (%v, %s); sync calls not counted", err, runtime.GOOS)
		return
	}
	dir := filepath.Join(work, "count-syncs")
	tr.mustCopyTree(t, dir)
	defer os.RemoveAll(dir)
	trace := filepath.Join(work, "syncs.strace")
	calls := "fsync,fdatasync,syncfs,sync,sync_file_range"
	r := runArgv(append([]string{strace, "-f", "-qq", "-o", trace, "-e", "signal=none", "-e", "trace=" + calls}, injectArgv(bin, dir)...), -1)
	if !r.exitedCleanly() {
		t.Fatalf("inject under strace: %s", r.describe())
	}
	if err := tr.verifyFinal(dir); err != nil {
		t.Fatalf("inject under strace: %v", err)
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	n, detached := 0, 0
	byCall := map[string]int{}
	for _, line := range strings.Split(string(data), "\n") {
		// -f splits a call another thread interrupts into "unfinished" and
		// "resumed" lines: count the first.
		if line == "" || strings.Contains(line, "resumed>") {
			continue
		}
		// A thread still inside a system call when the process exits is
		// printed as "PID ???( <detached ...>": strace no longer knows the
		// call, so it is neither counted nor an error (seen in CI once).
		if strings.Contains(line, "???(") && strings.Contains(line, "<detached") {
			detached++
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		name, _, _ := strings.Cut(fields[1], "(")
		if !slices.Contains(strings.Split(calls, ","), name) {
			t.Fatalf("unexpected line in the trace: %s", line)
		}
		byCall[name]++
		n++
	}
	if n > limit {
		t.Fatalf("inject of %d files made %d sync calls (%v), want at most %d", len(tr.order), n, byCall, limit)
	}
	t.Logf("inject of %d files (%d units) made %d sync calls: %v (%d calls cut off by the exit, unknown)", len(tr.order), len(tr.units), n, byCall, detached)
}

func crashSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("MAPBACK_CRASH_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("MAPBACK_CRASH_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (rerun with MAPBACK_CRASH_SEED=%d)", seed, seed)
	return seed
}

// ---------------------------------------------------------------------------
// The binary

func buildMapback(t *testing.T) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("building mapback: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "mapback")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command(goTool, "build", "-o", bin, "./cmd/mapback")
	cmd.Dir = root
	// The binary under test is a normal build even when the tests run with -race.
	var flags []string
	for _, f := range strings.Fields(os.Getenv("GOFLAGS")) {
		if f != "-race" && f != "--race" {
			flags = append(flags, f)
		}
	}
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.Join(flags, " "))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building mapback: %v\n%s", err, out)
	}
	return bin
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(data, []byte("module github.com/mapback/mapback\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("module root (go.mod of github.com/mapback/mapback) not found above the working directory")
		}
		dir = parent
	}
}

type runResult struct {
	err         error // from Wait
	killed      bool  // ended by the kill (not: exited before it arrived)
	elapsed     time.Duration
	out, errOut bytes.Buffer
}

// runMapback runs `mapback sourcemaps inject -q dir` (plus extra flags) and,
// when kill >= 0, SIGKILLs it after that delay.
func runMapback(bin, dir string, kill time.Duration, extra ...string) *runResult {
	return runArgv(injectArgv(bin, dir, extra...), kill)
}

func injectArgv(bin, dir string, extra ...string) []string {
	return append(append([]string{bin, "sourcemaps", "inject", "-q"}, extra...), dir)
}

func runArgv(argv []string, kill time.Duration) *runResult {
	return runArgvKill(argv, nil, kill)
}

// runArgvEnv runs argv to completion with extra environment variables.
func runArgvEnv(argv, env []string) *runResult { return runArgvKill(argv, env, -1) }

func runArgvKill(argv, env []string, kill time.Duration) *runResult {
	cmd := exec.Command(argv[0], argv[1:]...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	r := &runResult{}
	cmd.Stdout, cmd.Stderr = &r.out, &r.errOut
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		r.err = err
		return r
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	if kill < 0 {
		r.err = <-waited
	} else {
		timer := time.NewTimer(kill)
		select {
		case r.err = <-waited:
			timer.Stop()
		case <-timer.C:
			_ = cmd.Process.Kill() // SIGKILL
			r.err = <-waited
			// A kill that arrives after a clean exit is no kill.
			r.killed = r.err != nil
		}
	}
	r.elapsed = time.Since(t0)
	if r.err != nil && cmd.ProcessState != nil && !cmd.ProcessState.Exited() {
		r.killed = true // by a signal of its own, e.g. strace's SIGKILL
	}
	return r
}

func (r *runResult) describe() string {
	return fmt.Sprintf("%v; stderr: %s", r.err, abbrev(r.errOut.Bytes(), 600))
}

// exitedCleanly reports whether the process ran to completion with status 0.
func (r *runResult) exitedCleanly() bool { return r.err == nil }

// ---------------------------------------------------------------------------
// The tree

type crashFile struct {
	rel         string
	orig, final []byte
	mode        fs.FileMode
	pristine    fs.FileInfo // of the pristine copy, which trials hard-link
}

// crashUnit is what mapback writes together: bundles (leader first, by path)
// and the map they share, if it is a file.
type crashUnit struct {
	files  []*crashFile
	commit *crashFile // the first file that changes, in files order; nil: nothing changes
}

func (u *crashUnit) name() string { return u.files[0].rel }

type crashTree struct {
	pristine string
	files    map[string]*crashFile
	order    []string
	units    []*crashUnit
	changing int // units that change
	shapes   map[string]int
	bytes    int64
}

type treeGen struct {
	rng    *rand.Rand
	files  map[string][]byte
	modes  map[string]fs.FileMode
	shapes map[string]int
}

func (g *treeGen) put(rel string, data []byte, mode fs.FileMode) {
	if _, dup := g.files[rel]; dup {
		panic("duplicate " + rel)
	}
	g.files[rel] = data
	g.modes[rel] = mode
}

// mappingsBuilder writes valid mappings (4-field segments, one source).
type mappingsBuilder struct {
	sb                 strings.Builder
	col, line, srcCol  int
	segmentsOnThisLine int
}

func (m *mappingsBuilder) vlq(v int) { m.sb.Write(sourcemap.AppendVLQ(nil, int64(v))) }

func (m *mappingsBuilder) segment(genCol, srcLine, srcCol int) {
	if m.segmentsOnThisLine > 0 {
		m.sb.WriteByte(',')
	}
	m.vlq(genCol - m.col)
	m.vlq(0)
	m.vlq(srcLine - m.line)
	m.vlq(srcCol - m.srcCol)
	m.col, m.line, m.srcCol = genCol, srcLine, srcCol
	m.segmentsOnThisLine++
}

func (m *mappingsBuilder) newline() {
	m.sb.WriteByte(';')
	m.col, m.segmentsOnThisLine = 0, 0
}

// code returns JS of about size bytes after prelude (its lines unmapped) and
// mappings for it. oneLine gives a minified-style single line.
func (g *treeGen) code(size int, prelude []string, oneLine bool, nl string) (js string, mappings string, lines int) {
	var b strings.Builder
	var m mappingsBuilder
	for _, p := range prelude {
		b.WriteString(p)
		b.WriteString(nl)
		m.newline()
		lines++
	}
	salt := g.rng.IntN(1 << 20)
	col := 0
	for i := 0; b.Len() < size; i++ {
		stmt := fmt.Sprintf("var v%d_%d=function(a,b){return a*%d+b|0};", salt, i, i%977)
		if i%7 == 3 {
			stmt = fmt.Sprintf("console.log(\"line %d of %d\",v%d_%d(1,2));", i, salt, salt, i-1)
		}
		m.segment(col, i, 0)
		m.segment(col+4, i, 4)
		b.WriteString(stmt)
		if oneLine {
			col += len(stmt)
		} else {
			b.WriteString(nl)
			m.newline()
			lines++
			col = 0
		}
	}
	if oneLine {
		b.WriteString(nl)
		lines++
	}
	return b.String(), strings.TrimSuffix(m.sb.String(), ";"), lines
}

func compactMap(file, mappings string) string {
	return fmt.Sprintf(`{"version":3,"file":%q,"sources":["../src/%s.ts"],"names":[],"mappings":%q}`, file, strings.TrimSuffix(file, filepath.Ext(file)), mappings)
}

func prettyMap(file, mappings, src string) string {
	content, _ := json.Marshal(src)
	return fmt.Sprintf(`{
  "version": 3,
  "file": %q,
  "sources": ["../src/%s.ts", "../node_modules/lib/index.js"],
  "sourcesContent": [%s, null],
  "names": [],
  "mappings": %q,
  "x_google_ignoreList": [1],
  "x_custom": {"generator": "crash_test", "mappings": "not these"}
}
`, file, file, content, mappings)
}

// size draws a bundle size: mostly a few KB, some tens of KB, a few near 1 MB.
func (g *treeGen) size() int {
	switch r := g.rng.Float64(); {
	case r < 0.70:
		return 1<<10 + g.rng.IntN(7<<10)
	case r < 0.97:
		return 8<<10 + g.rng.IntN(56<<10)
	default:
		return 300<<10 + g.rng.IntN(700<<10)
	}
}

// treeShape says what a crash tree holds: how many bundles of each shape,
// spread over how many directories, of what sizes.
type treeShape struct {
	plan map[string]int
	dirs int
	size func(*treeGen) int
}

// everyShape: every layout inject handles, a few of each, some large.
var everyShape = treeShape{
	plan: map[string]int{
		"external": 11, "external-oneline": 2, "pretty": 5, "banner": 3, "hashbang": 2,
		"crlf": 3, "inline": 5, "index": 3, "no-map": 3, "no-map-dangling-ref": 2,
		"co-located": 3, "map-elsewhere": 3, "map-has-id": 2, "copies": 4, "repair": 3,
	},
	dirs: 8,
	size: (*treeGen).size,
}

// scaleShape: 5,000 small chunks with maps, nearly all in two directories,
// as a code-split build emits them: more units than one batch takes.
var scaleShape = treeShape{
	plan: map[string]int{
		"external": 4700, "external-oneline": 250, "pretty": 10, "copies": 10,
		"map-elsewhere": 10, "co-located": 10, "no-map": 10,
	},
	dirs: 2,
	size: func(g *treeGen) int { return 512 + g.rng.IntN(15<<10) },
}

// generateCrashTree writes the pristine tree. Its shape is fixed (a constant
// seed): only the kill times vary between runs.
func generateCrashTree(t *testing.T, bin, dir string, ts treeShape) *crashTree {
	t.Helper()
	g := &treeGen{rng: rand.New(rand.NewPCG(3, 2026)), files: map[string][]byte{}, modes: map[string]fs.FileMode{}, shapes: map[string]int{}}
	plan := ts.plan
	var shapes []string
	for s, n := range plan {
		for range n {
			shapes = append(shapes, s)
		}
	}
	sort.Strings(shapes)
	g.rng.Shuffle(len(shapes), func(i, j int) { shapes[i], shapes[j] = shapes[j], shapes[i] })

	stage := dir + "-stage" // for "repair": bundles injected by mapback itself
	var repairs []string
	sizeOf := ts.size
	for i, shape := range shapes {
		d := fmt.Sprintf("d%d", i%ts.dirs)
		ext := []string{"js", "js", "js", "mjs", "cjs"}[i%5]
		base := fmt.Sprintf("%s-%03d", shape, i)
		name := base + "." + ext
		rel := d + "/" + name
		mode := fs.FileMode(0o644)
		switch i % 11 {
		case 3:
			mode = 0o664 // not what the umask gives: the mode must be copied
		case 7:
			mode = 0o600
		}
		g.shapes[shape]++
		size := sizeOf(g)
		if g.shapes[shape] == 1 { // at least one big file, whatever the draw
			switch shape {
			case "external-oneline":
				size = 1000 << 10
			case "external":
				size = 400 << 10
			}
		}
		url := "\n//# sourceMappingURL=" + name + ".map\n"
		switch shape {
		case "external", "map-has-id":
			js, mp, _ := g.code(size, nil, false, "\n")
			m := compactMap(name, mp)
			if shape == "map-has-id" {
				m = strings.TrimSuffix(m, "}") + fmt.Sprintf(`,"debugId":"%08X%04X%04X%04X%012X"}`, g.rng.Uint32(), 0x4000|g.rng.IntN(0xfff), 0x8000|g.rng.IntN(0x3fff), g.rng.IntN(0xffff), g.rng.Uint64()&(1<<48-1))
			}
			g.put(rel, []byte(js+strings.TrimPrefix(url, "\n")), mode)
			g.put(rel+".map", []byte(m), mode)
		case "external-oneline":
			js, mp, _ := g.code(size, []string{"/*! minified */"}, true, "\n")
			g.put(rel, []byte(js+strings.TrimPrefix(url, "\n")), mode)
			g.put(rel+".map", []byte(compactMap(name, mp)), mode)
		case "pretty":
			js, mp, _ := g.code(size/2, nil, false, "\n")
			g.put(rel, []byte(js+strings.TrimPrefix(url, "\n")), mode)
			g.put(rel+".map", []byte(prettyMap(name, mp, js)), mode)
		case "banner":
			js, mp, _ := g.code(size, []string{"/*! lib v1.2.3 | MIT */", "// built by crash_test", `"use strict";var first=1;`}, false, "\n")
			g.put(rel, []byte(js+strings.TrimPrefix(url, "\n")), mode)
			g.put(rel+".map", []byte(compactMap(name, mp)), mode)
		case "hashbang":
			js, mp, _ := g.code(size, []string{"#!/usr/bin/env node", `"use strict";`}, false, "\n")
			g.put(rel, []byte(js+strings.TrimPrefix(url, "\n")), 0o755)
			g.put(rel+".map", []byte(compactMap(name, mp)), mode)
		case "crlf":
			js, mp, _ := g.code(size, []string{"/* banner */"}, false, "\r\n")
			g.put(rel, []byte(js+"//# sourceMappingURL="+name+".map\r\n"), mode)
			g.put(rel+".map", []byte(compactMap(name, mp)), mode)
		case "inline":
			js, mp, _ := g.code(min(size, 48<<10), nil, false, "\n")
			data := base64.StdEncoding.EncodeToString([]byte(compactMap(name, mp)))
			g.put(rel, []byte(js+"//# sourceMappingURL=data:application/json;charset=utf-8;base64,"+data+"\n"), mode)
		case "index":
			js, _, lines := g.code(size, []string{`"use strict";`}, false, "\n")
			half := lines / 2
			var a, b mappingsBuilder
			for l := 0; l < half; l++ {
				a.segment(0, l, 0)
				a.newline()
			}
			for l := half; l < lines; l++ {
				b.segment(0, l, 0)
				b.newline()
			}
			m := fmt.Sprintf(`{"version":3,"file":%q,"sections":[{"offset":{"line":0,"column":0},"map":{"version":3,"sources":["a.ts"],"names":[],"mappings":%q}},{"offset":{"line":%d,"column":0},"map":{"version":3,"sources":["b.ts"],"names":[],"mappings":%q}}]}`,
				name, a.sb.String(), half, b.sb.String())
			g.put(rel, []byte(js+strings.TrimPrefix(url, "\n")), mode)
			g.put(rel+".map", []byte(m), mode)
		case "no-map":
			js, _, _ := g.code(size, nil, i%2 == 0, "\n")
			g.put(rel, []byte(js), mode)
		case "no-map-dangling-ref":
			js, _, _ := g.code(size, nil, false, "\n")
			g.put(rel, []byte(js+"//# sourceMappingURL=https://cdn.example.com/"+name+".map\n"), mode)
		case "co-located":
			js, mp, _ := g.code(size, nil, false, "\n")
			g.put(rel, []byte(js), mode)
			mapName := rel + ".map"
			if i%2 == 0 {
				mapName = d + "/" + base + ".map"
			}
			g.put(mapName, []byte(compactMap(name, mp)), mode)
		case "map-elsewhere":
			js, mp, _ := g.code(size, nil, false, "\n")
			g.put(rel, []byte(js+"//# sourceMappingURL=../maps/"+name+".map\n"), mode)
			g.put("maps/"+name+".map", []byte(compactMap(name, mp)), mode)
		case "copies":
			// Byte-identical copies (like lib.js and lib.max.js) naming one map.
			js, mp, _ := g.code(min(size, 200<<10), []string{"/*! vendor */"}, false, "\n")
			js += "//# sourceMappingURL=" + base + ".js.map\n"
			g.put(d+"/"+base+".js", []byte(js), mode)
			g.put(d+"/"+base+".max.js", []byte(js), mode)
			if i%2 == 0 {
				g.put(d+"/"+base+".copy.js", []byte(js), mode)
			}
			g.put(d+"/"+base+".js.map", []byte(compactMap(base+".js", mp)), mode)
		case "repair":
			// Injected earlier, but the map was then replaced by the
			// un-injected one (a build step copied it again).
			js, mp, _ := g.code(min(size, 64<<10), nil, false, "\n")
			writeFileT(t, filepath.Join(stage, rel), []byte(js+strings.TrimPrefix(url, "\n")), 0o644)
			writeFileT(t, filepath.Join(stage, rel+".map"), []byte(compactMap(name, mp)), 0o644)
			g.put(rel+".map", []byte(compactMap(name, mp)), mode)
			repairs = append(repairs, rel)
		default:
			t.Fatalf("shape %s", shape)
		}
	}
	if len(repairs) > 0 {
		if r := runMapback(bin, stage, -1); !r.exitedCleanly() {
			t.Fatalf("injecting the repair cases: %s", r.describe())
		}
		for _, rel := range repairs {
			js, err := os.ReadFile(filepath.Join(stage, rel))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(js, []byte("//# debugId=")) {
				t.Fatalf("%s: staging injection did not inject", rel)
			}
			g.put(rel, js, 0o644)
		}
	}

	tr := &crashTree{pristine: dir, files: map[string]*crashFile{}, shapes: g.shapes}
	for rel, data := range g.files {
		writeFileT(t, filepath.Join(dir, filepath.FromSlash(rel)), data, g.modes[rel])
		st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		tr.files[rel] = &crashFile{rel: rel, orig: data, mode: g.modes[rel], pristine: st}
		tr.order = append(tr.order, rel)
		tr.bytes += int64(len(data))
	}
	sort.Strings(tr.order)
	return tr
}

func writeFileT(t *testing.T, path string, data []byte, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

// copyTree recreates the pristine tree at dir with hard links: fast, and
// safe because mapback never writes a file in place (it renames a new file
// over the old name, which only unlinks the old inode from dir), so the
// pristine inodes stay untouched; checkPristine verifies that at the end.
func (tr *crashTree) copyTree(dir string) error {
	for _, rel := range tr.order {
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Link(filepath.Join(tr.pristine, filepath.FromSlash(rel)), dst); err != nil {
			return err
		}
	}
	return nil
}

func (tr *crashTree) mustCopyTree(t *testing.T, dir string) {
	t.Helper()
	if err := tr.copyTree(dir); err != nil {
		t.Fatal(err)
	}
}

// checkPristine makes sure nothing wrote through a hard link into the
// pristine tree (which would make every later trial meaningless).
func (tr *crashTree) checkPristine() error {
	for _, rel := range tr.order {
		f := tr.files[rel]
		data, err := os.ReadFile(filepath.Join(tr.pristine, filepath.FromSlash(rel)))
		if err != nil || !bytes.Equal(data, f.orig) {
			return fmt.Errorf("the pristine %s changed through a hard link: mapback wrote a file in place instead of renaming a new one over it (%v)", rel, err)
		}
	}
	return nil
}

// touchedPristine is checkPristine by size and modification time only:
// cheap enough for every trial.
func (tr *crashTree) touchedPristine() error {
	for _, rel := range tr.order {
		f := tr.files[rel]
		st, err := os.Stat(filepath.Join(tr.pristine, filepath.FromSlash(rel)))
		if err != nil || st.Size() != f.pristine.Size() || !st.ModTime().Equal(f.pristine.ModTime()) {
			return fmt.Errorf("the pristine %s changed through a hard link: mapback wrote a file in place instead of renaming a new one over it (%v)", rel, err)
		}
	}
	return nil
}

// reportJSON is the part of the --json report this test reads.
type reportJSON struct {
	Files []struct {
		Path   string `json:"path"`
		Status string `json:"status"`
		Map    string `json:"map"`
	} `json:"files"`
}

// learnExpected injects one copy without interruption: its result is the
// expected final state, its report tells which files are written together.
func (tr *crashTree) learnExpected(t *testing.T, bin, work string) {
	t.Helper()
	ref := filepath.Join(work, "reference")
	tr.mustCopyTree(t, ref)
	r := runMapback(bin, ref, -1, "--json")
	if !r.exitedCleanly() {
		t.Fatalf("uninterrupted run failed: %s", r.describe())
	}
	if err := tr.checkPristine(); err != nil {
		t.Fatal(err)
	}
	var rep reportJSON
	if err := json.Unmarshal(r.out.Bytes(), &rep); err != nil {
		t.Fatalf("--json report: %v", err)
	}
	status := map[string]int{}
	for _, f := range rep.Files {
		status[f.Status]++
	}
	for _, rel := range tr.order {
		data, err := os.ReadFile(filepath.Join(ref, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		tr.files[rel].final = data
	}
	if extra := tr.strayFiles(t, ref); len(extra) > 0 {
		t.Fatalf("uninterrupted run left files behind: %v", extra)
	}

	// Units: bundles sharing a map file, and that map; everything else alone.
	seen := map[string]bool{}
	byMap := map[string]*crashUnit{}
	for _, f := range rep.Files {
		rel := filepath.ToSlash(strings.TrimPrefix(f.Path, ref+string(filepath.Separator)))
		cf := tr.files[rel]
		if cf == nil {
			t.Fatalf("report names %s, which is not in the tree", f.Path)
		}
		seen[rel] = true
		if f.Map == "" || f.Map == "inline" {
			tr.units = append(tr.units, &crashUnit{files: []*crashFile{cf}})
			continue
		}
		mrel := filepath.ToSlash(strings.TrimPrefix(f.Map, ref+string(filepath.Separator)))
		mf := tr.files[mrel]
		if mf == nil {
			t.Fatalf("report pairs %s with %s, which is not in the tree", f.Path, f.Map)
		}
		u := byMap[mrel]
		if u == nil {
			u = &crashUnit{}
			byMap[mrel] = u
			tr.units = append(tr.units, u)
		}
		u.files = append(u.files, cf)
	}
	shared := 0
	for mrel, u := range byMap {
		sort.Slice(u.files, func(i, j int) bool { return u.files[i].rel < u.files[j].rel })
		u.files = append(u.files, tr.files[mrel])
		seen[mrel] = true
		if len(u.files) > 2 {
			shared++
		}
	}
	for _, rel := range tr.order {
		if !seen[rel] { // maps no bundle is paired with
			tr.units = append(tr.units, &crashUnit{files: []*crashFile{tr.files[rel]}})
		}
	}
	sort.Slice(tr.units, func(i, j int) bool { return tr.units[i].name() < tr.units[j].name() })
	for _, u := range tr.units {
		for _, f := range u.files {
			if !bytes.Equal(f.orig, f.final) {
				u.commit = f
				tr.changing++
				break
			}
		}
	}
	if tr.changing < len(tr.units)*3/4 {
		t.Fatalf("only %d of %d units change: the tree does not exercise injection (statuses %v)", tr.changing, len(tr.units), status)
	}

	os.RemoveAll(ref)
	t.Logf("tree: %d files, %.1f MB, %d units (%d change, %d groups of copies sharing a map); shapes %v; statuses %v",
		len(tr.order), float64(tr.bytes)/(1<<20), len(tr.units), tr.changing, shared, tr.shapes, status)
}

func crashWorkers() int { return 2 }

// ---------------------------------------------------------------------------
// Checking a tree

// walkTree lists the regular files under dir (relative, slash-separated),
// hidden ones included.
func walkTree(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	return out, err
}

// leftoverOf gives the tree file a leftover of an interrupted run belongs
// to, and whether it is that file's temporary. ok is false for names that
// are no leftover (or of no file in the tree).
func (tr *crashTree) leftoverOf(rel string) (target string, isTemp, ok bool) {
	dir, base := filepath.Dir(rel), filepath.Base(rel)
	i := strings.LastIndex(base, crashLeftoverSuffix)
	if !strings.HasPrefix(base, ".") || i < 1 {
		return "", false, false
	}
	target = filepath.ToSlash(filepath.Join(dir, base[1:i]))
	return target, base[i:] == crashTmpSuffix, tr.files[target] != nil
}

func tempOf(rel string) string {
	return filepath.ToSlash(filepath.Join(filepath.Dir(rel), "."+filepath.Base(rel)+crashTmpSuffix))
}

// strayFiles lists what is under dir besides the tree's own files.
func (tr *crashTree) strayFiles(t testing.TB, dir string) []string {
	all, err := walkTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rel := range all {
		if tr.files[rel] == nil {
			out = append(out, rel)
		}
	}
	return out
}

type unitState int

const (
	stUnchanged unitState = iota // nothing in the unit changes
	stOriginal                   // every changing file original (leftovers may exist)
	stInjected                   // every file as the uninterrupted run left it
	stPending                    // committed, the rest waiting in complete temporaries
)

func (s unitState) String() string {
	return [...]string{"unchanged", "original", "injected", "committed, rest pending"}[s]
}

// crashCounts tallies what one check saw.
type crashCounts struct {
	injected, pending, originalWithLeftovers, leftovers int
}

// checkCrashed checks dir right after a crash: no file may be anything but
// original or injected, no stray file may exist but a leftover of a tree
// file, and every unit must be original, injected, or committed with the
// rest pending in exact temporaries. states gets each unit's state.
func (tr *crashTree) checkCrashed(dir string, states map[*crashUnit]unitState) (crashCounts, error) {
	var c crashCounts
	all, err := walkTree(dir)
	if err != nil {
		return c, err
	}
	temps := map[string]bool{}  // files with a temporary
	others := map[string]bool{} // files with another leftover (a journal, ...)
	for _, rel := range all {
		if tr.files[rel] != nil {
			continue
		}
		target, isTemp, ok := tr.leftoverOf(rel)
		if !ok {
			return c, fmt.Errorf("unexpected file %s", rel)
		}
		c.leftovers++
		if isTemp {
			temps[target] = true
		} else {
			others[target] = true
		}
	}
	for _, u := range tr.units {
		st, err := tr.classify(dir, u, temps)
		if err != nil {
			return c, err
		}
		if states != nil {
			states[u] = st
		}
		switch st {
		case stInjected:
			c.injected++
		case stPending:
			c.pending++
		case stOriginal:
			for _, f := range u.files {
				if temps[f.rel] || others[f.rel] {
					c.originalWithLeftovers++
					break
				}
			}
		}
	}
	return c, nil
}

func (tr *crashTree) classify(dir string, u *crashUnit, temps map[string]bool) (unitState, error) {
	read := func(rel string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel))) }
	var orig, done []*crashFile
	for _, f := range u.files {
		p := filepath.Join(dir, filepath.FromSlash(f.rel))
		if err := checkMode(p, f.mode); err != nil {
			return 0, fmt.Errorf("%s: %w", f.rel, err)
		}
		var isOrig, isFinal bool
		if st, err := os.Stat(p); err == nil && os.SameFile(st, f.pristine) {
			// Still the hard link to the pristine copy: not written (an
			// in-place write would show in checkPristine).
			isOrig, isFinal = true, bytes.Equal(f.orig, f.final)
		} else {
			data, err := read(f.rel)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", f.rel, err)
			}
			isOrig, isFinal = bytes.Equal(data, f.orig), bytes.Equal(data, f.final)
			if !isOrig && !isFinal {
				return 0, fmt.Errorf("%s is neither original nor injected: %s", f.rel, describeMismatch(data, f.orig, f.final))
			}
		}
		switch {
		case isOrig && isFinal: // does not change
		case isOrig:
			orig = append(orig, f)
		default:
			done = append(done, f)
		}
	}
	switch {
	case u.commit == nil:
		return stUnchanged, nil
	case len(done) == 0:
		return stOriginal, nil // temporaries of an uncommitted unit: anything goes
	case len(orig) == 0:
		for _, f := range u.files {
			if temps[f.rel] {
				return 0, fmt.Errorf("%s is fully injected but the temporary %s remains", u.name(), tempOf(f.rel))
			}
		}
		return stInjected, nil
	}
	// Half-way: only legitimate once the commit point was passed, with
	// everything not yet renamed complete in its temporary.
	if !slices.Contains(done, u.commit) {
		return 0, fmt.Errorf("%s is injected but %s, whose rename is the commit point, is still original", done[0].rel, u.commit.rel)
	}
	for _, f := range done {
		if temps[f.rel] {
			return 0, fmt.Errorf("%s is injected (with %s) but its temporary %s remains", f.rel, u.commit.rel, tempOf(f.rel))
		}
	}
	for _, f := range orig {
		if !temps[f.rel] {
			return 0, fmt.Errorf("%s is injected but %s is original and has no temporary: a mismatched pair nothing can complete", u.commit.rel, f.rel)
		}
		data, err := read(tempOf(f.rel))
		if err != nil {
			return 0, err
		}
		if !bytes.Equal(data, f.final) {
			return 0, fmt.Errorf("%s is injected but the temporary %s does not hold the injected %s: %s", u.commit.rel, tempOf(f.rel), f.rel, describeMismatch(data, nil, f.final))
		}
	}
	return stPending, nil
}

// verifyFinal checks that dir holds exactly the injected tree.
func (tr *crashTree) verifyFinal(dir string) error {
	all, err := walkTree(dir)
	if err != nil {
		return err
	}
	for _, rel := range all {
		if tr.files[rel] == nil {
			return fmt.Errorf("left behind: %s", rel)
		}
	}
	for _, rel := range tr.order {
		f := tr.files[rel]
		p := filepath.Join(dir, filepath.FromSlash(rel))
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(data, f.final) {
			return fmt.Errorf("%s is not the injected version: %s", rel, describeMismatch(data, f.orig, f.final))
		}
		if err := checkMode(p, f.mode); err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
	}
	return nil
}

func checkMode(path string, want fs.FileMode) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != want {
		return fmt.Errorf("mode %v, want %v", st.Mode().Perm(), want)
	}
	return nil
}

func describeMismatch(got, orig, final []byte) string {
	at := func(want []byte) int {
		n := min(len(got), len(want))
		for i := range n {
			if got[i] != want[i] {
				return i
			}
		}
		return n
	}
	s := fmt.Sprintf("%d bytes, injected version %d (differs at byte %d", len(got), len(final), at(final))
	if orig != nil {
		s += fmt.Sprintf("), original %d (differs at byte %d", len(orig), at(orig))
	}
	k := at(final)
	return s + fmt.Sprintf("); around there: %q", abbrev(got[max(0, k-40):], 120))
}

func abbrev(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// ---------------------------------------------------------------------------
// Trials

// randomKills is the test the issue asks for: SIGKILL at a random moment,
// check, recover, check. Every tenth trial kills the recovery run too.
// window: kill delays are drawn from [0, window T].
func (tr *crashTree) randomKills(t *testing.T, bin, work string, seed uint64, trials int, window float64) {
	start := time.Now()
	// The first trials, one at a time, are not killed: they measure how
	// long a run takes alone. The others, two at a time (and so slower), are
	// killed after a delay drawn uniformly from [0, window T], T the median of
	// those durations, so some kills land before the first write and some
	// after the end.
	calibration := 3
	rng := rand.New(rand.NewPCG(seed, 1))
	fraction := make([]float64, trials)
	second := make([]float64, trials) // kill the recovery run too; -1: no
	for i := range fraction {
		fraction[i], second[i] = -1, -1
		if i >= calibration {
			fraction[i] = window * rng.Float64()
			if i%10 == 9 {
				second[i] = rng.Float64()
			}
		}
	}
	var runTime time.Duration // T, once the calibration is done
	delay := func(f float64) time.Duration {
		if f < 0 {
			return -1
		}
		return time.Duration(f * float64(runTime))
	}
	var calibrated []time.Duration

	var (
		mu                                   sync.Mutex
		before, during, after, exited        int
		pendingUnits, pendingTrials          int
		leftoverUnits, killedTwice, pending2 int
		failed                               atomic.Bool
	)
	trial := func(i int) error {
		dir := filepath.Join(work, fmt.Sprintf("trial%03d", i))
		defer os.RemoveAll(dir)
		if err := tr.copyTree(dir); err != nil {
			return err
		}
		kill := delay(fraction[i])
		r := runMapback(bin, dir, kill)
		if !r.killed && !r.exitedCleanly() {
			return fmt.Errorf("run failed on its own: %s", r.describe())
		}
		what := fmt.Sprintf("a kill at %v", kill.Round(time.Microsecond))
		if kill < 0 {
			what = "an uninterrupted run (which must give what the first one gave)"
			mu.Lock()
			calibrated = append(calibrated, r.elapsed)
			mu.Unlock()
		}
		c, err := tr.checkCrashed(dir, nil)
		if err != nil {
			return fmt.Errorf("after %s: %w", what, err)
		}
		if second[i] >= 0 {
			r2 := runMapback(bin, dir, delay(second[i]))
			if !r2.killed && !r2.exitedCleanly() {
				return fmt.Errorf("recovery run failed: %s", r2.describe())
			}
			c2, err := tr.checkCrashed(dir, nil)
			if err != nil {
				return fmt.Errorf("after %s and a kill of the recovery run at %v: %w", what, delay(second[i]).Round(time.Microsecond), err)
			}
			mu.Lock()
			killedTwice++
			pending2 += c2.pending
			mu.Unlock()
		}
		if err := tr.touchedPristine(); err != nil {
			return err
		}
		r3 := runMapback(bin, dir, -1)
		if !r3.exitedCleanly() {
			return fmt.Errorf("recovery run after %s: %s", what, r3.describe())
		}
		if err := tr.verifyFinal(dir); err != nil {
			return fmt.Errorf("after %s and a recovery run: %w", what, err)
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case c.injected == tr.changing:
			after++
		case c.injected == 0 && c.pending == 0 && c.leftovers == 0:
			before++
		default:
			during++
		}
		if !r.killed {
			exited++
		}
		if c.pending > 0 {
			pendingTrials++
		}
		pendingUnits += c.pending
		leftoverUnits += c.originalWithLeftovers
		return nil
	}

	var done atomic.Int64
	runTrials := func(from, to, workers int) {
		var next atomic.Int64
		next.Store(int64(from))
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= to || failed.Load() {
						return
					}
					if err := trial(i); err != nil {
						failed.Store(true)
						t.Errorf("trial %d (seed %d): %v", i, seed, err)
						return
					}
					done.Add(1)
				}
			}()
		}
		wg.Wait()
	}
	runTrials(0, calibration, 1)
	if failed.Load() {
		return
	}
	slices.Sort(calibrated)
	runTime = calibrated[len(calibrated)/2]
	runTrials(calibration, trials, crashWorkers())
	t.Logf("%d trials passed in %v; %d uninterrupted ones took %v, T = %v; kill delays uniform in [0, %.1f T]: %d killed before any file changed, %d during the work, %d after every unit was injected (%d of them had exited already, the uninterrupted ones included)",
		done.Load(), time.Since(start).Round(time.Millisecond), calibration, calibrated, runTime.Round(time.Millisecond), window, before, during, after, exited)
	t.Logf("units seen committed with the rest pending in its temporaries (state c): %d, in %d trials; units still original with leftovers: %d; %d recovery runs were killed too (%d units in state c after those)",
		pendingUnits, pendingTrials, leftoverUnits, killedTwice, pending2)
}

// syscallKills kills the binary at exact system calls, with strace. For a
// few units, one run after the other on the same tree: (1) at the rename
// onto the unit's commit point, so it is written but not committed; (2) at
// the removal of the temporary of its last file (a recovery interrupted
// half-way through discarding the unit); (3) at the rename onto each other
// file of the unit in turn (committed, the rest pending: state c, for a
// group of copies also between two of its bundles). A kill the run never
// reaches lets it finish. Each kill is checked like a random one, and a
// last run to completion must give the injected tree.
// concurrentRuns starts runs on one tree at once, as two CI steps, a watcher
// and a manual run, or a monorepo runner doing dist and dist/sub would: the
// whole tree twice and one directory of it (whose maps in ../maps are outside
// its PATH, hence --allow-outside). Without the tree lock each took the
// other's live journal for a crash leftover and "recovered" it, shifting a
// map against its bundle. Each run must succeed, and the tree must end as one
// run leaves it.
func (tr *crashTree) concurrentRuns(t *testing.T, bin, work string) {
	trials := 16
	if testing.Short() {
		trials = 4
	}
	lockDir := filepath.Join(work, "locks")
	for i := range trials {
		dir := filepath.Join(work, fmt.Sprintf("concurrent%02d", i))
		tr.mustCopyTree(t, dir)
		argvs := [][]string{
			injectArgv(bin, dir),
			injectArgv(bin, filepath.Join(dir, "d3"), "--allow-outside"),
			injectArgv(bin, dir),
		}
		// Rotate who starts first.
		argvs = append(argvs[i%3:], argvs[:i%3]...)
		results := make([]*runResult, len(argvs))
		var wg sync.WaitGroup
		for k, argv := range argvs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[k] = runArgvEnv(argv, []string{"XDG_CACHE_HOME=" + lockDir})
			}()
		}
		wg.Wait()
		for k, r := range results {
			if !r.exitedCleanly() {
				t.Fatalf("trial %d: %s failed: %s", i, strings.Join(argvs[k][1:], " "), r.describe())
			}
		}
		if err := tr.verifyFinal(dir); err != nil {
			t.Fatalf("trial %d, after three concurrent runs: %v", i, err)
		}
		os.RemoveAll(dir)
	}
	if err := tr.touchedPristine(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d trials of three concurrent runs: every tree as one run leaves it", trials)
}

func (tr *crashTree) syscallKills(t *testing.T, bin, work string) {
	strace, err := exec.LookPath("strace")
	if err == nil {
		if out, perr := exec.Command(strace, "-f", "-qq", "-o", os.DevNull, "-e", "trace=none", bin, "version").CombinedOutput(); perr != nil {
			err = fmt.Errorf("strace cannot trace here: %v: %s", perr, abbrev(out, 200))
		}
	}
	if err != nil || runtime.GOOS != "linux" {
		// CI installs strace (.ci/run): there the phase must run, since the
		// random kills alone never caught the rollback-ordering bug it found.
		if os.Getenv("CI") != "" && runtime.GOOS == "linux" {
			t.Fatalf("strace is required in CI for the exact-syscall kills: %v", err)
		}
		t.Logf("NOT RUN: no usable strace (%v, %s); only the random kills checked crash safety", err, runtime.GOOS)
		return
	}
	start := time.Now()
	// One unit of a few shapes that write more than one file: bundles
	// sharing a map, a map in another directory, CRLF.
	var units []*crashUnit
	seen := map[string]bool{}
	for _, u := range tr.units {
		changing := 0
		for _, f := range u.files {
			if !bytes.Equal(f.orig, f.final) {
				changing++
			}
		}
		base := filepath.Base(u.name())
		shape := base[:max(0, strings.LastIndex(base, "-"))]
		if changing < 2 || seen[shape] || !slices.Contains([]string{"copies", "map-elsewhere", "crlf"}, shape) {
			continue
		}
		seen[shape] = true
		units = append(units, u)
	}
	renames := "rename,renameat,renameat2"
	unlinks := "unlink,unlinkat"
	killAt := func(dir, calls, rel string) *runResult {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		// when=1+: the count is per thread and includes calls on other
		// paths; the first call on p kills. (--seccomp-bpf would be faster
		// but strace 6.1 then misses some injections.)
		argv := append([]string{strace, "-f", "-qq", "-o", os.DevNull, "-e", "trace=" + calls, "-P", p, "-e", "inject=" + calls + ":signal=KILL:when=1+"},
			injectArgv(bin, dir)...)
		return runArgv(argv, -1)
	}
	var notes []string
	for k, u := range units {
		dir := filepath.Join(work, fmt.Sprintf("syscall%d", k))
		tr.mustCopyTree(t, dir)
		var changing []*crashFile
		for _, f := range u.files {
			if !bytes.Equal(f.orig, f.final) {
				changing = append(changing, f)
			}
		}
		last := changing[len(changing)-1]
		type step struct{ what, calls, rel string }
		steps := []step{
			{"at the rename onto " + u.commit.rel, renames, u.commit.rel},
			{"at the removal of " + tempOf(last.rel), unlinks, tempOf(last.rel)},
		}
		for _, f := range changing {
			if f != u.commit {
				steps = append(steps, step{"at the rename onto " + f.rel, renames, f.rel})
			}
		}
		var seq, history []string
		for _, s := range steps {
			r := killAt(dir, s.calls, s.rel)
			history = append(history, fmt.Sprintf("(%d) %s", len(history)+1, s.what))
			if !r.killed && !r.exitedCleanly() {
				t.Fatalf("%s: run to be killed %s failed on its own: %s", u.name(), s.what, r.describe())
			}
			states := map[*crashUnit]unitState{}
			if _, err := tr.checkCrashed(dir, states); err != nil {
				t.Fatalf("%s: after runs killed %s: %v", u.name(), strings.Join(history, ", "), err)
			}
			st := states[u].String()
			if !r.killed {
				st = "not killed: " + st
				history[len(history)-1] += " (not reached)"
			}
			seq = append(seq, st)
		}
		if r := runMapback(bin, dir, -1); !r.exitedCleanly() {
			t.Fatalf("%s: recovery run after runs killed %s: %s", u.name(), strings.Join(history, ", "), r.describe())
		}
		if err := tr.verifyFinal(dir); err != nil {
			t.Fatalf("%s: after runs killed %s, and a recovery run: %v", u.name(), strings.Join(history, ", "), err)
		}
		os.RemoveAll(dir)
		notes = append(notes, fmt.Sprintf("%s (%d files): %s", u.name(), len(u.files), strings.Join(seq, " → ")))
	}
	t.Logf("kills at exact system calls in %v; the unit's state after each kill:\n  %s", time.Since(start).Round(time.Millisecond), strings.Join(notes, "\n  "))
}
