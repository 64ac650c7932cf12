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
//  1. write both new versions to temporaries beside their targets, fsync;
//  2. rename the bundle's temporary over the bundle;
//  3. rename the map's temporary over the map; fsync the directories.
//
// A crash before 2 leaves the originals and stray temporaries; a crash
// between 2 and 3 leaves the injected bundle and a complete new map in its
// temporary. recoverPair, run before a pair is processed, finishes the
// second case (the bundle's debugId comment proves step 2 happened) and
// cleans up the first, so after any crash the next run leaves every pair
// either original-and-then-injected or injected.

// tempName is the temporary for path: hidden, and with an extension no scan
// picks up as a bundle or a map.
func tempName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".mapback-tmp")
}

// recoverPair completes or discards an interrupted write of this pair. It
// reports what it did ("" when nothing was pending).
func recoverPair(ctx context.Context, jsPath, mapPath string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	jsTmp := tempName(jsPath)
	if err := os.Remove(jsTmp); err == nil {
		// The bundle's rename never happened, so the map's cannot have either.
		if mapPath != "" {
			_ = os.Remove(tempName(mapPath))
		}
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
		if err := os.Rename(mapTmp, mapPath); err != nil {
			return "", err
		}
		return "completed an interrupted injection (the map had not been replaced yet)", syncDir(filepath.Dir(mapPath))
	}
	_ = os.Remove(mapTmp)
	return "discarded an interrupted injection's temporary map", nil
}

// writePair replaces the bundle (and the map, when newMap is not nil) as
// described above; with newJS nil only the map is replaced. If the map cannot be replaced, the bundle is restored to
// origJS so the pair never stays half-injected.
func writePair(ctx context.Context, jsPath string, origJS, newJS []byte, mapPath string, newMap []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if newJS == nil { // only the map changes: one file, atomic by itself
		return replaceFile(mapPath, newMap)
	}
	jsTmp, err := writeTemp(jsPath, newJS)
	if err != nil {
		return err
	}
	var mapTmp string
	if newMap != nil {
		if mapTmp, err = writeTemp(mapPath, newMap); err != nil {
			os.Remove(jsTmp)
			return err
		}
	}
	// The last point where giving up leaves nothing behind.
	if err := ctx.Err(); err != nil {
		os.Remove(jsTmp)
		if mapTmp != "" {
			os.Remove(mapTmp)
		}
		return err
	}
	if err := os.Rename(jsTmp, jsPath); err != nil {
		os.Remove(jsTmp)
		if mapTmp != "" {
			os.Remove(mapTmp)
		}
		return fmt.Errorf("replace %s: %w", jsPath, err)
	}
	if mapTmp != "" {
		if err := os.Rename(mapTmp, mapPath); err != nil {
			os.Remove(mapTmp)
			if rerr := replaceFile(jsPath, origJS); rerr != nil {
				return fmt.Errorf("replace %s: %w; and restoring %s failed: %v", mapPath, err, jsPath, rerr)
			}
			return fmt.Errorf("replace %s: %w (the bundle was restored)", mapPath, err)
		}
	}
	if err := syncDir(filepath.Dir(jsPath)); err != nil {
		return err
	}
	if mapTmp != "" && filepath.Dir(mapPath) != filepath.Dir(jsPath) {
		return syncDir(filepath.Dir(mapPath))
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
