// Package treelock keeps two mapback runs from writing the same directory
// tree at once.
//
// A run that writes a tree takes an exclusive lock on the tree's directory
// and a shared lock on every directory above it; a run that only reads takes
// shared locks throughout. Two writers conflict when one tree contains the
// other (dist and dist/sub: the exclusive lock on dist meets the shared one
// the dist/sub run holds on it), and run side by side when their trees are
// disjoint (dist/a and dist/b share only shared locks). Every run takes its
// locks in one global order (by path), so runs never deadlock; a run that
// finds a lock taken polls until it is free, its context ends, or its
// timeout passes.
//
// The locks are advisory file locks (flock on Unix, LockFileEx on Windows) on
// small files in a directory of the user's (never inside the tree: a lock
// file there would be deployed with it). The kernel releases them when a
// process dies, so a killed run never leaves a tree locked. Locks cover runs
// of one user on one machine; a tree shared between users or containers is
// not protected.
package treelock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Mode is how a directory is locked.
type Mode int

const (
	Shared    Mode = iota // readers, and writers of a tree below it
	Exclusive             // the writer of the tree
)

// Options configure Acquire.
type Options struct {
	// Dir holds the lock files; created when missing.
	Dir string
	// Timeout bounds the wait for a lock held by another run; 0 fails at once.
	Timeout time.Duration
	// OnWait, when set, is called once per busy tree before waiting on it.
	OnWait func(tree string)
	// Poll is how often a busy lock is tried again; 0 means 100ms.
	Poll time.Duration
}

// BusyError says a tree stayed locked by another run for the whole timeout.
type BusyError struct {
	Tree    string
	Timeout time.Duration
}

func (e *BusyError) Error() string {
	if e.Timeout <= 0 {
		return fmt.Sprintf("another mapback run is writing %s (or a tree inside it); try again when it has finished", e.Tree)
	}
	return fmt.Sprintf("another mapback run has been writing %s (or a tree inside it) for %s; try again when it has finished, or raise --lock-timeout", e.Tree, e.Timeout)
}

// Lock is a set of held locks.
type Lock struct {
	held []*lockFile
}

// Release drops every lock; safe to call more than once and on nil.
func (l *Lock) Release() {
	if l == nil {
		return
	}
	for i := len(l.held) - 1; i >= 0; i-- {
		l.held[i].close()
	}
	l.held = nil
}

// Acquire locks trees (directories) in mode, and every directory above
// them shared. Paths are made absolute and have their symlinks resolved, so
// two spellings of one tree take the same lock.
func Acquire(ctx context.Context, trees []string, mode Mode, opts Options) (*Lock, error) {
	want := map[string]Mode{}
	for _, t := range trees {
		real, err := canonical(t)
		if err != nil {
			return nil, err
		}
		want[real] = max(want[real], mode)
		for d := filepath.Dir(real); ; d = filepath.Dir(d) {
			if _, ok := want[d]; !ok {
				want[d] = Shared
			}
			if d == filepath.Dir(d) {
				break
			}
		}
	}
	paths := make([]string, 0, len(want))
	for p := range want {
		paths = append(paths, p)
	}
	sort.Strings(paths) // the one global order

	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("lock directory: %w", err)
	}
	poll := opts.Poll
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	var deadline time.Time
	if opts.Timeout > 0 {
		deadline = time.Now().Add(opts.Timeout)
	}
	l := &Lock{}
	for _, p := range paths {
		f, err := openLockFile(filepath.Join(opts.Dir, lockName(p)))
		if err != nil {
			l.Release()
			return nil, fmt.Errorf("lock for %s: %w", p, err)
		}
		waited := false
		for {
			err := f.try(want[p] == Exclusive)
			if err == nil {
				break
			}
			if !errors.Is(err, errBusy) {
				f.close()
				l.Release()
				return nil, fmt.Errorf("lock for %s: %w", p, err)
			}
			if opts.Timeout <= 0 || !time.Now().Before(deadline) {
				f.close()
				l.Release()
				return nil, &BusyError{Tree: p, Timeout: opts.Timeout}
			}
			if !waited && opts.OnWait != nil {
				opts.OnWait(p)
			}
			waited = true
			select {
			case <-ctx.Done():
				f.close()
				l.Release()
				return nil, ctx.Err()
			case <-time.After(min(poll, time.Until(deadline))):
			}
		}
		l.held = append(l.held, f)
	}
	return l, nil
}

// canonical is the absolute path of p with its symlinks resolved; a path
// that does not exist yet is only made absolute.
func canonical(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real, nil
	}
	return abs, nil
}

// lockName is a file name for a directory's lock: a hash, since paths are
// longer than file names may be and contain separators.
func lockName(path string) string {
	sum := sha256.Sum256([]byte(path))
	return hex.EncodeToString(sum[:12]) + ".lock"
}

var errBusy = errors.New("held by another process")
