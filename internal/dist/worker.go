package dist

import (
	"os"
	"path/filepath"
)

// wranglerConfigs are the files that make a directory a Cloudflare Worker
// project.
var wranglerConfigs = []string{"wrangler.toml", "wrangler.json", "wrangler.jsonc"}

// WorkerProject returns the wrangler config file of the Worker project path
// belongs to: the first wrangler.toml, wrangler.json or wrangler.jsonc at or
// at most maxUp directories above path; "" when there is none.
func WorkerProject(path string, maxUp int) string {
	dir, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	for range maxUp + 1 {
		for _, n := range wranglerConfigs {
			p := filepath.Join(dir, n)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return ""
}
