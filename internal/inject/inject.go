// Package inject gives bundles and their source maps matching debug IDs:
// the same IDs and bundle bytes as the reference client, maps edited as text
// so nothing in them is lost, and writes that survive a crash at any moment.
//
// A bare section number (§5.1) in this package's comments is one of docs/internals/inject.md.
package inject

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/rawfile"
	"github.com/mapback/mapback/internal/sourcemap"
	"github.com/mapback/mapback/internal/term"
	"github.com/mapback/mapback/internal/treelock"
)

// Options configure a run.
type Options struct {
	Scan   dist.Options
	DryRun bool
	// Backends selects Sentry, PostHog or both (zero: Sentry alone).
	Backends Backends
	// AllowOutside lets a run edit maps outside the given paths (named by an
	// absolute or ../ sourceMappingURL, or reached through a symlink); without
	// it such a bundle fails and nothing of its unit is written.
	AllowOutside bool
	// Jobs bounds how many bundles are processed at once; 0 picks a default
	// above the core count, since much of the time is spent waiting on fsync.
	Jobs int
	// NewProgress, when set, is called once with the number of bundles.
	NewProgress func(total int) term.Progress
	// Lock keeps two runs from writing one tree at once (see lockTrees);
	// with Lock.Dir empty no lock is taken.
	Lock treelock.Options
}

// FileReport is the result for one bundle.
type FileReport struct {
	Path       string    `json:"path"`
	Status     Status    `json:"status"`
	DebugID    string    `json:"debug_id,omitempty"`
	ChunkID    string    `json:"chunk_id,omitempty"` // PostHog's, when that backend is on
	Map        string    `json:"map,omitempty"`      // the map's path, or "inline"
	Pairing    dist.Rule `json:"pairing"`
	MapURL     string    `json:"source_mapping_url,omitempty"`
	MapOutside bool      `json:"map_outside_paths,omitempty"`
	MapChanged bool      `json:"map_changed"`
	Layout     Layout    `json:"layout,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Warnings   []string  `json:"warnings,omitempty"`
}

// Report is the result of a run, in path order.
type Report struct {
	DryRun       bool           `json:"dry_run"`
	Files        []FileReport   `json:"files"`
	Skipped      []dist.Skipped `json:"skipped"`
	UnpairedMaps []string       `json:"unpaired_maps"`
	// Recovered says what was done about an earlier interrupted run.
	Recovered []string `json:"recovered,omitempty"`
	// Pending lists an interrupted run's files a --dry-run left alone.
	Pending []string `json:"pending,omitempty"`
}

// Unreadable counts the paths the scan could not read (see dist.Skipped):
// bundles below them were never seen, so the run must not look successful.
func (r *Report) Unreadable() int {
	n := 0
	for _, s := range r.Skipped {
		if s.Error {
			n++
		}
	}
	return n
}

// Count returns how many bundles ended with status s.
func (r *Report) Count(s Status) int {
	n := 0
	for _, f := range r.Files {
		if f.Status == s {
			n++
		}
	}
	return n
}

// Run injects every bundle found by opts.Scan. The error is for problems
// that stop the whole run (a PATH that does not exist, cancellation); a
// bundle that fails is reported in its FileReport and the others go on.
func Run(ctx context.Context, opts Options) (*Report, error) {
	opts.Scan.Leftovers = leftoverSuffixes
	lock, scan, err := lockAndScan(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	// An interrupted run is finished (or undone) before anything else, and
	// the tree scanned again: pairing depends on the files' contents.
	var recovered []string
	if len(scan.Leftovers) > 0 && !opts.DryRun {
		if recovered, err = recoverLeftovers(ctx, scan.Leftovers); err != nil {
			return nil, err
		}
		if scan, err = dist.Scan(ctx, opts.Scan); err != nil {
			return nil, err
		}
	}
	report := &Report{
		Recovered:    recovered,
		DryRun:       opts.DryRun,
		Files:        make([]FileReport, len(scan.Bundles)),
		Skipped:      scan.Skipped,
		Pending:      pendingIfDryRun(opts.DryRun, scan.Leftovers),
		UnpairedMaps: unpairedMaps(scan),
	}
	progress := term.StartProgress(opts.NewProgress, len(scan.Bundles))
	defer progress.Done()

	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = 4 * runtime.GOMAXPROCS(0)
	}
	// Workers plan units and write their temporaries; one committer makes
	// them durable and renames them in batches (commit.go). It goes on
	// after a cancellation only to roll back what is pending.
	var c *committer
	if !opts.DryRun {
		c = newCommitter(ctx, jobs)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for _, u := range units(scan.Bundles) {
		g.Go(func() error {
			leader := scan.Bundles[u[0]]
			r, pending := processBundle(gctx, leader, copyPaths(scan.Bundles, u[1:]), opts)
			setReports := func(r FileReport) {
				report.Files[u[0]] = r
				for _, i := range u[1:] {
					report.Files[i] = followerReport(r, scan.Bundles[i], leader.Path)
				}
			}
			setReports(r)
			if pending != nil {
				pending.fail = func(err error) { setReports(failedReport(r, err)) }
				c.add(pending)
			}
			progress.Add(int64(len(u)))
			return gctx.Err()
		})
	}
	waitErr := g.Wait()
	if c != nil {
		// Every batch committed or rolled back, and durable, also when
		// interrupted.
		if err := c.close(); err != nil {
			return report, fmt.Errorf("sync: %w", err)
		}
	}
	if waitErr != nil {
		return report, waitErr
	}
	return report, ctx.Err()
}

// lockAndScan locks every tree the run may write, then scans. The locks come
// first: a writer's journal must never look like a crashed run's to another
// run recovering it. A PATH that is a file locks its directory, where its map
// and the temporaries go; with AllowOutside, the directories of maps outside
// the PATHs are locked too, which the scan reveals: the locks are then taken
// again, all at once and in the one order, and the tree scanned again. A dry
// run writes nothing and takes shared locks, so it waits only for writers.
func lockAndScan(ctx context.Context, opts Options) (*treelock.Lock, *dist.Result, error) {
	paths := opts.Scan.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	trees := make([]string, 0, len(paths))
	for _, p := range paths {
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			p = filepath.Dir(p)
		}
		trees = append(trees, p)
	}
	mode := treelock.Exclusive
	if opts.DryRun {
		mode = treelock.Shared
	}
	locked := map[string]bool{}
	for {
		var lock *treelock.Lock
		if opts.Lock.Dir != "" {
			var err error
			if lock, err = treelock.Acquire(ctx, trees, mode, opts.Lock); err != nil {
				return nil, nil, err
			}
		}
		for _, t := range trees {
			locked[t] = true
		}
		scan, err := dist.Scan(ctx, opts.Scan)
		if err != nil {
			lock.Release()
			return nil, nil, err
		}
		more := false
		if opts.AllowOutside && opts.Lock.Dir != "" {
			for _, b := range scan.Bundles {
				if b.Map != nil && b.Map.Outside {
					real, err := filepath.EvalSymlinks(b.Map.Path)
					if err != nil {
						real = b.Map.Path
					}
					if d := filepath.Dir(real); !locked[d] {
						trees, more = append(trees, d), true
						locked[d] = true
					}
				}
			}
		}
		if !more {
			return lock, scan, nil
		}
		lock.Release()
	}
}

func pendingIfDryRun(dryRun bool, leftovers []string) []string {
	if dryRun {
		return leftovers
	}
	return nil
}

// units groups bundles that must be written together: a bundle alone, or
// byte-identical copies sharing one map (the first by path leads). Each unit
// lists indexes into bundles, leader first.
func units(bundles []dist.Bundle) [][]int {
	var out [][]int
	byMap := map[string]int{}
	for i, b := range bundles {
		if len(b.SharedWith) == 0 || b.Map == nil {
			out = append(out, []int{i})
			continue
		}
		if u, ok := byMap[b.Map.Path]; ok {
			out[u] = append(out[u], i)
			continue
		}
		byMap[b.Map.Path] = len(out)
		out = append(out, []int{i})
	}
	return out
}

func copyPaths(bundles []dist.Bundle, idx []int) []string {
	paths := make([]string, len(idx))
	for k, i := range idx {
		paths[k] = bundles[i].Path
	}
	return paths
}

// followerReport describes a copy that was written with its leader.
func followerReport(leader FileReport, b dist.Bundle, leaderPath string) FileReport {
	r := leader
	r.Path = b.Path
	r.Warnings = append(append([]string(nil), b.Warnings...), "same bytes as "+leaderPath+": shares its map and debug ID")
	if r.Status == StatusFailed {
		r.Reason = "written together with " + leaderPath + ", which failed: " + leader.Reason
	}
	return r
}

func unpairedMaps(scan *dist.Result) []string {
	paired := map[string]bool{}
	for _, b := range scan.Bundles {
		if b.Map != nil && b.Map.Path != "" {
			paired[b.Map.Path] = true
		}
	}
	out := []string{}
	for _, m := range scan.Maps {
		if !paired[m] {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

// mapError marks a problem with the map rather than the bundle.
type mapError struct{ err error }

func (e *mapError) Error() string { return e.err.Error() }

// processBundle plans the injection of one bundle, and with it its
// byte-identical copies (which get the same new bytes), and writes the new
// versions to temporaries; the unit it returns, when anything changes, is
// for the committer to make durable and rename.
func processBundle(ctx context.Context, b dist.Bundle, copies []string, opts Options) (FileReport, *pendingUnit) {
	r := FileReport{Path: b.Path, Pairing: dist.RuleNone, Warnings: b.Warnings}
	mapPath := ""
	if b.Map != nil {
		r.Pairing, r.MapURL, r.MapOutside = b.Map.Rule, b.Map.URL, b.Map.Outside
		r.Map = b.Map.Path
		if b.Map.Path == "" {
			r.Map = "inline"
		}
		mapPath = b.Map.Path
	}
	fail := func(err error) (FileReport, *pendingUnit) {
		if me := (*mapError)(nil); errors.As(err, &me) {
			err = fmt.Errorf("map %s: %w", mapPath, me.err)
		}
		return failedReport(r, err), nil
	}
	if b.Err != nil {
		return fail(b.Err)
	}

	js, _, err := readFile(b.Path)
	if err != nil {
		return fail(err)
	}
	var m *mapInput
	var mapInfo os.FileInfo
	switch {
	case b.Map == nil:
	case b.Map.Path == "":
		m = &mapInput{data: b.Map.Inline, inline: true}
	default:
		data, info, err := readFile(mapPath)
		if err != nil {
			return fail(&mapError{err})
		}
		m, mapInfo = &mapInput{data: data, load: sectionLoader(mapPath)}, info
	}

	o, err := planBundle(ctx, js, m, opts.Backends.orDefault())
	if err != nil {
		if m != nil && !m.inline {
			err = &mapError{err}
		}
		return fail(err)
	}
	r.Status, r.Layout, r.Reason = o.status, o.layout, o.reason
	r.Warnings = append(r.Warnings, o.warnings...)
	if !o.id.IsZero() {
		r.DebugID = o.id.String()
	}
	r.ChunkID = o.chunkID
	r.MapChanged = o.newMap != nil || (m != nil && m.inline && o.newJS != nil)
	if o.newJS == nil && o.newMap == nil {
		return r, nil
	}
	// The files to replace: where each write lands, with the mode its
	// temporary gets.
	var targets []target
	if o.newJS != nil {
		for _, p := range append([]string{b.Path}, copies...) {
			t, err := writeThrough(p)
			if err != nil {
				return fail(err)
			}
			if isReadOnly(t.mode) {
				return fail(fmt.Errorf("%s is read-only; make it writable or exclude it", p))
			}
			if t.note != "" {
				r.Warnings = append(r.Warnings, t.note)
			}
			targets = append(targets, t)
		}
	}
	if o.newMap != nil {
		if isReadOnly(mapInfo.Mode()) {
			return fail(&mapError{fmt.Errorf("read-only; make it writable or exclude its bundle")})
		}
		if b.Map.Outside && !opts.AllowOutside {
			r.MapChanged = false
			where := "outside the given paths"
			if t, err := writeThrough(mapPath); err == nil && t.path != mapPath {
				where = "a symlink to " + t.path + ", " + where
			}
			return fail(&mapError{fmt.Errorf("%s, so neither it nor the bundle was changed; add its directory as a PATH, or pass --allow-outside to edit it", where)})
		}
		t, err := writeThrough(mapPath)
		if err != nil {
			return fail(&mapError{err})
		}
		if t.note != "" {
			r.Warnings = append(r.Warnings, t.note)
		}
		targets = append(targets, t)
	}
	if opts.DryRun {
		return r, nil
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	u, err := prepareUnit(targets, js, o.newJS, o.newMap)
	if err != nil {
		return fail(err)
	}
	return r, u
}

// failedReport is r for a bundle that failed with err.
func failedReport(r FileReport, err error) FileReport {
	r.Status, r.Reason = StatusFailed, err.Error()
	return r
}

// target is a file a unit replaces.
type target struct {
	path string      // where the write lands
	mode fs.FileMode // its permissions, which the new version keeps
	note string      // set when path is not the name the scan gave
}

// writeThrough is the file a write to path replaces: path itself, or the
// file a symlink at path leads to, so the link stays a link (a rename over
// the link would turn it into a copy). The note says when it differs.
func writeThrough(path string) (target, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return target{}, err
	}
	if info.Mode()&os.ModeSymlink == 0 {
		return target{path: path, mode: info.Mode().Perm()}, nil
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return target{}, err
	}
	if info, err = os.Stat(real); err != nil {
		return target{}, err
	}
	return target{path: real, mode: info.Mode().Perm(), note: fmt.Sprintf("%s is a symlink: wrote through it to %s", path, real)}, nil
}

// sectionLoader reads the maps an index map's "url" sections name, beside it.
func sectionLoader(mapPath string) sourcemap.Loader {
	return func(u string) ([]byte, error) {
		if strings.Contains(u, "://") {
			return nil, fmt.Errorf("%s is remote; inject reads only local files", u)
		}
		return os.ReadFile(filepath.Join(filepath.Dir(mapPath), filepath.FromSlash(u)))
	}
}

func readFile(path string) ([]byte, os.FileInfo, error) {
	f, err := rawfile.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.IsDir() {
		return nil, nil, fmt.Errorf("%s is a directory", path)
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, st, nil
}
