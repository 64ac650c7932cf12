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
	"sync"
)

// Crash safety. A bundle and its map are two files and no file system
// renames two files at once, so a unit (a bundle, its byte-identical copies,
// its map) is written in a fixed order with files that outlive a crash:
//
//  1. write every new version to a temporary beside its target, fsync;
//  2. write a journal beside the bundle listing the targets, fsync it and
//     its directory;
//  3. rename the bundle's temporary over the bundle: the commit point;
//  4. rename the other temporaries; fsync the directories; remove the journal.
//
// recoverLeftovers, run before anything else, reads each journal: if the
// bundle's temporary still exists the commit point was not reached and every
// temporary is removed (the originals are intact); otherwise the remaining
// temporaries are renamed into place. Temporaries without a journal come from
// a crash before step 2 and are removed.
//
// Every rollback removes the journal first and only then the temporaries:
// removing the bundle's temporary first would make a rollback that is itself
// interrupted look committed to the next run, which would then rename the
// map's temporary over the map of an untouched bundle. Recovery reads no bundle or map and
// does not depend on how bundles pair with maps, which a half-finished unit
// can change (an injected bundle no longer matches its untouched copy).

const (
	tempSuffix    = ".mapback-tmp"
	journalSuffix = ".mapback-journal"
)

// renameFile is os.Rename; tests replace it to make one rename fail, which
// permissions cannot do for root.
var renameFile = os.Rename

// leftoverSuffixes are the names an interrupted run leaves behind.
var leftoverSuffixes = []string{tempSuffix, journalSuffix}

// tempName is the temporary for path: hidden, and with an extension no scan
// picks up as a bundle or a map.
func tempName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+tempSuffix)
}

func journalName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+journalSuffix)
}

// journal lists a unit's targets, the committing bundle first, relative to
// the journal's directory so a moved tree still recovers.
type journal struct {
	Targets []string `json:"targets"`
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
		note, temps, err := recoverJournal(p)
		if err != nil {
			return notes, fmt.Errorf("recovering the interrupted write recorded in %s: %w", p, err)
		}
		for _, t := range temps {
			handled[t] = true
		}
		notes = append(notes, note)
	}
	for _, p := range leftovers {
		if strings.HasSuffix(p, tempSuffix) && !handled[p] {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return notes, err
			}
			notes = append(notes, "removed "+p+", left by a run interrupted before it changed anything")
		}
	}
	return notes, nil
}

func recoverJournal(path string) (note string, temps []string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	var j journal
	if err := json.Unmarshal(data, &j); err != nil || len(j.Targets) == 0 {
		// A journal is fsynced before any rename, so an unreadable one means
		// the crash came before step 3: nothing was renamed.
		j = journal{}
	}
	dir := filepath.Dir(path)
	targets := make([]string, len(j.Targets))
	for i, t := range j.Targets {
		targets[i] = filepath.Join(dir, filepath.FromSlash(t))
		temps = append(temps, tempName(targets[i]))
	}
	committed := len(targets) > 0 && !exists(tempName(targets[0]))
	if !committed {
		if err := removeJournal(path); err != nil {
			return "", nil, err
		}
		for _, tmp := range temps {
			if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", nil, err
			}
		}
	} else {
		for i, t := range targets {
			if err := os.Rename(temps[i], t); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", nil, err
			}
		}
		if err := syncDirs(targets); err != nil {
			return "", nil, err
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", nil, err
		}
		return "completed an interrupted injection of " + targets[0], temps, nil
	}
	what := "an interrupted injection"
	if len(targets) > 0 {
		what += " of " + targets[0]
	}
	return "rolled back " + what + " (the originals were intact)", temps, nil
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

// writePair replaces the bundle, its identical copies and its map (when
// newMap is not nil) as described above; with newJS nil only the map is
// replaced.
func writePair(ctx context.Context, jsPath string, copies []string, origJS, newJS []byte, mapPath string, newMap []byte, dirs *dirSyncer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if newJS == nil { // only the map changes: one file, atomic by itself
		return replaceFile(mapPath, newMap, dirs)
	}
	targets := append([]string{jsPath}, copies...)
	contents := make([][]byte, len(targets))
	for i := range contents {
		contents[i] = newJS
	}
	if newMap != nil {
		targets, contents = append(targets, mapPath), append(contents, newMap)
	}
	if len(targets) == 1 { // a bundle alone: one rename is atomic
		return replaceFile(jsPath, newJS, dirs)
	}

	var temps []string
	jpath := journalName(jsPath)
	journaled := false
	// cleanup undoes an unfinished write; the journal goes first (see above).
	cleanup := func() {
		if journaled && removeJournal(jpath) != nil {
			// Keep the temporaries: with the journal still there, removing
			// the bundle's temporary would make the write look committed.
			// The next run rolls it back from the journal.
			return
		}
		for _, t := range temps {
			os.Remove(t)
		}
	}
	for i, p := range targets {
		tmp, err := writeTemp(p, contents[i])
		if err != nil {
			cleanup()
			return err
		}
		temps = append(temps, tmp)
	}
	if err := writeJournal(jpath, targets); err != nil {
		cleanup()
		return err
	}
	journaled = true
	// The last point where giving up leaves nothing behind.
	if err := ctx.Err(); err != nil {
		cleanup()
		return err
	}
	if err := renameFile(temps[0], jsPath); err != nil {
		cleanup()
		return fmt.Errorf("replace %s: %w", jsPath, bare(err))
	}
	// Past the commit point: a failure now is undone by restoring what was
	// already replaced.
	for i := 1; i < len(targets); i++ {
		if err := renameFile(temps[i], targets[i]); err != nil {
			// Restore first: until the bundles are original again, the
			// journal must stay to say the write was committed.
			for _, p := range targets[:i] {
				if rerr := replaceFile(p, origJS, nil); rerr != nil {
					return fmt.Errorf("replace %s: %w; and restoring %s failed: %v (the next run completes the write from %s)", targets[i], err, p, rerr, jpath)
				}
			}
			cleanup()
			return fmt.Errorf("replace %s: %w (the bundle was restored)", targets[i], bare(err))
		}
	}
	if err := syncDirs(targets); err != nil {
		return err
	}
	if err := os.Remove(jpath); err != nil {
		return err
	}
	return nil
}

func writeJournal(path string, targets []string) error {
	dir := filepath.Dir(path)
	// Targets are relative to the journal; both sides absolute, since a
	// target can be absolute (named by an absolute sourceMappingURL) while the
	// PATH, and so the journal's directory, was given relative.
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	var j journal
	for _, t := range targets {
		abs, err := filepath.Abs(t)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(absDir, abs)
		if err != nil {
			return fmt.Errorf("journal for %s: %w", path, err)
		}
		j.Targets = append(j.Targets, filepath.ToSlash(rel))
	}
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, bare(err))
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := firstErr(werr, serr, cerr); err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, bare(err))
	}
	return syncDir(dir)
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

// replaceFile atomically replaces one file's content. The directory is
// synced through dirs when given (once per run and directory, before the run
// reports success), else at once.
func replaceFile(path string, data []byte, dirs *dirSyncer) error {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	if err := renameFile(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replace %s: %w", path, bare(err))
	}
	if dirs != nil {
		dirs.add(filepath.Dir(path))
		return nil
	}
	return syncDir(filepath.Dir(path))
}

// dirSyncer collects directories whose renames still need an fsync. A lone
// file's rename is atomic without it; the sync only makes it durable, so one
// per directory at the end of the run replaces one per file.
type dirSyncer struct {
	mu   sync.Mutex
	dirs map[string]bool
}

func (d *dirSyncer) add(dir string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dirs == nil {
		d.dirs = map[string]bool{}
	}
	d.dirs[dir] = true
}

// flush syncs every collected directory.
func (d *dirSyncer) flush() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	for dir := range d.dirs {
		errs = append(errs, syncDir(dir))
	}
	d.dirs = nil
	return errors.Join(errs...)
}

// writeTemp writes data to path's temporary with path's permissions and
// fsyncs it.
func writeTemp(path string, data []byte) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	tmp := tempName(path)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return "", fmt.Errorf("create a temporary file beside %s: %w", path, bare(err))
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := firstErr(werr, serr, cerr); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("write %s: %w", tmp, bare(err))
	}
	// OpenFile's mode is filtered by the umask; keep the original's exactly.
	if err := os.Chmod(tmp, st.Mode().Perm()); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
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
func isReadOnly(st fs.FileInfo) bool { return st.Mode().Perm()&0o222 == 0 }
