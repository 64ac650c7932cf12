package resolve

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/mapback/mapback/internal/stacktrace"
)

// JSON logs. Stacks often reach a developer inside JSON: `wrangler tail
// --format json` streams one document per line with the stacks in
// exceptions[].stack and logs[].message[]; a Tail Worker receives TraceItems
// (an array of them in tail(events)); Node loggers such as pino and bunyan
// write NDJSON with err.stack. The stack is a JSON string, its line breaks
// escaped, so the trace parser sees none of it.
//
// resolve reads such input as JSON: every string value that holds a stack
// trace is resolved as a trace and written back in place, re-encoded; every
// other byte of the input is kept. The input is JSON when it is one JSON
// document (an object or an array, pretty-printed or not), or line by line:
// a line that is a JSON object or array is read as JSON, and each run of
// other lines as trace text, so a log that mixes both keeps both.

// piece is a part of the input resolved as a trace: the value of a JSON
// string that holds a stack (json), or a run of text lines. [start, end)
// is where it is in the input; inputLine the (1-based) line it starts on.
type piece struct {
	text       string
	start, end int
	inputLine  int
	json       bool
}

// jsonPieces splits JSON input into pieces; nil when the input is not JSON
// (then it is all trace text, read as before).
func jsonPieces(data []byte) []piece {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') && json.Valid(trimmed) {
		return stackStrings(data, 0, len(data), 1)
	}
	var out []piece
	jsonLines := 0
	textStart, textLine := -1, 0
	line := 1
	for off := 0; off < len(data); line++ {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += off + 1
		}
		if t := bytes.TrimSpace(data[off:end]); len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t) {
			if textStart >= 0 {
				out = append(out, piece{text: string(data[textStart:off]), start: textStart, end: off, inputLine: textLine})
				textStart = -1
			}
			jsonLines++
			out = append(out, stackStrings(data, off, end, line)...)
		} else if textStart < 0 {
			textStart, textLine = off, line
		}
		off = end
	}
	if jsonLines == 0 {
		return nil // no JSON line: trace text, read as before
	}
	if textStart >= 0 {
		out = append(out, piece{text: string(data[textStart:]), start: textStart, end: len(data), inputLine: textLine})
	}
	return out
}

// stackStrings finds the JSON string literals in data[from:to], valid JSON
// starting on input line line, whose values hold a stack frame.
func stackStrings(data []byte, from, to, line int) []piece {
	var out []piece
	for i := from; i < to; i++ {
		switch data[i] {
		case '\n':
			line++
			continue
		case '"':
		default:
			continue
		}
		j := i + 1
		for j < to && data[j] != '"' {
			if data[j] == '\\' {
				j++
			}
			j++
		}
		if j >= to {
			break
		}
		lit := data[i : j+1]
		// A trace has line breaks: a string without one is not read.
		if bytes.Contains(lit, []byte(`\n`)) || bytes.Contains(lit, []byte(`\r`)) || bytes.Contains(lit, []byte(`\u2028`)) {
			var s string
			if json.Unmarshal(lit, &s) == nil && hasFrame(s) {
				out = append(out, piece{text: s, start: i, end: j + 1, inputLine: line, json: true})
			}
		}
		i = j
	}
	return out
}

// hasFrame reports whether s holds at least one stack frame.
func hasFrame(s string) bool {
	for _, l := range stacktrace.ParseString(s) {
		if l.Frame != nil {
			return true
		}
	}
	return false
}

// encodeJSONString is s as a JSON string literal, HTML characters as they
// are (a log is not HTML).
func encodeJSONString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// runJSONLog resolves the pieces of JSON input together and writes the
// input back with each piece resolved in place: a JSON string re-encoded,
// a run of text lines as the trace renders it.
func (r *resolver) runJSONLog(data []byte, pieces []piece, out io.Writer) (Summary, error) {
	// One batch for all pieces, separated by a blank line so that no frame
	// takes another trace's frame for its caller.
	var all []stacktrace.Line
	type span struct{ from, to int }
	spans := make([]span, len(pieces))
	inputLine := []int{}
	for k, p := range pieces {
		if len(all) > 0 {
			all = append(all, stacktrace.Line{Term: "\n"})
			inputLine = append(inputLine, 0)
		}
		lines := stacktrace.ParseString(p.text)
		spans[k] = span{len(all), len(all) + len(lines)}
		all = append(all, lines...)
		for i := range lines {
			n := p.inputLine
			if !p.json {
				n += i
			}
			inputLine = append(inputLine, n)
		}
	}
	results, sum := r.resolveAll(all)
	contexts := make([]*sourceContext, len(all))
	for i := range results {
		contexts[i], _ = r.contextFor(results[i], r.opts.Context)
	}
	if r.opts.JSON {
		return sum, writeJSONLines(out, all, results, contexts, sum, inputLine)
	}
	var b bytes.Buffer
	prev := 0
	for k, p := range pieces {
		s := spans[k]
		lines, _ := withContext(all[s.from:s.to], results[s.from:s.to], contexts[s.from:s.to])
		text := stacktrace.RenderString(lines)
		b.Write(data[prev:p.start])
		if p.json {
			b.Write(encodeJSONString(text))
		} else {
			b.WriteString(text)
		}
		prev = p.end
	}
	b.Write(data[prev:])
	_, err := out.Write(b.Bytes())
	return sum, err
}
