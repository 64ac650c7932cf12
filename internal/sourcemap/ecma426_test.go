package sourcemap

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// ecmaVector is one decoding vector of testdata/ecma426/vectors.json (its
// README has the format and the policy).
type ecmaVector struct {
	Name    string          `json:"name"`
	Rule    string          `json:"rule"`
	Spec    string          `json:"spec"`    // valid, may-reject, must-reject: ECMA-426's outcome
	Mapback string          `json:"mapback"` // valid, report, refuse: what mapback does
	Map     json.RawMessage `json:"map"`
	Raw     *string         `json:"raw"`
	Problem string          `json:"problem"`
	DebugID *string         `json:"debugId"`
	Lookups []ecmaLookup    `json:"lookups"`
}

type ecmaLookup struct {
	Line, Column   int
	Source         *string
	NullSource     bool `json:"nullSource"`
	OriginalLine   int  `json:"originalLine"`
	OriginalColumn int  `json:"originalColumn"`
	Name           *string
	Ignored        *bool
	None, Error    bool
}

// Doc is the vector's map text.
func (v ecmaVector) Doc() []byte {
	if v.Raw != nil {
		return []byte(*v.Raw)
	}
	return v.Map
}

func loadECMAVectors(t *testing.T) []ecmaVector {
	t.Helper()
	data, err := os.ReadFile("../../testdata/ecma426/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Vectors []ecmaVector }
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f.Vectors
}

// TestECMA426Vectors holds the engine to every vector: a map mapback refuses
// fails Parse with the vector's problem; a map it reports parses, and Check
// names the problem; a valid map has no problem. Lookups give the vector's
// answers, in the lenient form resolve uses.
func TestECMA426Vectors(t *testing.T) {
	vectors := loadECMAVectors(t)
	if len(vectors) < 90 {
		t.Fatalf("%d vectors", len(vectors))
	}
	seen := map[string]bool{}
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			if seen[v.Name] {
				t.Fatal("duplicate vector name")
			}
			seen[v.Name] = true
			switch {
			case v.Spec == "must-reject" && v.Mapback == "valid",
				v.Spec == "valid" && v.Mapback != "valid",
				v.Mapback != "valid" && v.Problem == "":
				t.Fatalf("inconsistent vector: spec %s, mapback %s, problem %q", v.Spec, v.Mapback, v.Problem)
			}
			m, err := ParseLazy(v.Doc(), nil)
			if v.Mapback == "refuse" {
				if err == nil || !strings.Contains(err.Error(), v.Problem) {
					t.Fatalf("Parse: %v, want a refusal containing %q", err, v.Problem)
				}
				if _, ok := err.(*Problem); !ok {
					t.Errorf("Parse's error is a %T, not a *Problem", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			ps := m.Check(context.Background(), nil)
			var msgs []string
			for _, p := range ps.List {
				msgs = append(msgs, p.Error())
				if p.Kind.Fatal() {
					t.Errorf("Check reports a fatal problem on a parsed map: %v", p.Error())
				}
			}
			all := strings.Join(msgs, "\n")
			switch {
			case v.Mapback == "valid" && len(msgs) > 0:
				t.Errorf("problems in a valid map:\n%s", all)
			case v.Mapback == "report" && !strings.Contains(all, v.Problem):
				t.Errorf("Check reports:\n%s\nwant %q", all, v.Problem)
			}
			if v.DebugID != nil && m.DebugID() != *v.DebugID {
				t.Errorf("DebugID() = %q, want %q", m.DebugID(), *v.DebugID)
			}
			for _, l := range v.Lookups {
				mp, ok, err := m.LookupErr(l.Line, l.Column)
				switch {
				case l.Error:
					if err == nil || !strings.Contains(all, err.Error()) {
						t.Errorf("(%d,%d): %+v %v %v, want an error Check also reports", l.Line, l.Column, mp, ok, err)
					}
				case l.None:
					if ok || err != nil {
						t.Errorf("(%d,%d): %+v %v %v, want no mapping", l.Line, l.Column, mp, ok, err)
					}
				case err != nil || !ok:
					t.Errorf("(%d,%d): no mapping (%v)", l.Line, l.Column, err)
				default:
					src := m.ResolveSource("", mp.SourceIndex)
					wantName := ""
					if l.Name != nil {
						wantName = *l.Name
					}
					if l.NullSource != mp.SourceNull || l.Source != nil && src != *l.Source || mp.Line != l.OriginalLine || mp.Column != l.OriginalColumn || mp.Name != wantName {
						t.Errorf("(%d,%d): %s %+v, want %+v", l.Line, l.Column, src, mp, l)
					}
					if l.Ignored != nil && mp.Ignored != *l.Ignored {
						t.Errorf("(%d,%d): ignored %v", l.Line, l.Column, mp.Ignored)
					}
					if mp.Problem != "" && !strings.Contains(all, mp.Problem) {
						t.Errorf("(%d,%d): lookup problem %q not among Check's", l.Line, l.Column, mp.Problem)
					}
				}
			}
			// Strict and lenient agree on the segments, too.
			if m.sections == nil {
				agreeOn(t, v.Name, m)
			}
		})
	}
}
