//go:build !unix

package inject

import "io/fs"

// umask: no mask filters the modes OpenFile sets here.
const umask fs.FileMode = 0
