package phupload

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/mapback/mapback/internal/term"
)

// WriteText writes the report for a person: one line per symbol set, the
// bundles that have none and why, and a summary.
func WriteText(w io.Writer, r *Report, cs term.ColorScheme) {
	where := "PostHog"
	if r.Host != "" {
		where += " " + r.Host
	}
	fmt.Fprintf(w, "%s: %d symbol set(s)\n", cs.Bold(where), len(r.Chunks))
	for _, c := range r.Chunks {
		mark := cs.Dim("=")
		switch c.Status {
		case StatusUploaded, StatusWouldUpload:
			mark = cs.Green("+")
		case StatusTooLarge, StatusFailed:
			mark = cs.Red("x")
		}
		line := fmt.Sprintf("  %s %s  %s  %s", mark, c.ChunkID, c.Bundle, term.FormatBytes(int64(c.Size)))
		if c.Reason != "" {
			line += ": " + c.Reason
		}
		fmt.Fprintln(w, line)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "  %s %s\n", cs.Yellow("-"), s)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "%s %s\n", cs.Yellow("warning:"), warn)
	}
	switch {
	case r.DryRun:
		fmt.Fprintf(w, "Dry run: nothing was sent; %d symbol set(s) would be offered to the server.\n", r.Count(StatusWouldUpload))
	case r.Error != "":
		fmt.Fprintf(w, "Uploaded %d symbol set(s) before the failure; run the same upload again to send the rest.\n", r.Count(StatusUploaded))
	default:
		fmt.Fprintf(w, "%d uploaded, %d already on the server, %d too large\n", r.Count(StatusUploaded), r.Count(StatusPresent), r.Count(StatusTooLarge))
	}
}

// WriteJSON writes the report as JSON.
func WriteJSON(w io.Writer, r *Report) error {
	if r.Chunks == nil {
		r.Chunks = []*Chunk{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
