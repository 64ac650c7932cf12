package inject_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

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
