//go:build !unix

package mmapfile

import "os"

// Open is os.Open (see open_unix.go for why it differs elsewhere).
func Open(path string) (*os.File, error) { return os.Open(path) }

// ReadFile is os.ReadFile.
func ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }
