//go:build !linux

package inject

// Elsewhere there is no syncfs: each temporary and journal is fsynced as it
// is written (so writes stay parallel across workers), and a barrier syncs
// the directories whose entries changed, once per batch.
const syncOnWrite = true

func barrier(dirs, _ []string) error { return fsyncEach(dirs, nil) }
