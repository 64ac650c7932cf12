package inject

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Group commit: workers plan units and write their temporaries in parallel;
// one committer takes the finished units in batches and runs write.go's
// steps 1–4 once per batch. A batch is capped so that the original bundles it
// keeps for an undo stay bounded in memory, and so a long run commits as it
// goes rather than all at the end.
const (
	maxBatchBytes = 64 << 20
	maxBatchUnits = 4096
)

// pendingUnit is a unit whose new versions wait in temporaries.
type pendingUnit struct {
	targets []string // the committing bundle, its copies, then the map
	temps   []string // tempName of each target, in the same order
	bundles int      // targets[:bundles] are bundles holding origJS
	origJS  []byte   // kept to undo a unit that fails past its commit point
	// fail reports the unit failed (only the committer calls it, once).
	fail func(error)
}

// prepareUnit writes a unit's temporaries (step 1 without the barrier):
// newJS to the bundle and its copies when not nil, newMap to the map when
// not nil; targets lists those files in that order. On failure nothing is
// left behind.
func prepareUnit(targets []target, origJS, newJS, newMap []byte) (*pendingUnit, error) {
	u := &pendingUnit{}
	if newJS != nil {
		u.bundles = len(targets)
		if newMap != nil {
			u.bundles--
		}
	}
	if u.bundles > 0 && len(targets) > 1 {
		u.origJS = origJS // a lone file is replaced by one rename: nothing to undo
	}
	for i, t := range targets {
		u.targets = append(u.targets, t.path)
		data := newJS
		if i >= u.bundles {
			data = newMap
		}
		tmp, err := writeTemp(t.path, t.mode, data, syncOnWrite)
		if err != nil {
			u.dropTemps()
			return nil, err
		}
		u.temps = append(u.temps, tmp)
	}
	return u, nil
}

// dropTemps removes the unit's temporaries, the commit point's last: while a
// journal lists the unit, a missing commit temporary means "committed", so it
// must outlive every other one.
func (u *pendingUnit) dropTemps() {
	for i := len(u.temps) - 1; i >= 0; i-- {
		os.Remove(u.temps[i])
	}
}

// committer runs the batches. Units arrive on in; close waits for the last
// batch.
type committer struct {
	ctx     context.Context
	in      chan *pendingUnit
	done    chan struct{}
	workers int // renames at once
	// Owned by the goroutine of run until done is closed: directories to
	// sync once more at the end (those of removed journals).
	dirs map[string]bool
}

func newCommitter(ctx context.Context, workers int) *committer {
	c := &committer{ctx: ctx, in: make(chan *pendingUnit, workers), done: make(chan struct{}), workers: workers, dirs: map[string]bool{}}
	go c.run()
	return c
}

// add hands a prepared unit to the committer.
func (c *committer) add(u *pendingUnit) { c.in <- u }

// close commits what is left and makes the end of the run durable.
func (c *committer) close() error {
	close(c.in)
	<-c.done
	dirs := make([]string, 0, len(c.dirs))
	for d := range c.dirs {
		dirs = append(dirs, d)
	}
	if len(dirs) == 0 {
		return nil
	}
	return barrier(dirs, nil)
}

func (c *committer) run() {
	defer close(c.done)
	var batch []*pendingUnit
	size := 0
	for u := range c.in {
		batch = append(batch, u)
		size += len(u.origJS)
		if len(batch) >= maxBatchUnits || size >= maxBatchBytes {
			c.commit(batch)
			batch, size = nil, 0
		}
	}
	if len(batch) > 0 {
		c.commit(batch)
	}
}

// commit runs steps 1–4 of write.go for one batch. Every unit ends either
// written or failed (reported through its fail), with nothing left behind
// unless a journal must stay for the next run to finish.
func (c *committer) commit(batch []*pendingUnit) {
	failAll := func(err error) {
		for _, u := range batch {
			u.dropTemps()
			u.fail(err)
		}
	}
	if err := c.ctx.Err(); err != nil {
		failAll(err)
		return
	}

	// 1. Every temporary durable.
	var tempDirs, temps []string
	for _, u := range batch {
		for _, t := range u.temps {
			temps = append(temps, t)
			tempDirs = append(tempDirs, filepath.Dir(t))
		}
	}
	if err := barrier(tempDirs, temps); err != nil {
		failAll(err)
		return
	}

	// 2. A journal per directory of committing bundles, then durable.
	groups := map[string]*journalGroup{}
	var order []*journalGroup
	for _, u := range batch {
		if len(u.targets) < 2 {
			continue // one rename is atomic by itself
		}
		dir := filepath.Dir(u.targets[0])
		g := groups[dir]
		if g == nil {
			g = &journalGroup{path: journalName(u.targets[0])}
			groups[dir] = g
			order = append(order, g)
		}
		g.units = append(g.units, u)
	}
	var written, journalDirs []string
	abandon := func(err error) {
		// The journals go first and durably (see write.go); if one cannot,
		// the temporaries stay for the next run to roll back.
		for _, j := range written {
			if rerr := removeJournal(j); rerr != nil {
				for _, u := range batch {
					u.fail(err)
				}
				return
			}
		}
		failAll(err)
	}
	for _, g := range order {
		if err := writeJournal(g.path, g.targetLists(), nil, syncOnWrite); err != nil {
			abandon(err)
			return
		}
		written = append(written, g.path)
		journalDirs = append(journalDirs, filepath.Dir(g.path))
	}
	if len(written) > 0 {
		if err := barrier(journalDirs, written); err != nil {
			abandon(err)
			return
		}
	}
	// The last point where giving up leaves nothing behind.
	if err := c.ctx.Err(); err != nil {
		abandon(err)
		return
	}

	// 3. The renames, commit point first in each unit; units in parallel,
	// since a rename over a file frees the old one, which costs CPU.
	var targetDirs []string
	var wg sync.WaitGroup
	slots := make(chan struct{}, c.workers)
	for _, u := range batch {
		for _, t := range u.targets {
			targetDirs = append(targetDirs, filepath.Dir(t))
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			if err := u.rename(groups[filepath.Dir(u.targets[0])]); err != nil {
				u.fail(err)
			}
		}()
	}
	wg.Wait()

	// 4. Durable renames, then the journals can go.
	if err := barrier(targetDirs, nil); err != nil {
		for _, u := range batch {
			u.fail(fmt.Errorf("the files were replaced but could not be made durable: %w", err))
		}
		return
	}
	for _, j := range written {
		if err := os.Remove(j); err == nil {
			c.dirs[filepath.Dir(j)] = true
		}
	}
}

// journalGroup is one journal of a batch: the units whose bundles share its
// directory, and those of them being undone.
type journalGroup struct {
	path  string
	mu    sync.Mutex // units and undo change when a unit is undone, during parallel renames
	units []*pendingUnit
	undo  []*pendingUnit
}

func (g *journalGroup) targetLists() [][]string {
	out := make([][]string, 0, len(g.units))
	for _, u := range g.units {
		out = append(out, u.targets)
	}
	return out
}

// rename moves the unit's temporaries into place, the commit point first.
// When the commit point itself cannot be renamed, nothing changed; when a
// later rename fails, the unit is undone through its journal (write.go).
func (u *pendingUnit) rename(g *journalGroup) error {
	if err := renameFile(u.temps[0], u.targets[0]); err != nil {
		u.dropTemps()
		return fmt.Errorf("replace %s: %w", u.targets[0], bare(err))
	}
	for i := 1; i < len(u.targets); i++ {
		if err := renameFile(u.temps[i], u.targets[i]); err != nil {
			err = fmt.Errorf("replace %s: %w", u.targets[i], bare(err))
			if uerr := u.undo(g, i); uerr != nil {
				return fmt.Errorf("%w; and undoing the unit failed: %v (the next run finishes it from %s)", err, uerr, g.path)
			}
			return fmt.Errorf("%w (the bundle was restored)", err)
		}
	}
	return nil
}

// undo restores the bundles among targets[:renamed] after a failed rename:
// originals to undo files, the journal rewritten to say "undo this unit",
// then the undo files into place and the temporaries away.
func (u *pendingUnit) undo(g *journalGroup, renamed int) error {
	var restore []string
	dropRestore := func() {
		for _, t := range restore {
			os.Remove(undoName(t))
		}
	}
	for _, t := range u.targets[:min(renamed, u.bundles)] {
		st, err := os.Stat(t)
		if err != nil {
			dropRestore()
			return err
		}
		if err := writeSynced(undoName(t), "a file beside "+t+" to restore it from", u.origJS, st.Mode().Perm(), true); err != nil {
			dropRestore()
			return err
		}
		restore = append(restore, t)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, v := range g.units {
		if v == u {
			g.units = append(g.units[:i:i], g.units[i+1:]...)
			break
		}
	}
	g.undo = append(g.undo, u)
	undo := make([][]string, 0, len(g.undo))
	for _, v := range g.undo {
		undo = append(undo, v.targets)
	}
	if err := rewriteJournal(g.path, g.targetLists(), undo); err != nil {
		dropRestore()
		return err
	}
	return undoUnit(u.targets)
}
