package inject

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/mapback/mapback/internal/term"
)

// WriteJSON writes the report as JSON (for --json, on stdout).
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for people (on stderr): one section per
// outcome, each file with its debug ID, its map and how it was paired, and a
// one-line reason for everything skipped or failed.
func WriteText(w io.Writer, r *Report, cs term.ColorScheme) {
	for _, note := range r.Recovered {
		fmt.Fprintf(w, "%s %s\n", cs.Yellow("note:"), note)
	}
	if len(r.Pending) > 0 {
		fmt.Fprintf(w, "%s an earlier run was interrupted; run without --dry-run to finish it (%d leftover files)\n", cs.Yellow("note:"), len(r.Pending))
	}
	sections := []struct {
		status Status
		title  string
		mark   string
	}{
		{StatusModified, "Injected", cs.Green("+")},
		{StatusRepaired, "Repaired", cs.Green("~")},
		{StatusAlreadyInjected, "Already injected", cs.Dim("=")},
		{StatusSkipped, "Skipped", cs.Yellow("-")},
		{StatusFailed, "Failed", cs.Red("x")},
	}
	if r.DryRun {
		sections[0].title = "Would inject"
		sections[1].title = "Would repair"
	}
	for _, sec := range sections {
		n := r.Count(sec.status)
		if n == 0 {
			continue
		}
		fmt.Fprintf(w, "%s (%d):\n", cs.Bold(sec.title), n)
		for _, f := range r.Files {
			if f.Status != sec.status {
				continue
			}
			writeFile(w, f, sec.mark, cs)
		}
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "%s (%d):\n", cs.Bold("Not processed"), len(r.Skipped))
		for _, s := range r.Skipped {
			mark := cs.Yellow("-")
			if s.Error {
				mark = cs.Red("x")
			}
			fmt.Fprintf(w, "  %s %s: %s\n", mark, s.Path, s.Reason)
		}
	}
	if len(r.UnpairedMaps) > 0 {
		fmt.Fprintf(w, "%s (%d, left as they are):\n", cs.Bold("Maps no bundle refers to"), len(r.UnpairedMaps))
		for _, m := range r.UnpairedMaps {
			fmt.Fprintf(w, "  %s %s\n", cs.Dim("="), m)
		}
	}
	fmt.Fprintln(w, summary(r))
}

// WriteFailures writes one line per failed bundle, "path: reason": all that
// --quiet leaves of the report.
func WriteFailures(w io.Writer, r *Report) {
	for _, f := range r.Files {
		if f.Status == StatusFailed {
			fmt.Fprintf(w, "error: %s: %s\n", f.Path, f.Reason)
		}
	}
	for _, s := range r.Skipped {
		if s.Error {
			fmt.Fprintf(w, "error: %s: %s\n", s.Path, s.Reason)
		}
	}
}

func writeFile(w io.Writer, f FileReport, mark string, cs term.ColorScheme) {
	switch f.Status {
	case StatusSkipped, StatusFailed:
		fmt.Fprintf(w, "  %s %s: %s\n", mark, f.Path, f.Reason)
	default:
		id := f.DebugID
		if id == "" {
			id = f.ChunkID // PostHog alone
		}
		fmt.Fprintf(w, "  %s %s  %s\n", mark, id, f.Path)
		if f.ChunkID != "" && f.DebugID != "" {
			if f.ChunkID == f.DebugID {
				fmt.Fprintf(w, "      PostHog chunk ID: the same\n")
			} else {
				fmt.Fprintf(w, "      PostHog chunk ID %s\n", f.ChunkID)
			}
		}
		if f.Map == "" {
			fmt.Fprintf(w, "      no map (snippet at the end)\n")
		} else {
			line := "      map " + f.Map + " (" + pairingText(f) + ")"
			if f.MapOutside {
				line += ", outside the given paths"
			}
			if f.Status != StatusAlreadyInjected && !f.MapChanged {
				line += ", unchanged"
			}
			fmt.Fprintln(w, line)
		}
		if f.Status == StatusRepaired && f.Reason != "" {
			fmt.Fprintf(w, "      %s\n", f.Reason)
		}
	}
	for _, warn := range f.Warnings {
		fmt.Fprintf(w, "      %s %s\n", cs.Yellow("warning:"), warn)
	}
}

func pairingText(f FileReport) string {
	switch f.Pairing {
	case "sourceMappingURL":
		return "sourceMappingURL " + f.MapURL
	case "inline":
		return "inline data: URL"
	case "co-located":
		if f.MapURL != "" {
			return "found beside the bundle; sourceMappingURL " + f.MapURL + " did not lead to a file"
		}
		return "found beside the bundle"
	}
	return string(f.Pairing)
}

func summary(r *Report) string {
	s := fmt.Sprintf("%d injected, %d repaired, %d already injected, %d skipped, %d failed",
		r.Count(StatusModified), r.Count(StatusRepaired), r.Count(StatusAlreadyInjected),
		r.Count(StatusSkipped), r.Count(StatusFailed))
	if n := r.Unreadable(); n > 0 {
		s += fmt.Sprintf(", %d not readable (bundles in them were not injected)", n)
	}
	if r.DryRun {
		s += " (dry run: nothing was written)"
	}
	return s
}
