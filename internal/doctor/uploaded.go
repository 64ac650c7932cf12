package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/mapback/mapback/internal/artifactbundle"
	"github.com/mapback/mapback/internal/debugid"
	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/jsonscan"
	"github.com/mapback/mapback/internal/rawfile"
	"github.com/mapback/mapback/internal/readcap"
	"github.com/mapback/mapback/internal/sentry"
)

// uploadLookupJobs bounds the bundles asked about at once: enough to hide round trips, few enough not to
// look like a flood to a rate-limited server.
const uploadLookupJobs = 4

// maxServerBundle bounds a downloaded artifact bundle: Sentry's default maxFileSize (2 GiB), so a
// server that streams without end cannot fill the disk.
const maxServerBundle = 2 << 30

// uploadLocal is what the local tree says about one bundle.
type uploadLocal struct {
	path, root string
	scriptID   string // from the //# debugId= comment
	mapID      string // the map's debugId (or debug_id) key
	mapKind    string // "", "file" or "inline"
	snippet    bool   // the bundle registers a debug ID at runtime (mapback's or a bundler plugin's snippet)
	err        error
}

// staleMap reports a bundle with no debug ID at all whose map has one: the map is from an earlier,
// injected build. (A bundler plugin's bundle has a snippet but no comment: its map's ID is its own.)
func (l uploadLocal) staleMap() bool {
	return l.scriptID == "" && l.mapID != "" && !l.snippet
}

// uploadCopy is where one local bundle was found on the server.
type uploadCopy struct {
	script, scriptProject string // artifact id (artifact_bundle/<n>) holding the minified source
	sourceMap, mapProject string // artifact id holding the source map
	err                   error  // a lookup or download that failed (the first)
}

// checkUploaded asks the server, for each local debug ID, which artifact bundles hold it, and opens
// those bundles to see that both the script and its map are in them: a bundle uploaded with
// `--ext js` is found by its debug ID, yet cannot be resolved.
func checkUploaded(ctx context.Context, env *Env) Result {
	if env.Offline {
		return skip("--offline")
	}
	facts := env.serverInfo(ctx)
	if !facts.usable() {
		reason := "the server check failed"
		if facts.problem != nil {
			reason += " (" + facts.problem.Subject + ": " + facts.problem.Detail + ")"
		}
		return skip("%s", reason)
	}
	scan, err := env.Scan(ctx)
	if err != nil {
		return skip("cannot look at the local files: %v", err)
	}
	var locals []uploadLocal
	for _, b := range scan.Bundles {
		if b.Err != nil {
			continue // unreadable or unpaired bundles are the first checks' findings
		}
		locals = append(locals, readUploadLocal(b))
	}
	if len(locals) == 0 {
		return skip("no bundles under %s", strings.Join(uploadPaths(env.Paths), ", "))
	}

	tmp, err := os.MkdirTemp("", "mapback-doctor-")
	if err != nil {
		return Result{Status: StatusFail, Detail: "cannot create a temporary directory for downloaded bundles: " + err.Error()}
	}
	cache := &uploadCache{dir: tmp, m: map[string]*uploadCached{}, budget: artifactbundle.NewBudget(readcap.ArtifactBundles)}
	defer cache.close()

	copies := make([]uploadCopy, len(locals))
	lk := &uploadLookups{env: env, cache: cache, broken: map[string]error{}}
	g, gctx := errgroup.WithContext(env.serverContext(ctx))
	g.SetLimit(uploadLookupJobs)
	for i := range locals {
		if locals[i].err != nil || locals[i].scriptID == "" && (locals[i].mapID == "" || locals[i].staleMap()) {
			continue // no debug ID to ask about, or only a stale map's (see uploadFinding)
		}
		g.Go(func() error {
			copies[i] = lk.find(gctx, locals[i])
			return nil // a failed lookup is a finding of its bundle, not a reason to stop the others
		})
	}
	_ = g.Wait() // the goroutines never return an error
	if err := ctx.Err(); err != nil {
		return Result{Status: StatusFail, Detail: err.Error()}
	}

	res := Result{}
	var ok, missing, noID int
	for i, l := range locals {
		fd := uploadFinding(env, l, copies[i])
		switch {
		case fd.Status == StatusOK:
			ok++
		case l.err == nil && l.scriptID == "" && (l.mapID == "" || l.staleMap()):
			noID++
		default:
			missing++
		}
		res.Findings = append(res.Findings, fd)
	}
	res.Detail = fmt.Sprintf("%d of %d bundles are on the server with their maps", ok, len(locals))
	if missing > 0 {
		res.Detail += fmt.Sprintf("; %d %s", missing, noun(missing, "is not", "are not"))
	}
	if noID > 0 {
		res.Detail += fmt.Sprintf("; %d without a debug ID", noID)
	}
	return res
}

func uploadPaths(paths []string) []string {
	if len(paths) == 0 {
		return []string{"."}
	}
	return paths
}

// readUploadLocal reads a bundle's debug ID comment and its map's debugId.
func readUploadLocal(b dist.Bundle) uploadLocal {
	l := uploadLocal{path: b.Path, root: b.Root}
	js, err := rawfile.ReadFile(b.Path)
	if err != nil {
		l.err = err
		return l
	}
	if id, ok := debugid.FindComment(js); ok {
		l.scriptID = id.String()
	}
	_, mine := findSnippetID(js)
	_, plugin := pluginID(js)
	l.snippet = mine || plugin
	if b.Map == nil {
		return l
	}
	data := b.Map.Inline
	l.mapKind = "inline"
	if data == nil {
		l.mapKind = "file"
		if data, err = readcap.File(b.Map.Path, readcap.SourceMap, "source map "+b.Map.Path); err != nil {
			l.err = err
			return l
		}
	}
	l.mapID = uploadMapDebugID(data)
	return l
}

// uploadMapDebugID is a map's debugId (or the older debug_id), normalised; "" when absent or when the
// text is not a JSON object (the validity check says so).
func uploadMapDebugID(data []byte) string {
	members, _, _, err := jsonscan.Document(data)
	if err != nil {
		return ""
	}
	var camel, snake string
	for _, m := range members {
		var s string
		if m.Key != "debugId" && m.Key != "debug_id" || json.Unmarshal(data[m.ValStart:m.ValEnd], &s) != nil {
			continue
		}
		if m.Key == "debugId" {
			camel = s
		} else {
			snake = s
		}
	}
	if camel == "" {
		camel = snake
	}
	return artifactbundle.NormalizeDebugID(camel)
}

// uploadLookups asks the server about debug IDs, remembering projects that answer with a client error
// (404 for a wrong slug, 401, 403): every further lookup there would fail the same way.
type uploadLookups struct {
	env   *Env
	cache *uploadCache

	mu     sync.Mutex
	broken map[string]error // project → its lookup error
}

// find looks for the bundle's script and map on the server, in every project, stopping once both
// are found. A bundle holding an ID in any project counts, as Sentry looks in the event's project
// only, and doctor does not know which project that is.
func (lk *uploadLookups) find(ctx context.Context, l uploadLocal) uploadCopy {
	var c uploadCopy
	ids := []string{l.scriptID}
	if l.mapID != "" && l.mapID != l.scriptID {
		ids = append(ids, l.mapID)
	}
	if l.scriptID == "" {
		ids = ids[1:]
	}
	mapID := l.mapID
	if mapID == "" {
		mapID = l.scriptID
	}
	noteErr := func(err error) {
		if c.err == nil {
			c.err = err
		}
	}
	for _, project := range lk.env.Projects {
		lk.mu.Lock()
		perr := lk.broken[project]
		lk.mu.Unlock()
		if perr != nil {
			noteErr(perr)
			continue
		}
		var entries []sentry.LookupEntry
		seen := map[string]bool{}
		for _, id := range ids {
			es, err := lk.env.Client.ArtifactLookup(ctx, lk.env.Org, project, id)
			if err != nil {
				err = &uploadLookupError{project: project, err: err}
				var he *sentry.HTTPError
				if errors.As(err, &he) && he.Status >= 400 && he.Status < 500 && he.Status != http.StatusTooManyRequests {
					lk.mu.Lock()
					lk.broken[project] = err
					lk.mu.Unlock()
				}
				noteErr(err)
				break
			}
			for _, e := range es {
				if !seen[e.ID] {
					seen[e.ID] = true
					entries = append(entries, e)
				}
			}
		}
		for _, e := range entries {
			if e.Type != "bundle" {
				continue // release files are found by URL, not by debug ID
			}
			b, err := lk.cache.get(ctx, lk.env.Client, e)
			if err != nil {
				noteErr(err)
				continue
			}
			scriptZip := ""
			if l.scriptID != "" {
				scriptZip, _ = b.FindByDebugID(l.scriptID, artifactbundle.TypeMinifiedSource)
				if scriptZip != "" && c.script == "" {
					c.script, c.scriptProject = e.ID, project
					if entry, ok := b.Entry(scriptZip); ok && entry.URL != "" {
						lk.env.noteUploadedURL(l.path, entry.URL) // for the trace check
					}
				}
			}
			if c.sourceMap == "" {
				_, found := b.FindByDebugID(mapID, artifactbundle.TypeSourceMap)
				if !found && scriptZip != "" {
					// The server also finds a map through the script's sourcemap header.
					_, found = b.SourceMapFor(scriptZip)
				}
				if found {
					c.sourceMap, c.mapProject = e.ID, project
				}
			}
			if c.script != "" && c.sourceMap != "" {
				return c
			}
		}
	}
	return c
}

// uploadLookupError is a failed artifact lookup in one project, with the fix for it.
type uploadLookupError struct {
	project string
	err     error
}

func (e *uploadLookupError) Error() string {
	return fmt.Sprintf("cannot look it up in project %s: %v", e.project, e.err)
}
func (e *uploadLookupError) Unwrap() error { return e.err }

// fix is what to do about the failed lookup.
func (e *uploadLookupError) fix(org string) string {
	var he *sentry.HTTPError
	if errors.As(e.err, &he) {
		if he.Status == http.StatusNotFound {
			return fmt.Sprintf("check the project slug: organization %s has no project %q on this server (--project / SENTRY_PROJECT)", org, e.project)
		}
		if f := he.Fix(); f != "" {
			return f
		}
	}
	return "run mapback doctor again; if it keeps failing, check the server URL (--url / SENTRY_URL) and the network"
}

// uploadFinding says what was found for one local bundle and how to fix what was not.
func uploadFinding(env *Env, l uploadLocal, c uploadCopy) Finding {
	fd := Finding{Subject: l.path}
	uploadCmd := "mapback sourcemaps upload" + env.serverFlag() + " --org " + shellArg(env.Org) + " --project " + shellArg(strings.Join(env.Projects, ","))
	if p := env.URLPrefix; p != "" && p != "~" {
		uploadCmd += " --url-prefix " + shellArg(p)
	}
	uploadCmd += " " + shellArg(l.root)
	switch {
	case l.err != nil:
		fd.Status, fd.Detail = StatusWarn, "cannot read it: "+l.err.Error()
		fd.Fix = "check that the file and its map can be read by this user"
		return fd
	case l.staleMap():
		// The map has an ID the bundle lacks: it is from an earlier, injected build. Uploading
		// this pair, or injecting it, would not help (the debug ID check says why).
		fd.Status = StatusWarn
		fd.Detail = "no debug ID, but its map has " + l.mapID + ": the map is from an earlier, injected build (see the debug ID check)"
		fd.Fix = "rebuild the bundle and its map together, then run mapback sourcemaps inject " + shellArg(l.root) + " and upload again"
		return fd
	case l.scriptID == "" && l.mapID == "":
		fd.Status = StatusWarn
		fd.Detail = "no debug ID: the server can only match it by URL"
		fd.Fix = "mapback sourcemaps inject " + shellArg(l.root) + ", then upload again"
		return fd
	}
	id := l.scriptID
	if id == "" {
		id = l.mapID
	}
	mapOK := c.sourceMap != "" || l.mapKind == "inline" && c.script != ""
	if (c.script == "" || !mapOK) && c.err != nil {
		// Something is missing, but a project could not be asked: it may be there.
		fd.Status, fd.Detail = StatusFail, c.err.Error()
		var le *uploadLookupError
		var he *sentry.HTTPError
		switch {
		case errors.As(c.err, &le):
			fd.Fix = le.fix(env.Org)
		case errors.As(c.err, &he) && he.Fix() != "":
			fd.Fix = he.Fix()
		default:
			fd.Fix = "run mapback doctor again; if it keeps failing, check the server's logs"
		}
		return fd
	}
	where := func(artifact, project string) string {
		if len(env.Projects) > 1 {
			return artifact + " in project " + project
		}
		return artifact
	}
	switch {
	case c.script != "" && c.sourceMap != "":
		fd.Status = StatusOK
		if c.script == c.sourceMap && c.scriptProject == c.mapProject {
			fd.Detail = "script and map are on the server (" + where(c.script, c.scriptProject) + ")"
		} else {
			fd.Detail = "script (" + where(c.script, c.scriptProject) + ") and map (" + where(c.sourceMap, c.mapProject) + ") are on the server"
		}
	case c.script != "" && l.mapKind == "inline":
		fd.Status = StatusOK
		fd.Detail = "script, with its inline map, is on the server (" + where(c.script, c.scriptProject) + ")"
	case c.script != "" && l.mapKind == "":
		fd.Status = StatusWarn
		fd.Detail = "the script is on the server, but it has no map there, nor here"
		fd.Fix = "have the bundler write source maps (see the first check), then inject and upload again"
	case c.script != "":
		fd.Status = StatusFail
		fd.Detail = "map missing: the script is on the server (" + where(c.script, c.scriptProject) + ") but not its map"
		fd.Fix = "upload the maps too: " + uploadCmd + " (if you pass --ext, add --ext map)"
	case c.sourceMap != "":
		fd.Status = StatusFail
		fd.Detail = "script missing: the map is on the server (" + where(c.sourceMap, c.mapProject) + ") but not the script"
		fd.Fix = "upload the scripts too: " + uploadCmd + " (if you pass --ext, add the script's extension, such as --ext " +
			strings.TrimPrefix(filepath.Ext(l.path), ".") + ")"
	default:
		fd.Status = StatusFail
		fd.Detail = "not on the server: no uploaded bundle holds debug ID " + id
		if len(env.Projects) > 1 {
			fd.Detail += " in projects " + strings.Join(env.Projects, ", ")
		} else if len(env.Projects) == 1 {
			fd.Detail += " in project " + env.Projects[0]
		}
		// A bundle is found only once the server has assembled it, which an upload without --wait
		// does not wait for.
		fd.Fix = uploadCmd + " (if you have just uploaded without --wait, the server may still be processing it)"
	}
	return fd
}

// uploadCache downloads each server bundle once, however many local bundles it holds.
type uploadCache struct {
	dir    string
	budget *artifactbundle.Budget // what the downloaded bundles may decompress, together

	mu sync.Mutex
	m  map[string]*uploadCached // artifact id → download
}

type uploadCached struct {
	once sync.Once
	b    *artifactbundle.Bundle
	err  error
}

// get downloads and opens the bundle of a lookup entry, or returns the copy already opened.
func (bc *uploadCache) get(ctx context.Context, client *sentry.Client, e sentry.LookupEntry) (*artifactbundle.Bundle, error) {
	bc.mu.Lock()
	cb := bc.m[e.ID]
	if cb == nil {
		cb = &uploadCached{}
		bc.m[e.ID] = cb
	}
	bc.mu.Unlock()
	cb.once.Do(func() { cb.b, cb.err = bc.download(ctx, client, e) })
	return cb.b, cb.err
}

// download stores the bundle in a temporary file (bundles can be hundreds of megabytes) and opens it.
func (bc *uploadCache) download(ctx context.Context, client *sentry.Client, e sentry.LookupEntry) (*artifactbundle.Bundle, error) {
	f, err := os.CreateTemp(bc.dir, "bundle-*.zip")
	if err != nil {
		return nil, err
	}
	err = client.Download(ctx, e.URL, &uploadCapWriter{w: f, n: maxServerBundle})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("cannot download %s: %w", e.ID, err)
	}
	b, err := artifactbundle.Open(ctx, f.Name())
	if err != nil {
		return nil, fmt.Errorf("the server's %s is not a readable artifact bundle: %w", e.ID, err)
	}
	b.SetBudget(bc.budget)
	return b, nil
}

// close closes the opened bundles and removes the downloads.
func (bc *uploadCache) close() {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	for _, cb := range bc.m {
		if cb.b != nil {
			_ = cb.b.Close() // read-only
		}
	}
	_ = os.RemoveAll(bc.dir) // a leftover temporary file is harmless
}

// uploadCapWriter fails once more than n bytes are written.
type uploadCapWriter struct {
	w io.Writer
	n int64
}

func (c *uploadCapWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > c.n {
		return 0, fmt.Errorf("the bundle is larger than %d bytes", int64(maxServerBundle))
	}
	c.n -= int64(len(p))
	return c.w.Write(p)
}

// defaultServer is the server mapback uploads to when no --url is given.
const defaultServer = "https://sentry.io"

// serverFlag is " --url <server>" for a suggested upload command when the server is not the
// default: pasted without it, the command would upload to sentry.io.
func (e *Env) serverFlag() string {
	u, _ := e.serverSetting(serverSettingURL)
	v := strings.TrimSpace(u.Value)
	if v == "" || strings.EqualFold(strings.TrimSuffix(v, "/"), defaultServer) {
		return ""
	}
	return " --url " + shellArg(v)
}
