package inject

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mapback/mapback/internal/debugid"
)

// Crash safety. A bundle and its map are two files and no file system
// renames two files at once, so a pair is written in a fixed order with
// temporary files that outlive a crash:
//
//  1. write every new version to a temporary beside its target, fsync;
//  2. rename the bundle's temporary over the bundle: the commit point;
//  3. rename the temporaries of the bundle's identical copies (if any) and
//     then the map's; fsync the directories.
//
// A crash before 2 leaves the originals and stray temporaries; a crash
// after 2 leaves the injected bundle and complete new files in the other
// temporaries. recoverPair, run before a pair is processed, finishes the
// second case (the bundle's debugId comment, matching the pending map's ID,
// proves step 2 happened) and cleans up the first, so after any crash the
// next run leaves every pair either original-and-then-injected or injected.

// tempName is the temporary for path: hidden, and with an extension no scan
// picks up as a bundle or a map.
func tempName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".mapback-tmp")
}

// recoverPair completes or discards an interrupted write of this pair. It
// reports what it did ("" when nothing was pending).
func recoverPair(ctx context.Context, jsPath string, copies []string, mapPath string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	discardRest := func() {
		for _, c := range copies {
			_ = os.Remove(tempName(c))
		}
		if mapPath != "" {
			_ = os.Remove(tempName(mapPath))
		}
	}
	jsTmp := tempName(jsPath)
	if err := os.Remove(jsTmp); err == nil {
		// The commit point was never reached: nothing else was renamed.
		discardRest()
		return "discarded an interrupted injection (originals were intact)", nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if mapPath == "" {
		return "", nil
	}
	mapTmp := tempName(mapPath)
	pending, err := os.ReadFile(mapTmp)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	js, err := os.ReadFile(jsPath)
	if err != nil {
		return "", err
	}
	sm, perr := parseMap(pending)
	id, injected := debugid.FindComment(js)
	if perr == nil && sm.hasID && injected && sm.id == id {
		for _, c := range copies {
			if err := os.Rename(tempName(c), c); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", err
			}
		}
		if err := os.Rename(mapTmp, mapPath); err != nil {
			return "", err
		}
		return "completed an interrupted injection (the map had not been replaced yet)", syncDir(filepath.Dir(mapPath))
	}
	discardRest()
	return "discarded an interrupted injection's temporary files", nil
}

// writePair replaces the bundle (and the map, when newMap is not nil) as
// described above; with newJS nil only the map is replaced. If the map cannot be replaced, the bundle is restored to
// origJS so the pair never stays half-injected.
func writePair(ctx context.Context, jsPath string, copies []string, origJS, newJS []byte, mapPath string, newMap []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if newJS == nil { // only the map changes: one file, atomic by itself
		return replaceFile(mapPath, newMap)
	}
	// Everything is written before anything is renamed.
	var temps []string
	cleanup := func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}
	targets := append([]string{jsPath}, copies...)
	for _, p := range targets {
		tmp, err := writeTemp(p, newJS)
		if err != nil {
			cleanup()
			return err
		}
		temps = append(temps, tmp)
	}
	if newMap != nil {
		tmp, err := writeTemp(mapPath, newMap)
		if err != nil {
			cleanup()
			return err
		}
		temps = append(temps, tmp)
	}
	// The last point where giving up leaves nothing behind.
	if err := ctx.Err(); err != nil {
		cleanup()
		return err
	}
	if err := os.Rename(temps[0], jsPath); err != nil {
		cleanup()
		return fmt.Errorf("replace %s: %w", jsPath, err)
	}
	// Past the commit point: a failure now is undone by restoring what was
	// already replaced.
	renamed := []string{jsPath}
	for i, target := range append(copies, mapPath)[:len(temps)-1] {
		if err := os.Rename(temps[i+1], target); err != nil {
			cleanup()
			for _, p := range renamed {
				if rerr := replaceFile(p, origJS); rerr != nil {
					return fmt.Errorf("replace %s: %w; and restoring %s failed: %v", target, err, p, rerr)
				}
			}
			return fmt.Errorf("replace %s: %w (the bundle was restored)", target, err)
		}
		renamed = append(renamed, target)
	}
	dirs := map[string]bool{}
	for _, p := range append(targets, mapPath) {
		if p != "" && !dirs[filepath.Dir(p)] {
			dirs[filepath.Dir(p)] = true
			if err := syncDir(filepath.Dir(p)); err != nil {
				return err
			}
		}
	}
	return nil
}

// replaceFile atomically replaces one file's content.
func replaceFile(path string, data []byte) error {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
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
		return "", fmt.Errorf("create a temporary file beside %s: %w", path, err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("write %s: %w", tmp, err)
	}
	// OpenFile's mode is filtered by the umask; keep the original's exactly.
	if err := os.Chmod(tmp, st.Mode().Perm()); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
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
