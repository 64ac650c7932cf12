package doctor

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/jsonscan"
	"github.com/mapback/mapback/internal/posthog"
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
		js, err := os.ReadFile(b.Path)
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
