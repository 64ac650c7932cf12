package resolve

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/mapback/mapback/internal/dist"
)

// Frames from Cloudflare Workers name their bundle three ways: an absolute
// file:// URL under the project's .wrangler/tmp/dev-*/ (wrangler dev: a
// hidden directory the scan skips, deleted when wrangler dev stops), or the
// bare module name workerd gives the Worker's one module, "index.js" or
// "worker.js" (workerd, deployed Workers).

// namedFile is the bundle at the local path a frame's file names, when that
// is an absolute path or file: URL of a file that exists and has a map.
func (r *resolver) namedFile(frameFile string) *dist.Bundle {
	p := absoluteLocal(frameFile)
	if p == "" || !isFile(p) {
		return nil
	}
	return r.idx.fileWithMap(r.ctx, p)
}

// absoluteLocal is the absolute local path a frame's file names, or "".
func absoluteLocal(frameFile string) string {
	p := frameFile
	if strings.HasPrefix(p, "file:") {
		u, err := url.Parse(p)
		if err != nil || (u.Host != "" && u.Host != "localhost") {
			return ""
		}
		p = u.Path
		if len(p) >= 3 && p[0] == '/' && p[2] == ':' { // file:///C:/x
			p = p[1:]
		}
	} else if strings.Contains(p, "://") {
		return ""
	}
	if !filepath.IsAbs(filepath.FromSlash(p)) {
		return ""
	}
	return filepath.Clean(filepath.FromSlash(p))
}

// workerModuleNames are the names workerd gives a Worker's single module.
var workerModuleNames = []string{"index.js", "worker.js"}

// workerBundle picks the bundle for a bare "index.js" or "worker.js" frame
// that matched no bundle, or several, in a Worker project: the one bundle
// under --maps that has a map. why says so, to be shown with the frame.
func (r *resolver) workerBundle(frameFile string, matched *dist.Bundle, ambiguous bool) (*dist.Bundle, string) {
	if (matched != nil && !ambiguous) || !isWorkerModuleName(frameFile) {
		return nil, ""
	}
	dirs := r.opts.Maps
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	project := ""
	for _, d := range dirs {
		if project = dist.WorkerProject(d, maxProjectDepth); project != "" {
			break
		}
	}
	if project == "" {
		return nil, ""
	}
	var only *dist.Bundle
	for i := range r.idx.bundles {
		if b := &r.idx.bundles[i]; b.Map != nil && b.Err == nil {
			if only != nil {
				return nil, "" // several: still ambiguous
			}
			only = b
		}
	}
	if only == nil {
		return nil, ""
	}
	return only, fmt.Sprintf("%s is the module name workerd gives a Worker's bundle: taken as %s, the one bundle with a map in the Worker project of %s", frameFile, only.Path, project)
}

func isWorkerModuleName(f string) bool {
	for _, n := range workerModuleNames {
		if f == n {
			return true
		}
	}
	return false
}

// goneDevBundle explains a frame in a wrangler dev bundle that no longer
// exists; "" for other frames.
func goneDevBundle(frameFile string) string {
	p := absoluteLocal(frameFile)
	if p == "" || !strings.Contains(filepath.ToSlash(p), "/.wrangler/tmp/") || isFile(p) {
		return ""
	}
	return fmt.Sprintf("%s is gone: wrangler deletes its .wrangler/tmp/dev-* bundles when wrangler dev stops; resolve while it runs (or copy the bundle and its map first)", p)
}
