package sourcemap

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const fixturesDir = "../../testdata/fixtures"

// V8 frame location at the end of a frame line (same regex as
// testdata/gen/check.mjs).
var v8Frame = regexp.MustCompile(`^\s+at (?:.*?\()?(?:async )?(.+):(\d+):(\d+)\)?(?:,| \{)?$`)

func frameLines(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, " \t"), "at ") && (l[0] == ' ' || l[0] == '\t') {
			out = append(out, l)
		}
	}
	return out
}

// The node oracle: every bundle frame of the committed real Node traces
// resolves to exactly the source basename, line and column that
// `node --enable-source-maps` printed.
func TestNodeOracle(t *testing.T) {
	traces, err := filepath.Glob(filepath.Join(fixturesDir, "*", "traces", "*.txt"))
	if err != nil || len(traces) == 0 {
		t.Fatalf("no fixture traces: %v", err)
	}
	maps := map[string]*Map{}
	frames, agree := 0, 0
	for _, tr := range traces {
		if strings.HasSuffix(tr, ".node-resolved.txt") {
			continue
		}
		build := filepath.Base(filepath.Dir(filepath.Dir(tr)))
		resolved := strings.TrimSuffix(tr, ".txt") + ".node-resolved.txt"
		raw, res := frameLines(t, tr), frameLines(t, resolved)
		if len(raw) != len(res) {
			t.Errorf("%s: %d frames vs %d resolved", tr, len(raw), len(res))
			continue
		}
		for i, l := range raw {
			mm := v8Frame.FindStringSubmatch(l)
			if mm == nil {
				continue
			}
			file := strings.TrimPrefix(mm[1], "file://")
			if !strings.HasPrefix(file, "/fixtures/") {
				continue
			}
			rel := strings.TrimPrefix(file, "/fixtures/")
			if !strings.HasPrefix(rel, build+"/") {
				t.Errorf("%s: frame in another build: %s", tr, l)
				continue
			}
			mapFile := filepath.Join(fixturesDir, filepath.FromSlash(rel)+".map")
			m := maps[mapFile]
			if m == nil {
				data, err := os.ReadFile(mapFile)
				if err != nil {
					t.Fatal(err)
				}
				if m, err = Parse(data); err != nil {
					t.Fatalf("%s: %v", mapFile, err)
				}
				maps[mapFile] = m
			}
			frames++
			line, _ := strconv.Atoi(mm[2])
			col, _ := strconv.Atoi(mm[3])
			got := "(unmapped)"
			if mp, ok := m.Lookup(line-1, col-1); ok {
				got = path.Base(mp.Source) + ":" + strconv.Itoa(mp.Line+1) + ":" + strconv.Itoa(mp.Column+1)
			}
			want := "(unparsed)"
			if r := v8Frame.FindStringSubmatch(res[i]); r != nil {
				want = path.Base(r[1]) + ":" + r[2] + ":" + r[3]
			}
			if got == want {
				agree++
			} else {
				t.Errorf("%s: %s -> %s, node printed %s", tr, strings.TrimSpace(l), got, want)
			}
		}
	}
	t.Logf("%d bundle frames, %d agree with node --enable-source-maps", frames, agree)
	if frames != 164 || agree != frames {
		t.Errorf("want 164/164 bundle frames agreeing, got %d/%d", agree, frames)
	}
}
