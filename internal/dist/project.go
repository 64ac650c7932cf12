package dist

import (
	"os"
	"path/filepath"
)

// ProjectDir is the project a path belongs to: the first directory at or
// above it that holds package.json or .git, or "" when there is none. Source
// files a map names are looked for there (doctor, resolve's context lines and
// map chains), and nowhere else a map could point.
func ProjectDir(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	for dir := abs; ; {
		for _, n := range []string{"package.json", ".git"} {
			if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
				return dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
