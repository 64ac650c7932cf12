//go:build !unix

package rawfile

import "os"

// Open is os.Open (see open_unix.go for why it differs elsewhere).
func Open(path string) (*os.File, error) { return os.Open(path) }

// OpenFile is os.OpenFile.
func OpenFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(path, flag, perm)
}

// ReadFile is os.ReadFile.
func ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }
