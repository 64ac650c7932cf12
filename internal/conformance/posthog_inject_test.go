//go:build conformance

package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/testkit"
)

// TestPostHogInjectMatchesPluginUtils runs `mapback sourcemaps inject
// --backends posthog` on a copy of each tree (the fixtures, then the
// published-bundle corpus) and holds it to PostHog's own code,
// @posthog/plugin-utils 2.0.0 (testdata/posthog/oracle.mjs), applied with the
// CLI's placement to the same bundles:
//
//  1. every bundle mapback injected is byte-identical to the oracle's, except
//     where the file starts with a hashbang or a directive prologue ("use
//     strict"): there mapback puts the snippet after it (before it, the
//     hashbang is a syntax error and the directive stops being one), and the
//     file must equal the oracle's with only the snippet moved there;
//  2. every map mapback changed resolves each sampled generated position of
//     the original map at the same position, shifted right by the snippet
//     on the snippet's line, and carries "chunk_id";
//  3. a second run changes no byte.
func TestPostHogInjectMatchesPluginUtils(t *testing.T) {
	mb := binary(t, "MAPBACK_BIN")
	oracle := os.Getenv("MAPBACK_POSTHOG_ORACLE")
	if oracle == "" {
		t.Fatal("MAPBACK_POSTHOG_ORACLE is not set; run the tests with `make conformance`")
	}
	root := testkit.RepoRoot(t)
	t.Run("fixtures", func(t *testing.T) {
		phCompareTree(t, mb, oracle, filepath.Join(root, "testdata", "fixtures"), 5)
	})
	t.Run("corpus", func(t *testing.T) {
		phCompareTree(t, mb, oracle, fetchCorpus(t), 10)
	})
}

type phReport struct {
	Files []struct {
		Path    string `json:"path"`
		Status  string `json:"status"`
		Map     string `json:"map"`
		ChunkID string `json:"chunk_id"`
	} `json:"files"`
}

func phCompareTree(t *testing.T, mb, oracle, src string, minBundles int) {
	work := t.TempDir()
	tree := filepath.Join(work, "tree")
	testkit.CopyTreeTo(t, src, tree)
	home := t.TempDir()
	res := injExec(tree, home, mb, "sourcemaps", "inject", "--backends", "posthog", "--json", ".")
	if res.code != 0 {
		t.Fatalf("mapback inject --backends posthog: exit %d\n%s", res.code, res.stderr)
	}
	var rep phReport
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatalf("report: %v", err)
	}

	// The oracle injects the original bundles the way PostHog's CLI would.
	var pairs strings.Builder
	var injected []string
	for _, f := range rep.Files {
		if f.Status != "modified" {
			continue
		}
		mapPath := ""
		if f.Map != "" && f.Map != "inline" {
			mapPath = filepath.Join(src, f.Map)
		}
		fmt.Fprintf(&pairs, "%s\t%s\t%s\n", filepath.Join(src, f.Path), mapPath, f.Path)
		injected = append(injected, f.Path)
	}
	if len(injected) < minBundles {
		t.Fatalf("mapback injected %d bundles, want at least %d", len(injected), minBundles)
	}
	want := filepath.Join(work, "oracle")
	cmd := exec.Command("node", filepath.Join(oracle, "oracle.mjs"), want)
	cmd.Stdin = strings.NewReader(pairs.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oracle: %v\n%s", err, out)
	}

	exact, moved, mapsChecked, positions := 0, 0, 0, 0
	for _, f := range rep.Files {
		if f.Status != "modified" {
			continue
		}
		orig, err := os.ReadFile(filepath.Join(src, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(tree, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		ref, err := os.ReadFile(filepath.Join(want, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		comment := []byte("\n//# chunkId=" + f.ChunkID)
		snippet := ref[:len(ref)-len(orig)-len(comment)]
		if !bytes.Equal(ref[len(snippet):], append(append([]byte{}, orig...), comment...)) || !bytes.Contains(snippet, []byte(`"`+f.ChunkID+`"`)) {
			t.Errorf("%s: the oracle's output is not snippet + bundle + comment with chunk ID %s", f.Path, f.ChunkID)
			continue
		}
		at := 0
		switch {
		case bytes.Equal(got, ref):
			exact++
		default:
			// Only the snippet's place may differ, and only after a prelude.
			at = bytes.Index(got, snippet)
			if at <= 0 || !phIsPrelude(orig[:at]) ||
				!bytes.Equal(got, bytes.Join([][]byte{orig[:at], snippet, orig[at:], comment}, nil)) {
				t.Errorf("%s: differs from PostHog's injection at byte %d (not a snippet moved past a prelude)", f.Path, injFirstDiff(got, ref))
				continue
			}
			moved++
		}
		if f.Map == "" || f.Map == "inline" {
			continue
		}
		n, problems := phCheckMap(filepath.Join(src, f.Map), filepath.Join(tree, f.Map), orig[:at], len(snippet), f.ChunkID, f.Path)
		for _, p := range problems {
			t.Errorf("%s: %s", f.Map, p)
		}
		mapsChecked++
		positions += n
	}
	t.Logf("%d bundles injected: %d byte-identical to PostHog's injection, %d identical but for the snippet placed after a hashbang or directive prologue; %d maps, %d sampled positions resolve as before, shifted by the snippet",
		len(injected), exact, moved, mapsChecked, positions)

	again := injExec(tree, home, mb, "sourcemaps", "inject", "--backends", "posthog", "--json", ".")
	if again.code != 0 || strings.Contains(again.stdout, `"status": "modified"`) {
		t.Errorf("second run: exit %d, changed something:\n%.2000s", again.code, again.stdout)
	}
}

// phIsPrelude reports whether b is what mapback keeps before the snippet: a
// hashbang line, or (after white space and comments) directives.
func phIsPrelude(b []byte) bool {
	s := string(b)
	return strings.HasPrefix(s, "#!") || strings.Contains(s, `"use strict"`) || strings.Contains(s, `'use strict'`) ||
		strings.HasSuffix(strings.TrimSpace(s), ";")
}

// phCheckMap is check 2: each sampled position of the original map resolves
// the same in mapback's map, shifted right by n on the snippet's line.
func phCheckMap(origPath, gotPath string, before []byte, n int, chunkID, seed string) (int, []string) {
	var problems []string
	read := func(p string) (map[string]json.RawMessage, *injSourceMap) {
		data, err := os.ReadFile(p)
		if err != nil {
			problems = append(problems, err.Error())
			return nil, nil
		}
		raw, err := injObject(data)
		if err != nil {
			problems = append(problems, err.Error())
			return nil, nil
		}
		sm, err := injParseSourceMap(raw)
		if err != nil {
			problems = append(problems, err.Error())
			return nil, nil
		}
		sm.sortLines()
		return raw, sm
	}
	_, orig := read(origPath)
	raw, got := read(gotPath)
	if orig == nil || got == nil {
		return 0, problems
	}
	var id string
	if json.Unmarshal(raw["chunk_id"], &id) != nil || id != chunkID {
		problems = append(problems, fmt.Sprintf(`"chunk_id" is %s, want %q`, raw["chunk_id"], chunkID))
	}
	line, col, _, _ := injLineCol(before)
	samples := injSamplePositions(orig.genColumns(), seed, 1000, line, col)
	for _, p := range samples {
		q := p
		if p.line == line && p.col >= col {
			q.col += n
		}
		if w, h := orig.lookup(p.line, p.col), got.lookup(q.line, q.col); w != h && len(problems) < 5 {
			problems = append(problems, fmt.Sprintf("generated %d:%d resolves to %s in the original but %d:%d to %s in mapback's map", p.line, p.col, w, q.line, q.col, h))
		}
	}
	return len(samples), problems
}
