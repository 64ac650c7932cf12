package doctor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/mapback/mapback/internal/debugid"
	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/rawfile"
	"github.com/mapback/mapback/internal/readcap"
	"github.com/mapback/mapback/internal/sourcemap"
)

const fixRebuilt = "the bundle was rebuilt after injection: run inject after every build, then upload"

// checkDebugIDs answers "will Sentry pair each bundle with its map?": each bundle must register a
// debug ID at runtime (the snippet), name it for the upload (the //# debugId comment), and its map
// must carry the same ID; two different bundles must never share one.
func checkDebugIDs(ctx context.Context, env *Env) Result {
	scan, err := env.Scan(ctx)
	if err != nil || len(scan.Bundles) == 0 {
		return skip("no bundles to check (see the first check)")
	}
	var res Result
	type owner struct {
		path string
		sum  [32]byte
	}
	owners := map[debugid.ID][]owner{}
	var checked, notInjected, problems, unverified int
	// Each bundle is read and checked on its own, in parallel (a build can have thousands), and
	// the results are tallied in bundle order.
	type checkedBundle struct {
		ok                 bool // read and checked
		f                  Finding
		id                 debugid.ID
		injected, compared bool
		sum                [32]byte
	}
	results := make([]checkedBundle, len(scan.Bundles))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, b := range scan.Bundles {
		if b.Err != nil {
			continue // unreadable or a broken inline map: the first two checks report it
		}
		g.Go(func() error {
			if gctx.Err() != nil {
				return gctx.Err()
			}
			js, err := rawfile.ReadFile(b.Path)
			if err != nil {
				return nil
			}
			r := checkedBundle{ok: true}
			r.f, r.id, r.injected, r.compared = bundleIDFinding(b, js)
			if !r.id.IsZero() {
				r.sum = sha256.Sum256(js)
			}
			results[i] = r
			return nil
		})
	}
	_ = g.Wait() // a cancelled run stops at the caller's next look at ctx
	for i, r := range results {
		if !r.ok {
			continue
		}
		checked++
		if !r.injected {
			notInjected++
		}
		if r.f.Status != StatusOK {
			problems++
		} else if !r.compared {
			unverified++
		}
		res.Findings = append(res.Findings, r.f)
		if !r.id.IsZero() {
			owners[r.id] = append(owners[r.id], owner{scan.Bundles[i].Path, r.sum})
		}
	}
	ids := make([]debugid.ID, 0, len(owners))
	for id := range owners {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return bytes.Compare(ids[i][:], ids[j][:]) < 0 })
	for _, id := range ids {
		group := owners[id]
		distinct := map[[32]byte]bool{}
		var paths []string
		for _, o := range group {
			distinct[o.sum] = true
			paths = append(paths, o.path)
		}
		if len(distinct) < 2 {
			continue // byte-identical copies (one map for all) are fine
		}
		problems += len(group)
		res.Findings = append(res.Findings, Finding{Status: StatusFail, Subject: id.String(),
			Detail: fmt.Sprintf("%d different bundles share this debug ID (%s): Sentry resolves all of them with one map", len(group), strings.Join(paths, ", ")),
			Fix:    "give each bundle its own ID: rebuild, then run `mapback sourcemaps inject` on the fresh output (never copy injected files or comments between bundles)"})
	}
	switch {
	case checked == 0:
		return skip("no readable bundles (see the first check)")
	case problems == 0:
		res.Detail = fmt.Sprintf("%s injected, each ID matching its map", plural(checked, "bundle", "bundles"))
		if unverified > 0 {
			res.Detail = fmt.Sprintf("%s injected; %d without a readable map to compare", plural(checked, "bundle", "bundles"), unverified)
		}
	case notInjected == problems:
		res.Detail = fmt.Sprintf("%d of %d bundles are not injected", notInjected, checked)
	default:
		res.Detail = fmt.Sprintf("%d of %d bundles with debug ID problems", problems, checked)
		if notInjected > 0 {
			res.Detail += fmt.Sprintf(" (%d not injected)", notInjected)
		}
	}
	res.Fix = commonFix(res.Findings)
	return res
}

// fixMapDebugID is the fix for a map whose debug ID member is not a debug ID.
func fixMapDebugID(b dist.Bundle) string {
	return "correct or remove the map's debugId/debug_id member (a debug ID is a UUID such as 8cf3d888-fc9e-457d-a999-6ffef384b736; the tool that wrote it does not follow the format), then run mapback sourcemaps inject " + shellArg(b.Root)
}

// bundleIDFinding judges one bundle: its finding, the ID it carries (zero when none), whether
// anything injected it at all, and whether its ID could be compared with a map's.
func bundleIDFinding(b dist.Bundle, js []byte) (_ Finding, _ debugid.ID, injected, compared bool) {
	inject := "mapback sourcemaps inject " + shellArg(b.Root)
	fail := func(detail, fix string) Finding {
		return Finding{Status: StatusFail, Subject: b.Path, Detail: detail, Fix: fix}
	}
	commentID, hasComment := debugid.FindComment(js)
	snipID, hasSnip := findSnippetID(js)
	plugID, hasPlug := pluginID(js)
	mapID, mapHas, mapOK, mapProblem := mapDebugID(b)

	var id debugid.ID
	byPlugin := false
	switch {
	case hasComment:
		id = commentID
		switch {
		case hasPlug && plugID != commentID && debugid.SnippetIndex(js, commentID) >= 0:
			// Both snippets run and set the same key: the later one wins, so the SDK may report
			// the plugin's ID, which no uploaded map carries.
			return fail(fmt.Sprintf("injected twice: the //# debugId comment and mapback's snippet say %s, the Sentry bundler plugin's snippet %s", commentID, plugID),
				"inject once: either the Sentry bundler plugin or mapback sourcemaps inject, not both (rebuild, then run one of them)"), id, true, true
		case debugid.SnippetIndex(js, commentID) >= 0, hasPlug && plugID == commentID:
		case hasSnip:
			return fail(fmt.Sprintf("the //# debugId comment says %s but the snippet registers %s", commentID, snipID), fixRebuilt), id, true, true
		case hasPlug:
			return fail(fmt.Sprintf("the //# debugId comment says %s but the bundler-plugin snippet registers %s", commentID, plugID), fixRebuilt), id, true, true
		default:
			return fail(fmt.Sprintf("has a //# debugId=%s comment but no snippet: the SDK never reports the ID, so Sentry cannot pick the map", commentID),
				"rebuild so the bundle has no stale //# debugId comment (it came from an injected input or a later step dropped the snippet), then run "+inject), id, true, true
		}
	case hasPlug:
		id, byPlugin = plugID, true
	case hasSnip:
		return fail(fmt.Sprintf("has the debug ID snippet (%s) but no //# debugId comment: the upload cannot tell the bundle's ID (a later step stripped comments)", snipID),
			"run inject as the last build step, after any minifier, then upload: "+inject), snipID, true, true
	default:
		if mapProblem != "" {
			// Injecting would fail on this map (inject refuses a map whose debug ID it cannot
			// read): say what to fix first.
			return fail("not injected, and "+mapProblem, fixMapDebugID(b)), debugid.ID{}, false, false
		}
		if mapHas {
			// The map was injected, the bundle was not: the map is left over from an earlier,
			// injected build (inject moves the code down and shifts the map with it). Injecting
			// again would shift this map a second time, so every position would be off.
			return fail(fmt.Sprintf("the bundle is not injected but its map %s already has debug ID %s: the map belongs to an earlier, injected build, so bundle and map do not belong together", mapName(b), mapID),
				fixStaleMap(b)), debugid.ID{}, true, true // a problem, but not one inject fixes
		}
		d := "not injected: no debug ID snippet and no //# debugId comment, so Sentry can only match the map by URL"
		return fail(d, inject), debugid.ID{}, false, false
	}

	switch {
	case mapProblem != "":
		return fail(mapProblem, fixMapDebugID(b)), id, true, true
	case b.Map == nil:
		return Finding{Status: StatusOK, Subject: b.Path, Detail: fmt.Sprintf("debug ID %s (no map to compare)", id)}, id, true, false
	case !mapOK:
		// A map that is not JSON has no ID to compare; the valid check names what is wrong with it.
		return Finding{Status: StatusOK, Subject: b.Path, Detail: fmt.Sprintf("debug ID %s (its map cannot be read: see the valid check)", id)}, id, true, false
	case !mapHas && byPlugin:
		return Finding{Status: StatusWarn, Subject: b.Path,
			Detail: fmt.Sprintf("injected by a Sentry bundler plugin (debug ID %s), but its map %s has no debug ID: only the plugin's own upload adds it", id, mapName(b)),
			Fix:    "upload these files with the Sentry bundler plugin, or turn its injection off and run mapback sourcemaps inject, then upload"}, id, true, true
	case !mapHas:
		return fail(fmt.Sprintf("injected (debug ID %s) but its map %s has no debug ID: Sentry cannot pair them", id, mapName(b)),
			"run "+inject+" (it adds the missing key when it can prove the map matches; if it refuses, rebuild and inject again)"), id, true, true
	case mapID != id:
		return fail(fmt.Sprintf("the bundle's debug ID is %s but its map %s has %s", id, mapName(b), mapID), fixRebuilt), id, true, true
	}
	d := fmt.Sprintf("debug ID %s (snippet, comment and map agree)", id)
	if byPlugin {
		d = fmt.Sprintf("debug ID %s, injected by a Sentry bundler plugin (snippet and map agree)", id)
	}
	return Finding{Status: StatusOK, Subject: b.Path, Detail: d}, id, true, true
}

// fixStaleMap is the fix for a fresh bundle paired with a map from an earlier injected build:
// never inject that pair (it would shift the stale map's mappings again).
func fixStaleMap(b dist.Bundle) string {
	return "rebuild the bundle and its map together (run the build again, do not keep maps from an earlier build), then run mapback sourcemaps inject " + shellArg(b.Root) + "; do not inject this bundle with the old map"
}

func mapName(b dist.Bundle) string {
	if b.Map.Rule == dist.RuleDataURL {
		return "(inline)"
	}
	return b.Map.Path
}

// snippetParts are the runtime snippet around its ID, to find a snippet whatever ID it holds.
var snippetHead, snippetTail = func() (string, string) {
	s, zero := debugid.Snippet(debugid.ID{}), debugid.ID{}.String()
	i := strings.Index(s, zero)
	return s[:i], s[i+len(zero):]
}()

// findSnippetID returns the ID of the first runtime snippet in js, whichever ID it holds.
func findSnippetID(js []byte) (debugid.ID, bool) {
	for off := 0; ; {
		i := bytes.Index(js[off:], []byte(snippetHead))
		if i < 0 {
			return debugid.ID{}, false
		}
		at := off + i + len(snippetHead)
		if at+36 <= len(js) && bytes.HasPrefix(js[at+36:], []byte(snippetTail)) {
			if id, err := debugid.Parse(string(js[at : at+36])); err == nil {
				return id, true
			}
		}
		off = at
	}
}

// pluginID returns the ID a Sentry bundler-plugin snippet registers (sentry-dbid-<id>).
func pluginID(js []byte) (debugid.ID, bool) {
	if !debugid.HasPluginSnippet(js) {
		return debugid.ID{}, false
	}
	const key = "sentry-dbid-"
	for off := 0; ; {
		i := bytes.Index(js[off:], []byte(key))
		if i < 0 {
			return debugid.ID{}, false
		}
		at := off + i + len(key)
		if at+36 <= len(js) {
			if id, err := debugid.Parse(string(js[at : at+36])); err == nil {
				return id, true
			}
		}
		off = at
	}
}

// mapDebugID reads the debug ID of the bundle's map with the source map decoder (the rule of
// which member wins is its). ok is false when the map cannot be read or parsed (the valid check
// says why); problem is set when a debugId/debug_id member is not a debug ID or the two differ,
// worded as the valid check and resolve word it.
func mapDebugID(b dist.Bundle) (id debugid.ID, has, ok bool, problem string) {
	if b.Map == nil {
		return id, false, false, ""
	}
	data := b.Map.Inline
	if b.Map.Rule != dist.RuleDataURL {
		var err error
		if data, err = readcap.File(b.Map.Path, readcap.SourceMap, "source map "+b.Map.Path); err != nil {
			return id, false, false, ""
		}
	}
	m, err := sourcemap.Parse(data)
	if err != nil {
		return id, false, false, ""
	}
	for _, p := range m.Problems() {
		if p.Kind == sourcemap.ProblemDebugID {
			return id, false, true, fmt.Sprintf("its map %s: %s", mapName(b), p.Fault())
		}
	}
	if m.DebugID() == "" {
		return id, false, true, ""
	}
	id, err = debugid.Parse(m.DebugID())
	return id, err == nil, true, ""
}
