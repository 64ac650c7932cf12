package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/stacktrace"
)

const chainDir = "../../testdata/chain"

// appFrames returns the frames of a trace that are in file names ending
// with one of suffixes, as (path, line, column).
func appFrames(text string, suffixes ...string) [][3]string {
	var out [][3]string
	for _, l := range stacktrace.ParseString(text) {
		f := l.Frame
		if f == nil {
			continue
		}
		for _, s := range suffixes {
			if strings.HasSuffix(f.File, s) {
				out = append(out, [3]string{f.File, itoa(f.Line), itoa(f.Column)})
			}
		}
	}
	return out
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// A real two-stage build (testdata/chain: tsc with its own map, then terser
// without it) resolves through both maps to the TypeScript source, exactly
// where Node puts each frame when it runs tsc's output with its map; with
// OneLevel it stops at tsc's output, exactly where Node puts each frame of
// the minified bundle. --json lists the intermediate position of each frame.
func TestMapChain(t *testing.T) {
	root, err := filepath.Abs(chainDir)
	if err != nil {
		t.Fatal(err)
	}
	raws, _ := filepath.Glob(filepath.Join(chainDir, "traces", "*.txt"))
	compared := 0
	for _, raw := range raws {
		if strings.Count(filepath.Base(raw), ".") > 1 {
			continue // an oracle
		}
		in, err := os.ReadFile(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			oracle   string
			oneLevel bool
			suffix   string
		}{
			{".first-stage.txt", false, "src/app.ts"},
			{".node-resolved.txt", true, "out/app.js"},
		} {
			want, err := os.ReadFile(strings.TrimSuffix(raw, ".txt") + c.oracle)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			opts := Options{Maps: []string{filepath.Join(chainDir, "dist")}, Root: root, Names: NamesMinified, OneLevel: c.oneLevel}
			if _, err := Run(context.Background(), opts, bytes.NewReader(in), &out); err != nil {
				t.Fatal(err)
			}
			got := appFrames(out.String(), c.suffix)
			exp := appFrames(strings.ReplaceAll(string(want), "/chain/", ""), c.suffix)
			inBundle := appFrames(string(in), "app.min.js")
			if len(exp) == 0 || len(got) != len(exp) || len(got) != len(inBundle) {
				t.Fatalf("%s%s: %d frames resolved to %s, the oracle has %d, the trace %d\n%s", raw, c.oracle, len(got), c.suffix, len(exp), len(inBundle), out.String())
			}
			for i := range got {
				if got[i] != exp[i] {
					t.Errorf("%s%s frame %d: %v, want %v", raw, c.oracle, i, got[i], exp[i])
				}
				compared++
			}
		}

		// --json: the chain of every frame, through out/app.js.
		var out bytes.Buffer
		opts := Options{Maps: []string{filepath.Join(chainDir, "dist")}, Root: root, JSON: true}
		if _, err := Run(context.Background(), opts, bytes.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		var rep jsonReport
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		for _, l := range rep.Lines {
			f := l.Frame
			if f == nil || f.Status != StatusResolved {
				continue
			}
			if f.Original.File != "src/app.ts" || len(f.Map.Chain) != 1 || f.Map.Chain[0].File != "out/app.js" ||
				f.Map.Chain[0].Map != filepath.Join(root, "out", "app.js.map") || f.Map.Chain[0].Line < 1 {
				t.Errorf("%s line %d: original %+v, chain %+v", raw, l.N, f.Original, f.Map.Chain)
			}
		}
	}
	if compared < 12 {
		t.Fatalf("only %d frames compared", compared)
	}
}
