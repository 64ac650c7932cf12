package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/mapback/mapback/internal/term"
)

// maxFindings bounds the findings printed per check: a tree of 300 bundles without maps needs the
// fix once, not 300 lines. --json has them all.
const maxFindings = 8

// symbol is the checklist mark of a status.
func symbol(s Status, cs term.ColorScheme) string {
	switch s {
	case StatusOK:
		return cs.Green("✓")
	case StatusWarn:
		return cs.Yellow("!")
	case StatusFail:
		return cs.Red("✗")
	default:
		return cs.Dim("-")
	}
}

// WriteText prints the checklist for a person (stderr): one line per check, under each problem
// the files or frames it concerns and the fix, and under a check that ran its context findings
// (the server settings and their sources), dimmed.
func WriteText(w io.Writer, r *Report, cs term.ColorScheme) {
	var failed, warned int
	for _, res := range r.Results {
		switch res.Status {
		case StatusFail:
			failed++
		case StatusWarn:
			warned++
		}
	}
	for _, res := range r.Results {
		title := res.Title
		if res.Status == StatusFail {
			title = cs.Bold(title)
		}
		line := symbol(res.Status, cs) + " " + title
		if res.Detail != "" {
			if res.Status == StatusSkip {
				line += cs.Dim(" — skipped: " + res.Detail)
			} else {
				line += ": " + res.Detail
			}
		}
		fmt.Fprintln(w, line)
		if res.Status == StatusSkip {
			continue
		}
		problem := res.Status == StatusWarn || res.Status == StatusFail
		fixes := map[string]bool{}
		shown := 0
		for _, f := range res.Findings {
			if f.Status != StatusWarn && f.Status != StatusFail {
				if f.Context {
					fmt.Fprintf(w, "    %s %s\n", cs.Dim("✓"), cs.Dim(joinNonEmpty(": ", f.Subject, f.Detail)))
				}
				continue
			}
			if !problem {
				continue
			}
			if shown == maxFindings {
				fmt.Fprintf(w, "    %s\n", cs.Dim(fmt.Sprintf("… and %d more (--json lists them all)", countProblems(res.Findings)-shown)))
				break
			}
			shown++
			subject := ""
			if f.Subject != "" {
				subject = f.Subject + ": "
			}
			fmt.Fprintf(w, "    %s %s%s\n", symbol(f.Status, cs), subject, f.Detail)
			if f.Fix != "" && f.Fix != res.Fix && !fixes[f.Fix] {
				fixes[f.Fix] = true
				fmt.Fprintf(w, "      %s %s\n", cs.Bold("fix:"), f.Fix)
			}
		}
		if res.Fix != "" && problem {
			fmt.Fprintf(w, "    %s %s\n", cs.Bold("fix:"), res.Fix)
		}
	}
	fmt.Fprintln(w)
	switch {
	case failed > 0:
		fmt.Fprintf(w, "%s %s, %s.\n", cs.Red("Found problems:"), plural(failed, "check failed", "checks failed"), plural(warned, "warning", "warnings"))
	case warned > 0:
		fmt.Fprintf(w, "%s %s; nothing failed.\n", cs.Yellow("Mostly fine:"), plural(warned, "warning", "warnings"))
	default:
		fmt.Fprintln(w, cs.Green("All checks passed."))
	}
}

func countProblems(fs []Finding) int {
	n := 0
	for _, f := range fs {
		if f.Status == StatusWarn || f.Status == StatusFail {
			n++
		}
	}
	return n
}

// WriteJSON prints the report as one JSON document (stdout).
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// joinNonEmpty joins the non-empty parts with sep.
func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
