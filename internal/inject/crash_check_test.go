package inject_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

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
