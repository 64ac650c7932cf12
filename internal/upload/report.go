package upload

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mapback/mapback/internal/term"
)

// WriteText prints the report for a person, on stderr: what went into the bundle, what was sent,
// and what the server said.
func WriteText(w io.Writer, r *Report, cs term.ColorScheme) {
	for _, s := range r.Warnings {
		fmt.Fprintf(w, "%s %s\n", cs.Yellow("warning:"), s)
	}
	for _, s := range r.Excluded {
		fmt.Fprintf(w, "%s %s not bundled: %s\n", cs.Yellow("warning:"), s.Path, s.Reason)
	}
	fmt.Fprintf(w, "%s %s: %d script(s), %d map(s), %s\n", cs.Bold("Artifact bundle"), r.BundleDebugID,
		len(r.Scripts), len(r.Maps), term.FormatBytes(r.BundleSize))
	// Each script with the map it was paired with, so a missing or mismatched debug ID shows next
	// to the file it breaks; maps no script claims come last.
	mapsByPath := make(map[string]MapFile, len(r.Maps))
	for _, m := range r.Maps {
		mapsByPath[m.Path] = m
	}
	width := 0
	for _, s := range r.Scripts {
		width = max(width, len(s.URL))
	}
	claimed := map[string]bool{}
	for _, s := range r.Scripts {
		id := s.DebugID
		if id == "" {
			id = cs.Yellow("no debug ID")
		}
		line := fmt.Sprintf("  %-*s  %s", width, s.URL, id)
		switch m, ok := mapsByPath[s.Map]; {
		case ok:
			claimed[m.Path] = true
			line += "  map " + m.URL
			if m.DebugID != s.DebugID && s.DebugID != "" {
				line += " " + cs.Yellow("(its debug ID differs: "+orNone(m.DebugID)+")")
			}
		case s.Map == "inline":
			line += "  inline map"
		case s.SourceMap != "":
			line += "  sourcemap " + shorten(s.SourceMap) + cs.Dim(" (not in this upload)")
		default:
			line += cs.Dim("  no map")
		}
		fmt.Fprintln(w, line)
	}
	for _, m := range r.Maps {
		if !claimed[m.Path] {
			fmt.Fprintf(w, "  %-*s  %s  %s\n", width, m.URL, orNone(m.DebugID), cs.Dim("(map without a script here)"))
		}
	}
	if r.BundleOut != "" {
		fmt.Fprintf(w, "Bundle written to %s\n", r.BundleOut)
	}
	c := r.Chunks
	if r.DryRun {
		fmt.Fprintf(w, "Dry run: nothing was sent. With %s chunks the bundle is %d chunk(s); checksum %s.\n",
			term.FormatBytes(c.Size), c.Total, r.Checksum)
		return
	}
	if c.Total == 0 {
		return // failed before the chunks were known; the error says why
	}
	if r.Error != "" && !c.Answered {
		fmt.Fprintln(w, "Nothing was sent: the server never said which chunks it lacks.")
		return
	}
	if r.Error != "" && c.Sent < c.Missing {
		fmt.Fprintf(w, "Sent %d of the %d missing chunk(s) (%s) before the failure; run the same upload again to send the rest.\n",
			c.Sent, c.Missing, term.FormatBytes(c.SentBytes))
		return
	}
	if c.Sent == 0 {
		fmt.Fprintf(w, "Nothing to upload: all %d chunk(s) were already on the server.\n", c.Total)
		switch {
		case r.FromCache && r.TreeUnchanged:
			fmt.Fprintln(w, cs.Dim("(No file changed since an earlier upload, by size, times and inode, so none was read and the bundle was not built again.)"))
		case r.FromCache:
			fmt.Fprintln(w, cs.Dim("(The files are unchanged since an earlier upload, so the bundle was not built again.)"))
		}
	} else {
		fmt.Fprintf(w, "Uploaded %d of %d chunk(s) (%s in %d request(s)); %d already on the server.\n",
			c.Sent, c.Total, term.FormatBytes(c.SentBytes), c.Requests, c.Total-c.Sent)
	}
	if r.Error != "" {
		return // the error and its fix follow; "Done" would contradict them
	}
	switch r.State {
	case "ok":
		fmt.Fprintln(w, cs.Green("Done:")+" the server has processed the bundle.")
	case "created", "assembling":
		fmt.Fprintln(w, cs.Green("Done:")+" upload complete; processing is pending on the server (use --wait to wait for it).")
	}
}

func orNone(id string) string {
	if id == "" {
		return "no debug ID"
	}
	return id
}

// shorten keeps a data: URL header from filling the terminal.
func shorten(s string) string {
	if len(s) > 80 {
		return s[:60] + "…"
	}
	return s
}

// WriteJSON prints the report as one JSON document.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// atomicFile is --bundle-out written as the bundle is produced, through a temporary file in the
// same directory, so the path holds either the complete bundle or what it held before.
type atomicFile struct {
	path string
	f    *os.File
}

func createAtomic(ctx context.Context, path string) (*atomicFile, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("--bundle-out %s: %w", path, unwrapPathError(err))
	}
	a := &atomicFile{path: path, f: f}
	if err := f.Chmod(0o644); err != nil { // CreateTemp makes 0600; a bundle is no secret and CI artefact steps read it
		a.abort()
		return nil, fmt.Errorf("--bundle-out %s: %w", path, unwrapPathError(err))
	}
	return a, nil
}

func (a *atomicFile) Write(p []byte) (int, error) {
	n, err := a.f.Write(p)
	if err != nil {
		err = fmt.Errorf("--bundle-out %s: %w", a.path, unwrapPathError(err))
	}
	return n, err
}

// commit makes the file durable and moves it into place.
func (a *atomicFile) commit() error {
	err := a.f.Sync()
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(a.f.Name(), a.path)
	}
	if err != nil {
		_ = os.Remove(a.f.Name())
		return fmt.Errorf("--bundle-out %s: %w", a.path, unwrapPathError(err))
	}
	return nil
}

// abort removes the temporary file, leaving the path as it was.
func (a *atomicFile) abort() {
	_ = a.f.Close()
	_ = os.Remove(a.f.Name())
}
