package resolve

import (
	"encoding/json"
	"io"
	"sort"
	"strings"

	"github.com/mapback/mapback/internal/stacktrace"
)

// The --json report (docs/internals/resolve.md §11.2): every input line in order, each
// frame with its minified and original position, how the map was found and,
// when unresolved, a status and a reason. Lines and columns are 1-based.
type jsonReport struct {
	Version int        `json:"version"`
	Lines   []jsonLine `json:"lines"`
	Summary jsonSum    `json:"summary"`
}

type jsonLine struct {
	N int `json:"n"`
	// InputLine is, for JSON input, the input line the trace text is in
	// (a JSON string holds a whole trace on one line).
	InputLine int        `json:"input_line,omitempty"`
	Kind      string     `json:"kind"` // header, frame, other
	Text      string     `json:"text"`
	Frame     *jsonFrame `json:"frame,omitempty"`
}

type jsonFrame struct {
	Dialect     string        `json:"dialect"`
	Function    string        `json:"function"`
	Async       bool          `json:"async"`
	Constructor bool          `json:"constructor"`
	File        *string       `json:"file"`
	Line        int           `json:"line,omitempty"`
	Column      int           `json:"column,omitempty"`
	Status      string        `json:"status"`
	Reason      string        `json:"reason,omitempty"`
	Warnings    []string      `json:"warnings,omitempty"`
	Map         *jsonMap      `json:"map,omitempty"`
	Original    *jsonOriginal `json:"original,omitempty"`
	Output      string        `json:"output,omitempty"`
}

type jsonMap struct {
	Path    string  `json:"path"` // "" for an inline map
	FoundBy string  `json:"found_by"`
	DebugID *string `json:"debug_id"`
	// Chain lists the intermediate positions a frame went through, each
	// looked up in the next map, when its original file had a map of its
	// own; ChainStopped says why a chain ended before a file's own map.
	Chain        []link `json:"chain,omitempty"`
	ChainStopped string `json:"chain_stopped,omitempty"`
	// SourceRootIgnored says why the map's sourceRoot was left out.
	SourceRootIgnored string `json:"source_root_ignored,omitempty"`
}

type jsonOriginal struct {
	File         string         `json:"file"`
	Line         int            `json:"line"`
	Column       int            `json:"column"`
	Function     string         `json:"function,omitempty"`
	FunctionFrom string         `json:"function_from"`
	TokenName    *string        `json:"token_name"`
	InApp        bool           `json:"in_app"`
	Ignored      bool           `json:"ignored"`
	Context      *sourceContext `json:"context,omitempty"`
}

type jsonSum struct {
	Frames     int      `json:"frames"`
	Resolved   int      `json:"resolved"`
	Unresolved int      `json:"unresolved"`
	MapsUsed   []string `json:"maps_used"`
	Warnings   []string `json:"warnings"`
}

func writeJSON(w io.Writer, lines []stacktrace.Line, results []resolved, contexts []*sourceContext, sum Summary) error {
	return writeJSONLines(w, lines, results, contexts, sum, nil)
}

// writeJSONLines is writeJSON with the input line of each line (JSON input).
func writeJSONLines(w io.Writer, lines []stacktrace.Line, results []resolved, contexts []*sourceContext, sum Summary, inputLine []int) error {
	var framed []resolved
	for i, l := range lines {
		if l.Frame != nil {
			framed = append(framed, results[i])
		}
	}
	rep := jsonReport{Version: 1, Summary: summaryJSON(sum, framed)}
	for i, l := range lines {
		jl := jsonLine{N: i + 1, Kind: "other", Text: l.Text}
		if inputLine != nil {
			jl.InputLine = inputLine[i]
		}
		switch {
		case l.Frame != nil:
			jl.Kind = "frame"
			jl.Frame = frameJSON(l, results[i], contexts[i])
		case isHeader(lines, i):
			jl.Kind = "header"
		}
		rep.Lines = append(rep.Lines, jl)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func frameJSON(l stacktrace.Line, r resolved, c *sourceContext) *jsonFrame {
	jf := frameReport(l.Frame, r, c)
	if r.ok {
		jf.Output = stacktrace.RenderString([]stacktrace.Line{l})
		jf.Output = strings.TrimSuffix(strings.TrimSuffix(jf.Output, "\n"), "\r")
	}
	return jf
}

// frameReport is a frame's --json entry without the rewritten line: f as
// the input gave it, r what became of it.
func frameReport(f *stacktrace.Frame, r resolved, c *sourceContext) *jsonFrame {
	jf := &jsonFrame{
		Dialect: string(f.Dialect), Function: f.Function, Async: f.Async, Constructor: f.Constructor,
		Line: f.Line, Column: f.Column, Status: r.status, Reason: r.reason, Warnings: r.warnings,
	}
	if f.File != "" {
		file := f.File
		jf.File = &file
	}
	if r.foundBy != "" {
		jm := &jsonMap{Path: r.mapPath, FoundBy: r.foundBy, Chain: r.chain, ChainStopped: r.chainStop, SourceRootIgnored: r.sourceRootIgnored}
		if r.debugID != "" {
			id := r.debugID
			jm.DebugID = &id
		}
		jf.Map = jm
	}
	if !r.ok {
		return jf
	}
	o := &jsonOriginal{
		File: r.file, Line: r.mapping.Line + 1, Column: r.mapping.Column + 1,
		Function: r.name, FunctionFrom: r.nameFrom, InApp: r.inApp(), Ignored: r.mapping.Ignored,
		Context: c,
	}
	if o.Function == "" {
		o.Function = f.Function
	}
	if r.callName != "" {
		name := r.callName
		o.TokenName = &name
	}
	jf.Original = o
	return jf
}

// jsonEventReport is --json for a Sentry event: every exception frame, in
// the event's order (oldest call first), with what became of it.
type jsonEventReport struct {
	Version int              `json:"version"`
	Input   string           `json:"input"` // "sentry_event"
	Frames  []jsonEventFrame `json:"frames"`
	Summary jsonSum          `json:"summary"`
}

type jsonEventFrame struct {
	Exception int `json:"exception"` // index in exception.values
	Index     int `json:"index"`     // index in its stacktrace.frames
	*jsonFrame
}

// summaryJSON is the summary of a run, for both reports.
func summaryJSON(sum Summary, results []resolved) jsonSum {
	js := jsonSum{Frames: sum.Frames, Resolved: sum.Resolved, Unresolved: sum.Unresolved, MapsUsed: []string{}, Warnings: append([]string{}, sum.Warnings...)}
	used := map[string]bool{}
	for _, r := range results {
		if r.ok && r.mapPath != "" && !used[r.mapPath] {
			used[r.mapPath] = true
			js.MapsUsed = append(js.MapsUsed, r.mapPath)
		}
	}
	sort.Strings(js.MapsUsed)
	return js
}

// isHeader: a non-frame line directly followed by a frame is the error's
// header ("TypeError: …", "[cause]: Error: …").
func isHeader(lines []stacktrace.Line, i int) bool {
	return i+1 < len(lines) && lines[i+1].Frame != nil && lines[i].Frame == nil && !lines[i].Cont && strings.TrimSpace(lines[i].Text) != ""
}

// inApp tells a resolved frame in application code from one in a library or
// a runtime: by its path, and by the map's ignore list, which names
// third-party sources the path alone does not show.
func (r resolved) inApp() bool { return inApp(r.file) && !r.mapping.Ignored }

// inApp tells application code from libraries and runtimes by the path.
func inApp(file string) bool {
	for _, marker := range []string{"node_modules/", "node:", "ext:", "webpack/runtime", "webpack/bootstrap", "chrome-extension://", "moz-extension://", "safari-extension:", "safari-web-extension:"} {
		if strings.Contains(file, marker) {
			return false
		}
	}
	return true
}
