package treelock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

func setup(t *testing.T) (lockDir, root string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "dist")
	if err := os.MkdirAll(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "other"), 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(base, "locks"), root
}

func TestConflicts(t *testing.T) {
	lockDir, root := setup(t)
	ctx := context.Background()
	opts := Options{Dir: lockDir}
	sub, other := filepath.Join(root, "sub"), filepath.Join(root, "other")
	cases := []struct {
		name         string
		first        []string
		firstMode    Mode
		second       []string
		secondMode   Mode
		wantConflict bool
	}{
		{"same tree, two writers", []string{root}, Exclusive, []string{root}, Exclusive, true},
		{"tree and a tree inside it", []string{root}, Exclusive, []string{sub}, Exclusive, true},
		{"tree inside, then its parent", []string{sub}, Exclusive, []string{root}, Exclusive, true},
		{"disjoint trees", []string{sub}, Exclusive, []string{other}, Exclusive, false},
		{"two readers", []string{root}, Shared, []string{root}, Shared, false},
		{"reader and writer", []string{root}, Shared, []string{sub}, Exclusive, false},
		{"writer and reader", []string{root}, Exclusive, []string{root}, Shared, true},
		{"another spelling", []string{root}, Exclusive, []string{filepath.Join(sub, "..")}, Exclusive, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l1, err := Acquire(ctx, c.first, c.firstMode, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer l1.Release()
			l2, err := Acquire(ctx, c.second, c.secondMode, opts)
			var busy *BusyError
			if c.wantConflict {
				if !errors.As(err, &busy) {
					t.Fatalf("second run got %v, want a BusyError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("second run: %v", err)
			}
			l2.Release()
		})
	}
}

func TestWaitsThenProceeds(t *testing.T) {
	lockDir, root := setup(t)
	ctx := context.Background()
	l1, err := Acquire(ctx, []string{root}, Exclusive, Options{Dir: lockDir})
	if err != nil {
		t.Fatal(err)
	}
	var waits atomic.Int32
	done := make(chan error, 1)
	go func() {
		l2, err := Acquire(ctx, []string{filepath.Join(root, "sub")}, Exclusive, Options{
			Dir: lockDir, Timeout: time.Minute, Poll: 5 * time.Millisecond,
			OnWait: func(string) { waits.Add(1) },
		})
		l2.Release()
		done <- err
	}()
	for waits.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	l1.Release()
	if err := <-done; err != nil {
		t.Fatalf("waiting run: %v", err)
	}
	if n := waits.Load(); n != 1 {
		t.Errorf("OnWait called %d times, want once", n)
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	lockDir, root := setup(t)
	l1, err := Acquire(context.Background(), []string{root}, Exclusive, Options{Dir: lockDir})
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Release()
	_, err = Acquire(context.Background(), []string{root}, Exclusive, Options{Dir: lockDir, Timeout: 30 * time.Millisecond, Poll: time.Millisecond})
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Timeout != 30*time.Millisecond {
		t.Fatalf("got %v, want a BusyError after 30ms", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err = Acquire(ctx, []string{root}, Exclusive, Options{Dir: lockDir, Timeout: time.Minute, Poll: time.Millisecond})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	// A failed Acquire holds nothing: a reader above the tree still gets in
	// once the writer is gone.
	l1.Release()
	l3, err := Acquire(context.Background(), []string{filepath.Dir(root)}, Exclusive, Options{Dir: lockDir})
	if err != nil {
		t.Fatalf("after the failures: %v", err)
	}
	l3.Release()
}
