// Command benchreport turns the output of testdata/bench/run.sh into the results table of
// docs/benchmarks.md.
//
// run.sh leaves three kinds of files in its results directory:
//   - manifest.tsv: one tab-separated row per case: id, description, data, hyperfine export file,
//     mapback peak RSS (KiB), reference peak RSS (KiB), mapback command, reference command;
//   - <id>.json: hyperfine's --export-json for the case, commands named "mapback" and "reference";
//   - meta.txt: key=value lines describing the machine and the run;
//   - wire.tsv (optional): one row per tree from wire-bytes.sh: name, files, input bytes, bytes
//     mapback sent, bytes the reference sent.
//
// benchreport renders them as Markdown and replaces whatever stands between the
// <!-- bench:begin --> and <!-- bench:end --> markers, leaving the rest of the document as written
// by hand. Usage: go run ./internal/benchreport -results .cache/bench/results -doc docs/benchmarks.md
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	beginMarker = "<!-- bench:begin -->"
	endMarker   = "<!-- bench:end -->"
)

// hyperfineResult is the part of one entry of hyperfine's JSON "results" array that we use.
// Times are in seconds.
type hyperfineResult struct {
	Command string    `json:"command"`
	Median  float64   `json:"median"`
	Times   []float64 `json:"times"`
}

// benchCase is one row of the table: a manifest row joined with its hyperfine export.
type benchCase struct {
	ID, Description, Data        string
	MapbackCmd, ReferenceCmd     string
	Mapback, Reference           hyperfineResult
	MapbackRSSKB, ReferenceRSSKB int64
}

// meta holds meta.txt in file order, so the rendered header is stable.
type meta struct {
	keys   []string
	values map[string]string
}

func (m meta) get(k string) string {
	if v, ok := m.values[k]; ok && v != "" {
		return v
	}
	return "unknown"
}

func main() {
	results := flag.String("results", ".cache/bench/results", "directory written by testdata/bench/run.sh")
	doc := flag.String("doc", "docs/benchmarks.md", "Markdown file whose bench markers are rewritten")
	flag.Parse()
	if err := run(*results, *doc); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(resultsDir, docPath string) error {
	m, err := readMeta(filepath.Join(resultsDir, "meta.txt"))
	if err != nil {
		return err
	}
	cases, err := readCases(resultsDir)
	if err != nil {
		return err
	}
	wire, err := readWire(filepath.Join(resultsDir, "wire.tsv"))
	if err != nil {
		return err
	}
	old, err := os.ReadFile(docPath)
	if err != nil {
		return err
	}
	updated, err := replaceBlock(string(old), render(m, cases)+renderWire(wire))
	if err != nil {
		return fmt.Errorf("%s: %w", docPath, err)
	}
	// Write a sibling and rename, so an error never leaves a truncated document behind.
	tmp := docPath + ".tmp"
	if err := os.WriteFile(tmp, []byte(updated), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, docPath)
}

func readMeta(path string) (meta, error) {
	f, err := os.Open(path)
	if err != nil {
		return meta{}, err
	}
	defer f.Close()
	m := meta{values: map[string]string{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		m.keys = append(m.keys, k)
		m.values[k] = strings.TrimSpace(v)
	}
	return m, sc.Err()
}

// readCases reads manifest.tsv and the hyperfine export each row names.
func readCases(dir string) ([]benchCase, error) {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		return nil, err
	}
	var cases []benchCase
	for n, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 8 {
			return nil, fmt.Errorf("manifest.tsv line %d: %d fields, want 8", n+1, len(f))
		}
		c := benchCase{ID: f[0], Description: f[1], Data: f[2], MapbackCmd: f[6], ReferenceCmd: f[7]}
		// An unparsable RSS (e.g. GNU time missing) shows as 0 rather than failing the whole report.
		c.MapbackRSSKB, _ = strconv.ParseInt(f[4], 10, 64)
		c.ReferenceRSSKB, _ = strconv.ParseInt(f[5], 10, 64)
		jf, err := os.Open(filepath.Join(dir, f[3]))
		if err != nil {
			return nil, err
		}
		c.Mapback, c.Reference, err = parseHyperfine(jf)
		jf.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f[3], err)
		}
		cases = append(cases, c)
	}
	return cases, nil
}

// wireRow is one tree's bytes on the wire, as wire-bytes.sh measured them.
type wireRow struct {
	Tree                      string
	Files                     int
	Input, Mapback, Reference int64
}

// readWire reads wire.tsv; a missing file means the run measured no bytes.
func readWire(path string) ([]wireRow, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rows []wireRow
	for n, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			return nil, fmt.Errorf("wire.tsv line %d: %d fields, want 5", n+1, len(f))
		}
		r := wireRow{Tree: f[0]}
		var errs [4]error
		r.Files, errs[0] = strconv.Atoi(f[1])
		r.Input, errs[1] = strconv.ParseInt(f[2], 10, 64)
		r.Mapback, errs[2] = strconv.ParseInt(f[3], 10, 64)
		r.Reference, errs[3] = strconv.ParseInt(f[4], 10, 64)
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("wire.tsv line %d: %w", n+1, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// renderWire is the bytes-on-the-wire table, or nothing without measurements.
func renderWire(rows []wireRow) string {
	if len(rows) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nBytes on the wire (`testdata/bench/wire-bytes.sh`: request bodies the dev-server received for one first upload of each tree, as sent):\n\n")
	b.WriteString("| tree | files | input (MB) | mapback (MB) | reference (MB) | ratio (mapback/reference) |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s |\n", escapeCell(r.Tree), r.Files, megabytes(r.Input),
			megabytes(r.Mapback), megabytes(r.Reference), ratio(float64(r.Mapback), float64(r.Reference)))
	}
	return b.String()
}

// megabytes formats a byte count in decimal MB with two decimals.
func megabytes(n int64) string { return strconv.FormatFloat(float64(n)/1e6, 'f', 2, 64) }

// parseHyperfine returns the "mapback" and "reference" results of one hyperfine export. run.sh names
// the commands with --command-name; exports without names fall back to order (mapback first).
func parseHyperfine(r io.Reader) (mapback, reference hyperfineResult, err error) {
	var export struct {
		Results []hyperfineResult `json:"results"`
	}
	if err = json.NewDecoder(r).Decode(&export); err != nil {
		return
	}
	if len(export.Results) != 2 {
		err = fmt.Errorf("%d results, want 2 (mapback and reference)", len(export.Results))
		return
	}
	mapback, reference = export.Results[0], export.Results[1]
	if mapback.Command == "reference" && reference.Command == "mapback" {
		mapback, reference = reference, mapback
	}
	return
}

// render builds the Markdown placed between the markers: provenance first (numbers without the
// machine and commit they came from are not comparable), then the table, then the exact commands.
func render(m meta, cases []benchCase) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Produced by `%s` on %s.\n", m.get("command"), m.get("date"))
	fmt.Fprintf(&b, "Machine: %s, %s CPUs (nproc), %s. mapback commit %s; reference %s; %s; %s.\n\n",
		m.get("arch"), m.get("nproc"), m.get("cpu"), m.get("commit"), m.get("reference"),
		m.get("hyperfine"), m.get("go"))
	b.WriteString("| case | data | mapback median (ms) | reference median (ms) | ratio (mapback/reference) | mapback peak RSS (MB) | reference peak RSS (MB) | runs |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|\n")
	for _, c := range cases {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
			c.ID, escapeCell(c.Data), ms(c.Mapback.Median), ms(c.Reference.Median),
			ratio(c.Mapback.Median, c.Reference.Median), mb(c.MapbackRSSKB), mb(c.ReferenceRSSKB),
			runs(len(c.Mapback.Times), len(c.Reference.Times)))
	}
	b.WriteString("\nCases (variables as defined in `testdata/bench/cases.sh`):\n\n")
	for _, c := range cases {
		fmt.Fprintf(&b, "- **%s**: %s mapback: `%s`; reference: `%s`.\n", c.ID, c.Description, c.MapbackCmd, c.ReferenceCmd)
	}
	return b.String()
}

// ms formats seconds as milliseconds, with more decimals for short times so that start-up cases
// (a few ms) do not round to the same number.
func ms(sec float64) string {
	v := sec * 1000
	switch {
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
}

// ratio is mapback's median over the reference's: below 1 means mapback is faster.
func ratio(mapback, reference float64) string {
	if reference <= 0 {
		return "n/a"
	}
	return strconv.FormatFloat(mapback/reference, 'f', 2, 64)
}

// mb converts GNU time's KiB to decimal MB, the unit used for file sizes in the docs.
func mb(kib int64) string {
	if kib <= 0 {
		return "n/a"
	}
	return strconv.FormatFloat(float64(kib)*1024/1e6, 'f', 1, 64)
}

// runs shows one count when both sides ran equally often, as they do with hyperfine --runs.
func runs(a, b int) string {
	if a == b {
		return strconv.Itoa(a)
	}
	return fmt.Sprintf("%d/%d", a, b)
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// replaceBlock puts block between the markers, each marker kept on its own line.
func replaceBlock(doc, block string) (string, error) {
	i := strings.Index(doc, beginMarker)
	j := strings.Index(doc, endMarker)
	switch {
	case i < 0 || j < 0:
		return "", errors.New("missing " + beginMarker + " or " + endMarker)
	case j < i:
		return "", errors.New(endMarker + " comes before " + beginMarker)
	case strings.Count(doc, beginMarker) != 1 || strings.Count(doc, endMarker) != 1:
		return "", errors.New("bench markers must appear exactly once")
	}
	return doc[:i+len(beginMarker)] + "\n" + block + doc[j:], nil
}
