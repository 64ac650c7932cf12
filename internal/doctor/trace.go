package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/mapback/mapback/internal/artifactbundle"
	"github.com/mapback/mapback/internal/readcap"
	"github.com/mapback/mapback/internal/resolve"
	"github.com/mapback/mapback/internal/upload"
)

// traceFrame is the part of `mapback resolve --json` (docs/resolve.md) this check reads: doctor asks
// resolve exactly what a user's `mapback resolve` would do with the trace, then explains it.
type traceFrame struct {
	File   *string `json:"file"`
	Line   int     `json:"line"`
	Column int     `json:"column"`
	Status string  `json:"status"`
	Reason string  `json:"reason"`
	Map    *struct {
		Path    string  `json:"path"`
		FoundBy string  `json:"found_by"`
		DebugID *string `json:"debug_id"`
	} `json:"map"`
	Original *struct {
		File   string `json:"file"`
		Line   int    `json:"line"`
		Column int    `json:"column"`
	} `json:"original"`
}

type traceReport struct {
	Lines []struct {
		Frame *traceFrame `json:"frame"`
	} `json:"lines"`
}

// checkTrace follows every frame of --trace: which local bundle it matches and how, whether that
// bundle has a debug ID, whether the position maps, and whether the server could find the file by
// URL — above all when the frame's URL and the uploaded URL differ by a prefix, where it gives the
// exact --url-prefix that fixes it.
func checkTrace(ctx context.Context, env *Env) Result {
	if env.TraceFile == "" {
		return skip("no --trace FILE given")
	}
	data, err := readcap.File(env.TraceFile, readcap.Input, env.TraceFile)
	if err != nil {
		return Result{Status: StatusFail, Detail: fmt.Sprintf("cannot read %s: %v", env.TraceFile, unwrapPathErr(err)), Fix: "pass the file that holds the stack trace"}
	}
	var out bytes.Buffer
	if _, err := resolve.Run(ctx, resolve.Options{Maps: env.paths(), Names: resolve.NamesMinified, JSON: true}, bytes.NewReader(data), &out); err != nil {
		return Result{Status: StatusFail, Detail: fmt.Sprintf("resolving %s: %v", env.TraceFile, err)}
	}
	var rep traceReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return Result{Status: StatusFail, Detail: "reading resolve's report: " + err.Error()}
	}
	idx, err := resolve.NewIndex(ctx, env.paths())
	if err != nil {
		return Result{Status: StatusFail, Detail: err.Error()}
	}

	var res Result
	frames, resolved := 0, 0
	urlChecked := map[string]bool{} // one URL finding per file, not per frame
	why := map[string]int{}         // frames per resolve status
	for _, l := range rep.Lines {
		f := l.Frame
		if f == nil || f.File == nil || f.Status == resolve.StatusNotResolvable {
			continue // native code, eval bodies, lines that are not frames
		}
		frames++
		why[f.Status]++
		subject := fmt.Sprintf("%s:%d:%d", *f.File, f.Line, f.Column)
		fd := frameFinding(f)
		fd.Subject = subject
		if f.Status == resolve.StatusResolved {
			resolved++
		}
		res.Findings = append(res.Findings, fd)
		if urlChecked[*f.File] {
			continue
		}
		urlChecked[*f.File] = true
		if b := idx.Match(*f.File); b != nil && !strings.HasPrefix(b.Path, "artifact:") {
			if u := env.urlFinding(*f.File, b.Root, b.Path, f.Map != nil && f.Map.DebugID != nil); u != nil {
				u.Subject = *f.File
				res.Findings = append(res.Findings, *u)
			}
		}
	}
	if frames == 0 {
		return Result{Status: StatusFail, Detail: "no stack frames with a file found in " + env.TraceFile,
			Fix: "paste the whole stack trace, including the lines that start with 'at' (or 'func@file:line:col')"}
	}
	res.Detail = fmt.Sprintf("%d of %d frames resolve to original code", resolved, frames)
	if resolved == 0 {
		// Each frame's finding may be only a warning (no mapping at one position happens), but a
		// trace of which nothing resolves is still minified: that is the failure.
		res.Status = StatusFail
		res.Detail, res.Fix = noFrameResolves(frames, why)
	}
	return res
}

// noFrameResolves is the detail and fix of a trace none of whose frames resolves, by what the
// frames have in common.
func noFrameResolves(frames int, why map[string]int) (detail, fix string) {
	detail = fmt.Sprintf("none of the %d frames resolves", frames)
	if frames == 1 {
		detail = "the trace's only frame does not resolve"
	}
	if len(why) > 1 {
		var parts []string
		for _, st := range []string{resolve.StatusNoFile, resolve.StatusNoMapping, resolve.StatusNoMap, resolve.StatusAmbiguous} {
			if n := why[st]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, traceWhy(st)))
				delete(why, st)
			}
		}
		n := 0
		for _, c := range why {
			n += c
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d with a broken map", n))
		}
		return detail + " (" + strings.Join(parts, ", ") + ")", "fix each frame's problem below, starting with the first"
	}
	for st := range why {
		switch st {
		case resolve.StatusNoMapping:
			return detail + ": every frame lands where its map has no mapping",
				"the deployed bundle is not the one here (rebuilt or injected since it was deployed): run doctor on the exact files that were deployed, or deploy this build and record a new trace"
		case resolve.StatusNoFile:
			return detail + ": no frame's file matches a bundle under the PATHs",
				"wrong PATH: point doctor at the output directory of the build that produced this trace (the files it served, e.g. ./dist)"
		case resolve.StatusNoMap:
			return detail + ": the bundles the frames run in have no source map", "generate source maps (see the first check), then deploy and upload that build"
		case resolve.StatusAmbiguous:
			return detail + ": several bundles match each frame's file", "point doctor at the one build directory that produced the trace"
		default:
			return detail + ": the maps of the bundles the frames run in are broken", "fix the maps (see the second check)"
		}
	}
	return detail, ""
}

// traceWhy says in a few words why frames with one resolve status do not resolve.
func traceWhy(status string) string {
	switch status {
	case resolve.StatusNoFile:
		return "without a matching bundle"
	case resolve.StatusNoMapping:
		return "without a mapping at their position"
	case resolve.StatusNoMap:
		return "in a bundle without a map"
	case resolve.StatusAmbiguous:
		return "matching several bundles"
	}
	return status
}

// frameFinding turns resolve's status for one frame into a finding with a fix.
func frameFinding(f *traceFrame) Finding {
	switch f.Status {
	case resolve.StatusResolved:
		d := "maps to " + fmt.Sprintf("%s:%d:%d", f.Original.File, f.Original.Line, f.Original.Column)
		if f.Map != nil {
			d += " (map found by " + f.Map.FoundBy + ")"
		}
		return Finding{Status: StatusOK, Detail: d}
	case resolve.StatusNoFile:
		return Finding{Status: StatusFail, Detail: "no bundle under the PATHs matches this file",
			Fix: "run doctor on the build that produced this trace (its output directory), or check that the file is part of the build"}
	case resolve.StatusAmbiguous:
		return Finding{Status: StatusWarn, Detail: "several bundles match this file equally well: " + f.Reason,
			Fix: "point doctor at the one build directory that produced the trace"}
	case resolve.StatusNoMap:
		return Finding{Status: StatusFail, Detail: "the bundle has no source map", Fix: "generate source maps (see the first check)"}
	case resolve.StatusNoMapping:
		return Finding{Status: StatusWarn, Detail: "the map has no mapping at this position: " + f.Reason,
			Fix: "make sure the bundle here is byte for byte the one that ran (rebuilt since?); code a bundler adds itself has no mapping"}
	default: // map_error and anything newer
		return Finding{Status: StatusFail, Detail: joinNonEmpty(": ", f.Status, f.Reason), Fix: "fix the map (see the second check)"}
	}
}

// urlFinding compares the URL the server would look up for a frame with the URL the matched local
// file gets when uploaded; nil when they agree. A mismatch fails when the bundle has no debug ID
// (the server can only match by URL) and warns otherwise (debug IDs match first; the URL is the
// fallback for events that lack them).
func (e *Env) urlFinding(frameFile, root, path string, hasDebugID bool) *Finding {
	// What the server really holds, when the upload check saw it; else what an upload of this
	// PATH with --url-prefix would give.
	uploaded, onServer := e.uploadedURLOf(path)
	if !onServer {
		var err error
		if uploaded, err = upload.FileURL(root, path, e.URLPrefix, ""); err != nil {
			return nil
		}
	}
	candidates := artifactbundle.CandidateURLs(frameFile)
	for _, c := range candidates {
		if c == uploaded {
			return nil
		}
	}
	want := candidates[len(candidates)-1] // the "~/path" form the server tries last
	how := "it is uploaded as " + uploaded
	if onServer {
		how = "holds it as " + uploaded
	} else if e.URLPrefix != "" && e.URLPrefix != "~" {
		how += " (with --url-prefix " + e.URLPrefix + ")"
	}
	f := &Finding{Status: StatusFail, Detail: fmt.Sprintf("the server looks this file up as %s but %s", want, how)}
	if hasDebugID {
		f.Status = StatusWarn
		f.Detail += " (matched by debug ID first, so this matters only for events without debug IDs)"
	}
	rel, _ := filepath.Rel(root, path)
	if info, err := os.Stat(root); err == nil && !info.IsDir() {
		rel = filepath.Base(path)
	}
	f.Fix = prefixFix(urlPathOf(frameFile), filepath.ToSlash(rel), root, e.serverFlag())
	return f
}

// prefixFix says how to upload so that a file at rel (relative to the uploaded PATH root) gets the
// URL path the frame has: a --url-prefix when the frame's path is longer, a different PATH when the
// local path is longer, or both. server is " --url <server>" when the server is not the default
// (Env.serverFlag), so that the pasted command uploads where doctor looked.
func prefixFix(framePath, rel, root, server string) string {
	fp := strings.Split(strings.Trim(framePath, "/"), "/")
	rp := strings.Split(rel, "/")
	k := 0
	for k < len(fp) && k < len(rp) && fp[len(fp)-1-k] == rp[len(rp)-1-k] {
		k++
	}
	if k == 0 {
		return "the file names differ: upload the file that was served as " + framePath
	}
	prefix := "~"
	if extra := fp[:len(fp)-k]; len(extra) > 0 {
		prefix = "~/" + strings.Join(extra, "/")
	}
	dir := root
	if extra := rp[:len(rp)-k]; len(extra) > 0 {
		dir = filepath.Join(root, filepath.FromSlash(strings.Join(extra, "/")))
	}
	flag := ""
	if prefix != "~" {
		flag = " --url-prefix '" + prefix + "'"
	}
	return "upload with: mapback sourcemaps upload" + server + flag + " " + shellArg(dir)
}

// urlPathOf is the path of a frame URL without query and fragment: "https://h/a/b.js?x" → "/a/b.js",
// "~/a/b.js" → "/a/b.js", "/abs/b.js" → "/abs/b.js".
func urlPathOf(u string) string {
	u, _, _ = strings.Cut(u, "#")
	u, _, _ = strings.Cut(u, "?")
	if strings.HasPrefix(u, "~/") {
		return u[1:]
	}
	if p, err := url.Parse(u); err == nil && p.Scheme != "" && len(p.Scheme) > 1 {
		return p.Path
	}
	return filepath.ToSlash(u)
}

func (e *Env) paths() []string {
	if len(e.Paths) == 0 {
		return []string{"."}
	}
	return e.Paths
}

// unwrapPathErr drops the path from an *os.PathError: messages name the file themselves.
func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
