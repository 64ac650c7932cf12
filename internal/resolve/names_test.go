package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/stacktrace"
)

// oracleFrame is one entry of testdata/fixtures/names-oracle.json.
type oracleFrame struct {
	Build, Scenario string
	Frame           int // the k-th frame line of the raw trace
	File            string
	Line, Column    int
	Exact           string
	Acceptable      []string
}

// TestNamesAgainstOracle names every bundle frame of the committed Node
// traces and grades each name against the oracle (the function enclosing
// the original position, found with acorn in the original source by
// testdata/gen/names-oracle.mjs): exact, acceptable, or wrong. The bar: no
// wrong name, and no printed name worse than the runtime's (a runtime name
// that is the original's is kept as the runtime printed it).
func TestNamesAgainstOracle(t *testing.T) {
	data, err := os.ReadFile("../../testdata/fixtures/names-oracle.json")
	if err != nil {
		t.Fatal(err)
	}
	var oracle struct{ Frames []oracleFrame }
	if err := json.Unmarshal(data, &oracle); err != nil {
		t.Fatal(err)
	}
	byTrace := map[string][]oracleFrame{}
	for _, f := range oracle.Frames {
		k := f.Build + "/" + f.Scenario
		byTrace[k] = append(byTrace[k], f)
	}
	keys := make([]string, 0, len(byTrace))
	for k := range byTrace {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	grade := map[string]int{}
	var wrong []string
	for _, k := range keys {
		build, scenario, _ := strings.Cut(k, "/")
		raw, err := os.ReadFile(filepath.Join("../../testdata/fixtures", build, "traces", scenario+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		opts := Options{Maps: []string{filepath.Join("../../testdata/fixtures", build)}, Names: NamesScope}
		if _, err := Run(context.Background(), opts, bytes.NewReader(raw), &out); err != nil {
			t.Fatal(err)
		}
		in, got := frames(stacktrace.ParseString(string(raw))), frames(stacktrace.ParseString(out.String()))
		for _, o := range byTrace[k] {
			runtime, printed := in[o.Frame].Function, got[o.Frame].Function
			g := "wrong"
			switch {
			case printed == o.Exact:
				g = "exact"
			case o.Exact == "(top level)" && printed == runtime:
				g = "exact" // no function: the runtime's own label (Object.<anonymous>, a bare location)
			case contains(o.Acceptable, printed):
				g = "acceptable"
			case lastName(runtime) == lastName(o.Exact) && printed == runtime:
				g = "acceptable" // the runtime's name is the original's, with its receiver
			}
			if lastName(runtime) == lastName(o.Exact) && o.Exact != "<anonymous>" && printed != runtime && printed != o.Exact {
				g = "worse than the runtime's"
			}
			grade[g]++
			if g != "exact" && g != "acceptable" {
				wrong = append(wrong, fmt.Sprintf("%s frame %d (%s:%d:%d): printed %q, runtime %q, oracle %q %q: %s", k, o.Frame, o.File, o.Line, o.Column, printed, runtime, o.Exact, o.Acceptable, g))
			}
		}
	}
	t.Logf("%d frames: %d exact, %d acceptable, %d wrong, %d worse than the runtime's", len(oracle.Frames), grade["exact"], grade["acceptable"], grade["wrong"], grade["worse than the runtime's"])
	for _, w := range wrong {
		t.Error(w)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
