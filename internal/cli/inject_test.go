package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/testkit"
)

func TestInjectCommand(t *testing.T) {
	f := newFakeEnv(t)
	dir := testkit.Fixtures(t)
	before, _ := os.ReadFile(filepath.Join(dir, "webpack", "main.js"))

	// --dry-run: a report, no writes.
	r := run(t, f, "sourcemaps", "inject", "--dry-run", dir)
	if r.code != ExitOK || !strings.Contains(r.err, "Would inject (5)") || !strings.Contains(r.err, "dry run: nothing was written") {
		t.Fatalf("dry run: exit %d\n%s", r.code, r.err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "webpack", "main.js")); string(after) != string(before) {
		t.Fatal("--dry-run changed a file")
	}

	// The real run: JSON on stdout only, the report on stderr.
	r = run(t, f, "inject", "--json", dir)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	var report struct {
		Files []struct {
			Path, Status, Map, Pairing string
			DebugID                    string `json:"debug_id"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &report); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, r.stdout)
	}
	if len(report.Files) != 5 {
		t.Fatalf("%d files in the report", len(report.Files))
	}
	for _, fr := range report.Files {
		if fr.Status != "modified" || fr.Pairing != "sourceMappingURL" || len(fr.DebugID) != 36 {
			t.Errorf("%+v", fr)
		}
	}
	if !strings.Contains(r.err, "5 injected, 0 repaired") {
		t.Errorf("stderr report: %s", r.err)
	}

	// Again: nothing to do.
	r = run(t, f, "inject", dir)
	if r.code != ExitOK || !strings.Contains(r.err, "0 injected, 0 repaired, 5 already injected") {
		t.Errorf("second run: exit %d\n%s", r.code, r.err)
	}

	// One broken map: exit 1, one line naming it, the others fine.
	bad := testkit.WriteTree(t, filepath.Join(t.TempDir(), "app"), map[string]string{
		"a.js":     "var a;\n//# sourceMappingURL=a.js.map\n",
		"a.js.map": `{"version":3,`,
		"b.js":     "var b;\n",
	})
	r = run(t, f, "inject", bad)
	wantLine := filepath.Join(bad, "a.js") + ": map " + filepath.Join(bad, "a.js.map") + ": not valid JSON"
	if r.code != ExitFailure || !strings.Contains(r.err, wantLine) || !strings.Contains(r.err, "1 injected") {
		t.Errorf("exit %d, want 1 and a line %q:\n%s", r.code, wantLine, r.err)
	}

	// --quiet keeps the errors, and only them.
	r = run(t, f, "-q", "inject", bad)
	if r.code != ExitFailure || strings.TrimSpace(r.err) != "error: "+wantLine[:strings.Index(wantLine, ": not valid JSON")]+": not valid JSON: unexpected end of JSON at the end of the file (byte 13, line 1): the file is truncated" {
		t.Errorf("quiet: exit %d, stderr %q", r.code, r.err)
	}

	// A PATH that does not exist is an error naming it.
	r = run(t, f, "inject", filepath.Join(bad, "nope"))
	if r.code != ExitFailure || !strings.Contains(r.err, "nope does not exist") {
		t.Errorf("missing path: exit %d %s", r.code, r.err)
	}
}
