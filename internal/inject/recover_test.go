package inject

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/testkit"
)

// TestRecoverLeftovers builds each state a crash can leave a unit in (see
// the crash-safety comment in write.go) and checks the next run's recovery.
func TestRecoverLeftovers(t *testing.T) {
	type files map[string]string
	tests := []struct {
		name  string
		setup files // relative path → content; "" journal means unreadable
		want  files // after recovery; absent files must not exist
		note  string
	}{
		{
			name:  "crash while writing temporaries: no journal yet",
			setup: files{"a.js": "old", "a.js.map": "oldmap", ".a.js.mapback-tmp": "new-partial"},
			want:  files{"a.js": "old", "a.js.map": "oldmap"},
			note:  "removed",
		},
		{
			name: "journal written, commit point not reached",
			setup: files{"a.js": "old", "b.js": "old", "m/a.js.map": "oldmap",
				".a.js.mapback-tmp": "new", ".b.js.mapback-tmp": "new", "m/.a.js.map.mapback-tmp": "newmap",
				".a.js.mapback-journal": `{"targets":["a.js","b.js","m/a.js.map"]}`},
			want: files{"a.js": "old", "b.js": "old", "m/a.js.map": "oldmap"},
			note: "rolled back",
		},
		{
			name: "committed: bundle renamed, copy and map pending",
			setup: files{"a.js": "new", "b.js": "old", "m/a.js.map": "oldmap",
				".b.js.mapback-tmp": "new", "m/.a.js.map.mapback-tmp": "newmap",
				".a.js.mapback-journal": `{"targets":["a.js","b.js","m/a.js.map"]}`},
			want: files{"a.js": "new", "b.js": "new", "m/a.js.map": "newmap"},
			note: "completed",
		},
		{
			name: "committed: everything renamed, journal not yet removed",
			setup: files{"a.js": "new", "a.js.map": "newmap",
				".a.js.mapback-journal": `{"targets":["a.js","a.js.map"]}`},
			want: files{"a.js": "new", "a.js.map": "newmap"},
			note: "completed",
		},
		{
			name: "a batch journal: one unit committed with its map pending, one not reached, one done",
			setup: files{"a.js": "new", "a.js.map": "oldmap", "a.js.map.x": "keep",
				"b.js": "old", "b.js.map": "oldmap", "c.js": "new", "c.js.map": "newmap",
				".a.js.map.mapback-tmp": "newmap",
				".b.js.mapback-tmp":     "new", ".b.js.map.mapback-tmp": "newmap",
				".a.js.mapback-journal": `{"units":[["a.js","a.js.map"],["b.js","b.js.map"],["c.js","c.js.map"]]}`},
			want: files{"a.js": "new", "a.js.map": "newmap", "a.js.map.x": "keep",
				"b.js": "old", "b.js.map": "oldmap", "c.js": "new", "c.js.map": "newmap"},
			note: "rolled back an interrupted injection of",
		},
		{
			name: "a unit being undone: the copy's original is back, the bundle's waits, the map's temporary goes",
			setup: files{"a.js": "new", "a.max.js": "old", "a.js.map": "oldmap",
				".a.js.mapback-undo": "old", ".a.js.map.mapback-tmp": "newmap",
				".a.js.mapback-journal": `{"undo":[["a.js","a.max.js","a.js.map"]]}`},
			want: files{"a.js": "old", "a.max.js": "old", "a.js.map": "oldmap"},
			note: "finished undoing",
		},
		{
			name:  "an undo file with no journal: the journal was rewritten to undo it only after it was complete",
			setup: files{"a.js": "new", "a.js.map": "newmap", ".a.js.mapback-undo": "old"},
			want:  files{"a.js": "new", "a.js.map": "newmap"},
			note:  "removed",
		},
		{
			name: "unreadable journal: it is fsynced before any rename, so nothing was renamed",
			setup: files{"a.js": "old", ".a.js.mapback-tmp": "new",
				".a.js.mapback-journal": `{"targ`},
			want: files{"a.js": "old"},
			note: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var leftovers []string
			for rel, content := range tt.setup {
				p := filepath.Join(dir, rel)
				testkit.WriteFile(t, p, content)
				if strings.HasSuffix(rel, tempSuffix) || strings.HasSuffix(rel, undoSuffix) || strings.HasSuffix(rel, journalSuffix) {
					leftovers = append(leftovers, p)
				}
			}
			notes, err := recoverLeftovers(context.Background(), leftovers)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(notes, "\n"), tt.note) {
				t.Errorf("notes %q, want one containing %q", notes, tt.note)
			}
			got := snapshot(t, dir)
			for rel, content := range tt.want {
				if string(got[filepath.Join(dir, rel)]) != content {
					t.Errorf("%s = %q, want %q", rel, got[filepath.Join(dir, rel)], content)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("files left: %v", keys(got))
			}
		})
	}
}

// A full run finds leftovers through the scan, recovers them first, and only
// then pairs and injects, with pairing based on the recovered contents.
func TestRunRecoversBeforeScanningAgain(t *testing.T) {
	dir := t.TempDir()
	same := "var a=1;\n//# sourceMappingURL=lib.js.map\n"
	m := `{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}`
	for name, content := range map[string]string{"lib.js": same, "lib.max.js": same, "lib.js.map": m} {
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	// Inject once to learn the final bytes, then rebuild the state of a crash
	// right after the commit point: leader injected, copy and map pending.
	if _, err := Run(context.Background(), Options{Scan: scanOf(dir)}); err != nil {
		t.Fatal(err)
	}
	final := snapshot(t, dir)
	must(t, os.Rename(filepath.Join(dir, "lib.max.js"), filepath.Join(dir, ".lib.max.js.mapback-tmp")))
	must(t, os.WriteFile(filepath.Join(dir, "lib.max.js"), []byte(same), 0o644))
	must(t, os.Rename(filepath.Join(dir, "lib.js.map"), filepath.Join(dir, ".lib.js.map.mapback-tmp")))
	must(t, os.WriteFile(filepath.Join(dir, "lib.js.map"), []byte(m), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, ".lib.js.mapback-journal"), []byte(`{"targets":["lib.js","lib.max.js","lib.js.map"]}`), 0o644))

	report, err := Run(context.Background(), Options{Scan: scanOf(dir)})
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Recovered) != 1 || !strings.Contains(report.Recovered[0], "completed") {
		t.Errorf("recovered: %q", report.Recovered)
	}
	for _, f := range report.Files {
		if f.Status != StatusAlreadyInjected {
			t.Errorf("%s: %s %s", f.Path, f.Status, f.Reason)
		}
	}
	after := snapshot(t, dir)
	for p, b := range final {
		if string(after[p]) != string(b) {
			t.Errorf("%s differs from the uninterrupted result", p)
		}
	}
	if len(after) != len(final) {
		t.Errorf("files: %v", keys(after))
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// When the map cannot be replaced after the bundle was, the bundle is
// restored, the failure is reported on the bundle, and nothing is left over.
func TestSecondWriteFailureRestoresTheBundle(t *testing.T) {
	dir := t.TempDir()
	js := "var a=1;\n//# sourceMappingURL=a.js.map\n"
	m := `{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}`
	must(t, os.WriteFile(filepath.Join(dir, "a.js"), []byte(js), 0o640))
	must(t, os.WriteFile(filepath.Join(dir, "a.js.map"), []byte(m), 0o644))

	renameFile = func(from, to string) error {
		if strings.HasSuffix(to, ".map") {
			return &os.LinkError{Op: "rename", Old: from, New: to, Err: os.ErrPermission}
		}
		return os.Rename(from, to)
	}
	defer func() { renameFile = os.Rename }()

	report, err := Run(context.Background(), Options{Scan: scanOf(dir)})
	if err != nil {
		t.Fatal(err)
	}
	f := report.Files[0]
	if f.Status != StatusFailed || !strings.Contains(f.Reason, "the bundle was restored") {
		t.Fatalf("%s: %s", f.Status, f.Reason)
	}
	after := snapshot(t, dir)
	if string(after[filepath.Join(dir, "a.js")]) != js || string(after[filepath.Join(dir, "a.js.map")]) != m || len(after) != 2 {
		t.Errorf("files after the failure: %v", keys(after))
	}
	if st, _ := os.Stat(filepath.Join(dir, "a.js")); st.Mode().Perm() != 0o640 {
		t.Errorf("restored bundle mode %v", st.Mode().Perm())
	}
}

// The same with byte-identical copies sharing the map, several units in the
// batch: every copy is restored, the other units are written, and nothing
// is left over.
func TestSecondWriteFailureUndoesOnlyItsUnit(t *testing.T) {
	dir := t.TempDir()
	js := "var a=1;\n//# sourceMappingURL=a.js.map\n"
	m := `{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}`
	for name, content := range map[string]string{"a.js": js, "a.max.js": js, "a.js.map": m,
		"b.js": strings.ReplaceAll(js, "a.js.map", "b.js.map"), "b.js.map": m} {
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	before := snapshot(t, dir)
	renameFile = func(from, to string) error {
		if strings.HasSuffix(to, "a.js.map") {
			return &os.LinkError{Op: "rename", Old: from, New: to, Err: os.ErrPermission}
		}
		return os.Rename(from, to)
	}
	defer func() { renameFile = os.Rename }()

	report, err := Run(context.Background(), Options{Scan: scanOf(dir)})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range report.Files {
		wantFail := !strings.HasSuffix(f.Path, "b.js")
		if (f.Status == StatusFailed) != wantFail {
			t.Errorf("%s: %s %s", f.Path, f.Status, f.Reason)
		}
	}
	after := snapshot(t, dir)
	for _, name := range []string{"a.js", "a.max.js", "a.js.map"} {
		if p := filepath.Join(dir, name); string(after[p]) != string(before[p]) {
			t.Errorf("%s was not restored: %q", name, after[p])
		}
	}
	if p := filepath.Join(dir, "b.js"); !strings.Contains(string(after[p]), "debugId=") {
		t.Errorf("b.js was not injected")
	}
	if len(after) != len(before) {
		t.Errorf("files after the failure: %v", keys(after))
	}
}
