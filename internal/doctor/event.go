package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/mapback/mapback/internal/jsonscan"
	"github.com/mapback/mapback/internal/readcap"
	"sort"
	"strconv"
	"strings"

	"github.com/mapback/mapback/internal/artifactbundle"
	"github.com/mapback/mapback/internal/debugid"
	"github.com/mapback/mapback/internal/rawfile"
)

// minDebugIDSDK is the first JavaScript SDK version whose events carry debug IDs in the form
// Sentry's source map processing uses (Sentry's docs: 7.46.0 and lower need the legacy,
// release-based upload).
const minDebugIDSDK = "7.47.0"

// sentryEvent is the part of a Sentry event JSON this check reads. Two forms exist: the event as an
// SDK sends it and Sentry stores it (exception, debug_meta), and the issue page's JSON (the API
// form: entries of type "exception" and "debugmeta", camelCase frame fields); readEvent folds the
// second into the first.
type sentryEvent struct {
	Exception struct {
		Values []eventException `json:"values"`
	} `json:"exception"`
	DebugMeta *eventDebugMeta `json:"debug_meta"`
	Entries   []struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	} `json:"entries"`
	SDK *struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"sdk"`
}

type eventException struct {
	Stacktrace *struct {
		Frames []eventFrame `json:"frames"`
	} `json:"stacktrace"`
}

type eventDebugMeta struct {
	Images []eventImage `json:"images"`
}

// eventFrame is a stack frame; abs_path is absPath in the API form (lineno matches lineNo: JSON
// member names match field tags case-insensitively).
type eventFrame struct {
	AbsPath    string `json:"abs_path"`
	AbsPathAPI string `json:"absPath"`
	Filename   string `json:"filename"`
	Lineno     int    `json:"lineno"`
}

func (f eventFrame) absPath() string {
	if f.AbsPath != "" {
		return f.AbsPath
	}
	return f.AbsPathAPI
}

// eventImage is one debug_meta image, in snake_case or camelCase.
type eventImage struct {
	Type        string `json:"type"`
	CodeFile    string `json:"code_file"`
	CodeFileAPI string `json:"codeFile"`
	DebugID     string `json:"debug_id"`
	DebugIDAPI  string `json:"debugId"`
}

// eventMarkers are the members of which a Sentry event has at least one, in either form.
var eventMarkers = []string{"exception", "debug_meta", "entries", "event_id", "eventID"}

const fixEventFile = "pass a Sentry event saved as JSON (the issue page's ⋯ → JSON link)"

// readEvent decodes an event in either form (or wrapped as {"event": …}). It returns the failed
// result instead when the file is not a Sentry event at all: a source map, some other JSON.
func readEvent(name string, data []byte) (*sentryEvent, *Result) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, &Result{Status: StatusFail, Detail: fmt.Sprintf("%s is not a Sentry event: %s", name, jsonscan.Explain(err, "the file")), Fix: fixEventFile}
	}
	if !hasAny(top, eventMarkers...) {
		var wrapped map[string]json.RawMessage
		if inner, ok := top["event"]; ok && json.Unmarshal(inner, &wrapped) == nil && hasAny(wrapped, eventMarkers...) {
			return readEvent(name, inner)
		}
		detail := name + " is not a Sentry event: it has none of " + strings.Join(eventMarkers, ", ")
		if hasAny(top, "mappings", "sections") {
			detail = name + " is not a Sentry event: it is a source map"
		}
		return nil, &Result{Status: StatusFail, Detail: detail, Fix: fixEventFile + "; source maps are found under the PATHs"}
	}
	var ev sentryEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, &Result{Status: StatusFail, Detail: fmt.Sprintf("%s is not a Sentry event: %s", name, jsonscan.Explain(err, "the event")), Fix: fixEventFile}
	}
	for _, e := range ev.Entries {
		switch e.Type {
		case "exception":
			var ex struct {
				Values []eventException `json:"values"`
			}
			if json.Unmarshal(e.Data, &ex) == nil {
				ev.Exception.Values = append(ev.Exception.Values, ex.Values...)
			}
		case "debugmeta":
			var dm eventDebugMeta
			if json.Unmarshal(e.Data, &dm) == nil {
				if ev.DebugMeta == nil {
					ev.DebugMeta = &eventDebugMeta{}
				}
				ev.DebugMeta.Images = append(ev.DebugMeta.Images, dm.Images...)
			}
		}
	}
	return &ev, nil
}

func hasAny(m map[string]json.RawMessage, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// checkEvent reads --event: does the event carry debug IDs (debug_meta.images), do they match the
// local bundles, and do its frames' files have one? Without them the server can only match by URL
// and release; the fix depends on the SDK version the event names.
func checkEvent(ctx context.Context, env *Env) Result {
	if env.EventFile == "" {
		return skip("no --event FILE given")
	}
	data, err := readcap.File(env.EventFile, readcap.Input, env.EventFile)
	if err != nil {
		return Result{Status: StatusFail, Detail: fmt.Sprintf("cannot read %s: %v", env.EventFile, unwrapPathErr(err)), Fix: fixEventFile}
	}
	if bytes.Contains(data, []byte(`"$exception_list"`)) {
		return checkPostHogEvent(ctx, env, data)
	}
	ev, bad := readEvent(env.EventFile, data)
	if bad != nil {
		return *bad
	}

	var res Result
	images := map[string]string{} // code_file → debug ID
	if ev.DebugMeta != nil {
		for _, im := range ev.DebugMeta.Images {
			file, id := im.CodeFile, im.DebugID
			if file == "" {
				file = im.CodeFileAPI
			}
			if id == "" {
				id = im.DebugIDAPI
			}
			if im.Type == "sourcemap" && id != "" && file != "" {
				images[file] = artifactbundle.NormalizeDebugID(id)
			}
		}
	}
	if len(images) == 0 {
		res.Status = StatusFail
		res.Detail = "the event has no debug IDs (no debug_meta.images of type sourcemap)"
		res.Fix = noImagesFix(*ev)
		return res
	}

	local, err := env.localDebugIDs(ctx)
	if err != nil {
		return Result{Status: StatusFail, Detail: err.Error()}
	}
	matched := 0
	for file, id := range sortedImages(images) {
		if path, ok := local[id]; ok {
			matched++
			res.Findings = append(res.Findings, Finding{Status: StatusOK, Subject: file, Detail: "debug ID " + id + " is " + path})
			continue
		}
		res.Findings = append(res.Findings, Finding{Status: StatusFail, Subject: file,
			Detail: "debug ID " + id + " matches no bundle under the PATHs",
			Fix:    "the build that ran is not this one, or it was rebuilt after injection: inject and upload the exact files you deploy"})
	}
	// Frames whose file has no image were run from a bundle without the snippet.
	seen := map[string]bool{}
	for _, v := range ev.Exception.Values {
		if v.Stacktrace == nil {
			continue
		}
		for _, f := range v.Stacktrace.Frames {
			file := f.absPath()
			if file == "" || f.Lineno == 0 || seen[file] || !looksLikeScript(file) {
				continue
			}
			seen[file] = true
			if _, ok := images[file]; !ok {
				res.Findings = append(res.Findings, Finding{Status: StatusWarn, Subject: file,
					Detail: "frames from this file carry no debug ID: it was loaded without the debug ID snippet",
					Fix:    "run mapback sourcemaps inject on the build before deploying it"})
			}
		}
	}
	res.Detail = fmt.Sprintf("%d debug ID(s) in the event, %d match a local bundle", len(images), matched)
	return res
}

// noImagesFix explains a missing debug_meta by the SDK version when the event names one.
func noImagesFix(ev sentryEvent) string {
	if ev.SDK != nil && ev.SDK.Version != "" && versionLess(ev.SDK.Version, minDebugIDSDK) {
		return fmt.Sprintf("%s %s predates debug IDs: upgrade the Sentry SDK to %s or newer, or upload with --release and set the same release in Sentry.init", ev.SDK.Name, ev.SDK.Version, minDebugIDSDK)
	}
	return "the bundles that ran were not injected: run mapback sourcemaps inject on the build before deploying it (the deployed files must be the injected ones)"
}

// localDebugIDs maps each debug ID found in a bundle's //# debugId= comment to the bundle's path.
func (e *Env) localDebugIDs(ctx context.Context) (map[string]string, error) {
	scan, err := e.Scan(ctx)
	if err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, b := range scan.Bundles {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := rawfile.ReadFile(b.Path)
		if err != nil {
			continue // the debug-ids check reports unreadable bundles
		}
		if id, ok := debugid.FindComment(data); ok {
			if _, dup := ids[id.String()]; !dup {
				ids[id.String()] = b.Path
			}
		}
	}
	return ids, nil
}

// sortedImages iterates images in code_file order, so findings are deterministic.
func sortedImages(images map[string]string) func(yield func(string, string) bool) {
	return func(yield func(string, string) bool) {
		keys := make([]string, 0, len(images))
		for k := range images {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !yield(k, images[k]) {
				return
			}
		}
	}
}

func looksLikeScript(file string) bool {
	f, _, _ := strings.Cut(file, "?")
	for _, ext := range []string{".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx"} {
		if strings.HasSuffix(f, ext) {
			return true
		}
	}
	return false
}

// versionLess compares dotted versions numerically ("7.46.0" < "7.47.0" < "10.1.0"); a
// pre-release suffix ("-beta.1") is ignored.
func versionLess(a, b string) bool {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < 3; i++ {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return false
}

func versionParts(v string) [3]int {
	v, _, _ = strings.Cut(v, "-")
	var out [3]int
	for i, p := range strings.SplitN(v, ".", 3) {
		n, _ := strconv.Atoi(p)
		out[i] = n
	}
	return out
}
