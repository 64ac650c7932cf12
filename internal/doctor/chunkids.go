package doctor

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/jsonscan"
	"github.com/mapback/mapback/internal/posthog"
	"github.com/mapback/mapback/internal/rawfile"
	"github.com/mapback/mapback/internal/readcap"
)

// checkChunkIDs answers "will PostHog pair each bundle with its map?", as
// checkDebugIDs does for Sentry: each bundle with a map must register its
// chunk ID at run time (PostHog's snippet), name it (the //# chunkId=
// comment), and its map must carry the same chunk_id; two different
// bundles must never share one (docs/internals/posthog.md).
func checkChunkIDs(ctx context.Context, env *Env) Result {
	scan, err := env.Scan(ctx)
	if err != nil || len(scan.Bundles) == 0 {
		return skip("no bundles to check (see the first check)")
	}
	inject := "mapback sourcemaps inject --backends " + env.backendsArg()
	var res Result
	owners := map[string]map[[32]byte][]string{}
	checked, problems, noMap := 0, 0, 0
	for _, b := range scan.Bundles {
		if ctx.Err() != nil {
			break
		}
		if b.Err != nil {
			continue
		}
		js, err := rawfile.ReadFile(b.Path)
		if err != nil {
			continue
		}
		checked++
		fail := func(detail, fix string) {
			problems++
			res.Findings = append(res.Findings, Finding{Status: StatusFail, Subject: b.Path, Detail: detail, Fix: fix})
		}
		id, has := posthog.FindChunkID(js)
		switch {
		case b.Map == nil:
			noMap++
			res.Findings = append(res.Findings, Finding{Status: StatusWarn, Subject: b.Path,
				Detail: "no source map: PostHog cannot resolve its frames, and no chunk ID is injected without one",
				Fix:    "build with source maps"})
			continue
		case !has:
			fail("not injected for PostHog: no //# chunkId= comment", inject+" "+shellArg(b.Root))
			continue
		case !strings.Contains(string(js), posthog.Snippet(id)):
			fail(fmt.Sprintf("names chunk ID %s but has no PostHog snippet registering it: the SDK never learns the ID", id), fixRebuilt)
			continue
		}
		mapID, mapHas, err := mapChunkID(b)
		switch {
		case err != nil:
			res.Findings = append(res.Findings, Finding{Status: StatusWarn, Subject: b.Path, Detail: "chunk ID " + id + "; its map could not be read to compare: " + err.Error()})
		case !mapHas:
			res.Findings = append(res.Findings, Finding{Status: StatusWarn, Subject: b.Path,
				Detail: fmt.Sprintf("chunk ID %s, but its map has no chunk_id (injected by a tool that leaves the map alone?)", id),
				Fix:    fixRebuilt})
		case mapID != id:
			fail(fmt.Sprintf("chunk ID %s, but its map has chunk_id %s", id, mapID), fixRebuilt)
			continue
		default:
			res.Findings = append(res.Findings, Finding{Status: StatusOK, Subject: b.Path, Detail: "chunk ID " + id + ", the same in its map"})
		}
		if owners[id] == nil {
			owners[id] = map[[32]byte][]string{}
		}
		sum := sha256.Sum256(js)
		owners[id][sum] = append(owners[id][sum], b.Path)
	}
	ids := make([]string, 0, len(owners))
	for id := range owners {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if len(owners[id]) < 2 {
			continue // byte-identical copies share a map and an ID
		}
		var paths []string
		for _, p := range owners[id] {
			paths = append(paths, p...)
		}
		sort.Strings(paths)
		problems += len(paths)
		res.Findings = append(res.Findings, Finding{Status: StatusFail, Subject: id,
			Detail: fmt.Sprintf("%d different bundles share this chunk ID (%s): PostHog resolves all of them with one map", len(paths), strings.Join(paths, ", ")),
			Fix:    "rebuild, then inject the fresh output (never copy injected files between bundles)"})
	}
	switch {
	case checked == 0:
		return skip("no readable bundles (see the first check)")
	case problems == 0:
		res.Detail = fmt.Sprintf("%s with a map injected, each chunk ID matching its map", plural(checked-noMap, "bundle", "bundles"))
	default:
		res.Detail = fmt.Sprintf("%d of %d bundles with chunk ID problems", problems, checked)
	}
	res.Fix = commonFix(res.Findings)
	return res
}

// mapChunkID reads a map's top-level chunk_id (or chunkId).
func mapChunkID(b dist.Bundle) (string, bool, error) {
	data := b.Map.Inline
	if b.Map.Path != "" {
		var err error
		if data, err = readcap.File(b.Map.Path, readcap.SourceMap, "the map"); err != nil {
			return "", false, err
		}
	}
	members, _, _, err := jsonscan.Document(data)
	if err != nil {
		return "", false, err
	}
	for _, key := range []string{"chunk_id", "chunkId"} {
		for _, m := range members {
			if m.Key == key && data[m.ValStart] == '"' {
				return string(data[m.ValStart+1 : m.ValEnd-1]), true, nil
			}
		}
	}
	return "", false, nil
}

// checkPostHogUpload answers "does PostHog hold each chunk's symbol set?":
// the server is asked about every local chunk ID, which also proves the
// host, the project ID and the key.
func checkPostHogUpload(ctx context.Context, env *Env) Result {
	switch {
	case env.Offline:
		return skip("--offline")
	case env.PostHogClient == nil:
		return Result{Status: StatusFail, Detail: "no PostHog credentials",
			Fix: "set POSTHOG_CLI_API_KEY (a personal API key, phx_…) and POSTHOG_CLI_PROJECT_ID, and POSTHOG_CLI_HOST for an instance other than https://us.posthog.com"}
	}
	scan, err := env.Scan(ctx)
	if err != nil || len(scan.Bundles) == 0 {
		return skip("no bundles to check (see the first check)")
	}
	type local struct{ path, id string }
	var locals []local
	seen := map[string]bool{}
	for _, b := range scan.Bundles {
		if b.Err != nil || b.Map == nil {
			continue
		}
		js, err := rawfile.ReadFile(b.Path)
		if err != nil {
			continue
		}
		if id, ok := posthog.FindChunkID(js); ok && !seen[id] {
			seen[id] = true
			locals = append(locals, local{b.Path, id})
		}
	}
	if len(locals) == 0 {
		return skip("no bundle has a chunk ID (see the chunk ID check)")
	}
	sctx := env.serverContext(ctx)
	var res Result
	missing := 0
	for _, l := range locals {
		_, found, err := env.PostHogClient.FindSymbolSet(sctx, l.id)
		if err != nil {
			f := Finding{Status: StatusFail, Subject: env.PostHogClient.Host(), Detail: "cannot ask PostHog: " + err.Error()}
			var ae *posthog.APIError
			if errors.As(err, &ae) {
				f.Fix = ae.Fix()
			}
			if errors.Is(err, context.DeadlineExceeded) {
				f.Detail = fmt.Sprintf("no answer from %s within %s (--timeout)", env.PostHogClient.Host(), env.ServerTimeout)
			}
			res.Findings = append(res.Findings, f)
			res.Status, res.Detail, res.Fix = StatusFail, f.Detail, f.Fix
			return res
		}
		if found {
			res.Findings = append(res.Findings, Finding{Status: StatusOK, Subject: l.path, Detail: "PostHog holds the symbol set of chunk " + l.id})
			continue
		}
		missing++
		res.Findings = append(res.Findings, Finding{Status: StatusFail, Subject: l.path,
			Detail: "PostHog has no symbol set for chunk " + l.id + ": its frames stay minified",
			Fix:    "mapback sourcemaps upload --backends " + env.backendsArg() + " " + shellArg(l.path)})
	}
	res.Detail = fmt.Sprintf("%d of %d chunk IDs have a symbol set on %s", len(locals)-missing, len(locals), env.PostHogClient.Host())
	res.Fix = commonFix(res.Findings)
	return res
}

// checkPostHogEvent is the event check for a PostHog $exception event: do
// its frames carry chunk IDs, and do they match the local bundles?
func checkPostHogEvent(ctx context.Context, env *Env, data []byte) Result {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return Result{Status: StatusFail, Detail: env.EventFile + " is not JSON: " + err.Error(), Fix: fixEventFile}
	}
	type frame struct{ file, chunk string }
	var frames []frame
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 6 {
			return
		}
		switch t := v.(type) {
		case []any:
			for _, e := range t {
				walk(e, depth+1)
			}
		case map[string]any:
			if list, ok := t["$exception_list"].([]any); ok {
				for _, exc := range list {
					st, _ := exc.(map[string]any)["stacktrace"].(map[string]any)
					fs, _ := st["frames"].([]any)
					for _, f := range fs {
						m, _ := f.(map[string]any)
						file, _ := m["filename"].(string)
						chunk, _ := m["chunk_id"].(string)
						frames = append(frames, frame{file, chunk})
					}
				}
			}
			for _, k := range []string{"properties", "batch"} {
				if inner, ok := t[k]; ok {
					walk(inner, depth+1)
				}
			}
		}
	}
	walk(doc, 0)
	if len(frames) == 0 {
		return Result{Status: StatusFail, Detail: "the PostHog event has no frames in $exception_list", Fix: fixEventFile}
	}
	local := map[string]string{}
	if scan, err := env.Scan(ctx); err == nil {
		for _, b := range scan.Bundles {
			if js, err := rawfile.ReadFile(b.Path); err == nil {
				if id, ok := posthog.FindChunkID(js); ok {
					local[id] = b.Path
				}
			}
		}
	}
	var res Result
	ids, seen := 0, map[string]bool{}
	matched := 0
	for _, f := range frames {
		key := f.file + "\x00" + f.chunk
		if seen[key] || !looksLikeScript(f.file) {
			continue
		}
		seen[key] = true
		switch path, ok := local[f.chunk]; {
		case f.chunk == "":
			res.Findings = append(res.Findings, Finding{Status: StatusWarn, Subject: f.file,
				Detail: "frames from this file carry no chunk_id: it was loaded without PostHog's snippet",
				Fix:    "run mapback sourcemaps inject --backends " + env.backendsArg() + " on the build before deploying it"})
		case ok:
			ids++
			matched++
			res.Findings = append(res.Findings, Finding{Status: StatusOK, Subject: f.file, Detail: "chunk ID " + f.chunk + " is " + path})
		default:
			ids++
			res.Findings = append(res.Findings, Finding{Status: StatusFail, Subject: f.file,
				Detail: "chunk ID " + f.chunk + " matches no bundle under the PATHs",
				Fix:    "the build that ran is not this one, or it was rebuilt after injection: inject and upload the exact files you deploy"})
		}
	}
	if ids == 0 {
		res.Status = StatusFail
		res.Detail = "the PostHog event's frames carry no chunk IDs"
		res.Fix = "the bundles that ran were not injected for PostHog: run mapback sourcemaps inject --backends " + env.backendsArg() + " before deploying"
		return res
	}
	res.Detail = fmt.Sprintf("%d chunk ID(s) in the PostHog event, %d match a local bundle", ids, matched)
	return res
}
