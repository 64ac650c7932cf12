package inject

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mapback/mapback/internal/rawfile"
)

// Crash safety. A bundle and its map are two files and no file system
// renames two files at once, so a unit (a bundle, its byte-identical copies,
// its map) is written in a fixed order with files that outlive a crash. Units
// are committed in batches (commit.go), so the cost of durability grows with
// the number of batches and file systems, not files:
//
//  1. write every new version of every unit in the batch to a temporary
//     beside its target; barrier (see barrier: one syncfs per file system on
//     Linux, an fsync per file elsewhere);
//  2. write a journal in each directory that holds a unit's bundle, listing
//     that directory's units and their targets; barrier. A journal is only
//     ever durable after every temporary it names;
//  3. for each unit, rename the bundle's temporary over the bundle (the
//     unit's commit point), then the other temporaries;
//  4. barrier; remove the journals (made durable at the end of the run).
//
// recoverLeftovers, run before anything else, reads each journal: for each
// unit in it, if the bundle's temporary still exists the commit point was not
// reached and the unit's temporaries are removed (the originals are intact);
// otherwise its remaining temporaries are renamed into place. Temporaries
// without a journal come from a crash before step 2 and are removed.
//
// Every rollback removes the journal durably first and only then the
// temporaries: removing a bundle's temporary first would make a rollback that
// is itself interrupted look committed to the next run, which would then
// rename the map's temporary over the map of an untouched bundle. Recovery
// reads no bundle or map and does not depend on how bundles pair with maps,
// which a half-finished unit can change (an injected bundle no longer matches
// its untouched copy).
//
// A unit whose bundle was renamed but whose map could not be (a rename that
// fails in a directory it could write a moment before: rare) is undone, not
// left half-done: the bundles' original bytes go to .<name>.mapback-undo
// files, the journal is rewritten to list the unit under "undo", and only
// then are the undo files renamed into place and the temporaries removed.
// Recovery of an undo entry does the same again; it is idempotent.

const (
	tempSuffix    = ".mapback-tmp"
	undoSuffix    = ".mapback-undo"
	journalSuffix = ".mapback-journal"
)

// renameFile is os.Rename; tests replace it to make one rename fail, which
// permissions cannot do for root.
var renameFile = os.Rename

// leftoverSuffixes are the names an interrupted run leaves behind.
var leftoverSuffixes = []string{tempSuffix, undoSuffix, journalSuffix}

// tempName is the temporary for path: hidden, and with an extension no scan
// picks up as a bundle or a map.
func tempName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+tempSuffix)
}

func undoName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+undoSuffix)
}

func journalName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+journalSuffix)
}

// journal lists the units of one batch whose bundles are in the journal's
// directory; each unit's targets start with its committing bundle and are
// relative to the journal's directory, so a moved tree still recovers.
// Undo lists units being undone (see above). Targets is the form of
// mapback 1, one unit per journal; it is still read.
type journal struct {
	Units   [][]string `json:"units,omitempty"`
	Undo    [][]string `json:"undo,omitempty"`
	Targets []string   `json:"targets,omitempty"`
}

// recoverLeftovers finishes or discards the writes an interrupted run left
// behind and says what it did, one line per unit.
func recoverLeftovers(ctx context.Context, leftovers []string) ([]string, error) {
	var notes []string
	handled := map[string]bool{}
	for _, p := range leftovers {
		if !strings.HasSuffix(p, journalSuffix) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return notes, err
		}
		units, temps, err := recoverJournal(p)
		if err != nil {
			return notes, fmt.Errorf("recovering the interrupted write recorded in %s: %w", p, err)
		}
		for _, t := range temps {
			handled[t] = true
		}
		notes = append(notes, units...)
	}
	for _, p := range leftovers {
		if (strings.HasSuffix(p, tempSuffix) || strings.HasSuffix(p, undoSuffix)) && !handled[p] {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return notes, err
			}
			notes = append(notes, "removed "+p+", left by a run interrupted before it changed anything")
		}
	}
	return notes, nil
}

// recoverJournal completes the committed units of one journal and rolls back
// the others, completions first: the journal must be gone before the first
// temporary of an uncommitted unit is.
func recoverJournal(path string) (notes, temps []string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var j journal
	if err := json.Unmarshal(data, &j); err != nil {
		// A journal is made durable before any rename, so an unreadable one
		// means the crash came before step 3: nothing was renamed.
		j = journal{}
	}
	if len(j.Targets) > 0 {
		j.Units = append(j.Units, j.Targets)
	}
	dir := filepath.Dir(path)
	abs := func(unit []string) []string {
		out := make([]string, len(unit))
		for i, t := range unit {
			out[i] = filepath.Join(dir, filepath.FromSlash(t))
		}
		return out
	}
	var rollback [][]string // temporaries of uncommitted units
	var renamed []string
	for _, unit := range j.Undo {
		targets := abs(unit)
		for _, t := range targets {
			temps = append(temps, tempName(t), undoName(t))
		}
		if err := undoUnit(targets); err != nil {
			return nil, nil, err
		}
		notes = append(notes, "finished undoing a failed injection of "+targets[0]+" (the originals are back)")
	}
	for _, unit := range j.Units {
		if len(unit) == 0 {
			continue
		}
		targets := abs(unit)
		unitTemps := make([]string, len(targets))
		for i, t := range targets {
			unitTemps[i] = tempName(t)
		}
		temps = append(temps, unitTemps...)
		if exists(unitTemps[0]) {
			rollback = append(rollback, unitTemps)
			notes = append(notes, "rolled back an interrupted injection of "+targets[0]+" (the originals were intact)")
			continue
		}
		for i, t := range targets {
			if err := os.Rename(unitTemps[i], t); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, nil, err
			}
		}
		renamed = append(renamed, targets...)
		notes = append(notes, "completed an interrupted injection of "+targets[0])
	}
	if err := syncDirs(renamed); err != nil {
		return nil, nil, err
	}
	if len(j.Units) == 0 && len(j.Undo) == 0 {
		notes = append(notes, "rolled back an interrupted injection (the originals were intact)")
	}
	if err := removeJournal(path); err != nil {
		return nil, nil, err
	}
	for _, unitTemps := range rollback {
		for _, tmp := range unitTemps {
			if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, nil, err
			}
		}
	}
	return notes, temps, nil
}

// undoUnit puts back the original of each target that has an undo file and
// drops the rest of the unit's temporaries, durably; a crash part-way leaves
// it for recovery to do again.
func undoUnit(targets []string) error {
	for _, t := range targets {
		if !exists(undoName(t)) {
			continue
		}
		if err := renameFile(undoName(t), t); err != nil {
			return fmt.Errorf("put back the original %s: %w", t, bare(err))
		}
	}
	if err := syncDirs(targets); err != nil {
		return err
	}
	for _, t := range targets {
		if err := os.Remove(tempName(t)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// removeJournal removes a journal durably, so temporaries removed after it
// can never be seen next to it.
func removeJournal(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// writeJournal writes the journal of the units whose bundles are in path's
// directory. It is synced here when sync is set; else the barrier that
// follows makes it durable.
func writeJournal(path string, units, undo [][]string, sync bool) error {
	dir := filepath.Dir(path)
	// Targets are relative to the journal; both sides absolute, since a
	// target can be absolute (named by an absolute sourceMappingURL) while the
	// PATH, and so the journal's directory, was given relative.
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	relative := func(units [][]string) ([][]string, error) {
		out := make([][]string, 0, len(units))
		for _, targets := range units {
			rels := make([]string, 0, len(targets))
			for _, t := range targets {
				abs, err := filepath.Abs(t)
				if err != nil {
					return nil, err
				}
				rel, err := filepath.Rel(absDir, abs)
				if err != nil {
					return nil, fmt.Errorf("journal for %s: %w", path, err)
				}
				rels = append(rels, filepath.ToSlash(rel))
			}
			out = append(out, rels)
		}
		return out, nil
	}
	var j journal
	if j.Units, err = relative(units); err != nil {
		return err
	}
	if j.Undo, err = relative(undo); err != nil {
		return err
	}
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	if err := writeSynced(path, path, data, 0o644, sync); err != nil {
		return err
	}
	if sync {
		return syncDir(dir)
	}
	return nil
}

// rewriteJournal replaces a journal atomically and durably.
func rewriteJournal(path string, units, undo [][]string) error {
	tmp := tempName(path)
	if err := writeJournal(tmp, units, undo, true); err != nil {
		return err
	}
	if err := renameFile(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replace %s: %w", path, bare(err))
	}
	return syncDir(filepath.Dir(path))
}

func syncDirs(paths []string) error {
	done := map[string]bool{}
	for _, p := range paths {
		if d := filepath.Dir(p); !done[d] {
			done[d] = true
			if err := syncDir(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// fsyncEach fsyncs files, then each directory once: the barrier where
// syncfs is missing.
func fsyncEach(dirs, files []string) error {
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return fmt.Errorf("sync %s: %w", p, err)
		}
	}
	done := map[string]bool{}
	for _, d := range dirs {
		if !done[d] {
			done[d] = true
			if err := syncDir(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeTemp writes data to path's temporary with the given permissions
// (path's), fsynced when sync is set (else a later barrier makes it durable).
func writeTemp(path string, mode fs.FileMode, data []byte, sync bool) (string, error) {
	tmp := tempName(path)
	if err := writeSynced(tmp, "a temporary file beside "+path, data, mode, sync); err != nil {
		return "", err
	}
	return tmp, nil
}

// writeSynced creates path (what says it in a message) with data and mode
// exactly, not filtered by the umask, fsyncing it when sync is set; on
// failure nothing is left.
func writeSynced(path, what string, data []byte, mode fs.FileMode, sync bool) error {
	f, err := rawfile.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("create %s: %w", what, bare(err))
	}
	// OpenFile's mode went through the umask; put back what it took.
	var merr error
	if mode&umask != 0 {
		merr = f.Chmod(mode)
	}
	_, werr := f.Write(data)
	var serr error
	if sync {
		serr = f.Sync()
	}
	cerr := f.Close()
	if err := firstErr(merr, werr, serr, cerr); err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, bare(err))
	}
	return nil
}

// bare drops the operation and path an *os.PathError or *os.LinkError
// carries: the messages here name the file once, themselves.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// firstErr is the first failure of a write, sync, close sequence: a full
// disk fails all three with the same cause, which is worth saying once.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// isReadOnly reports whether nobody may write the file: mapback does not
// replace such files even when the directory would allow it.
func isReadOnly(mode fs.FileMode) bool { return mode.Perm()&0o222 == 0 }
