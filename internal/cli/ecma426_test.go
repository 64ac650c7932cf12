package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ecmaVector is the part of a testdata/ecma426/vectors.json vector this test
// reads (internal/sourcemap's test reads all of it).
type ecmaVector struct {
	Name    string          `json:"name"`
	Mapback string          `json:"mapback"`
	Map     json.RawMessage `json:"map"`
	Raw     *string         `json:"raw"`
	Problem string          `json:"problem"`
	Lookups []struct {
		Line, Column   int
		NullSource     bool `json:"nullSource"`
		OriginalLine   int  `json:"originalLine"`
		OriginalColumn int  `json:"originalColumn"`
		None, Error    bool
	} `json:"lookups"`
}

// TestDoctorAndResolveAgree runs doctor and resolve on every ECMA-426 vector,
// as a user would: a map doctor calls valid resolves in resolve; a map
// resolve refuses fails in doctor, with the same message; every problem
// resolve mentions (a reason, a warning) is one doctor lists.
func TestDoctorAndResolveAgree(t *testing.T) {
	data, err := os.ReadFile("../../testdata/ecma426/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Vectors []ecmaVector }
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	f := newFakeEnv(t)
	// A bundle long enough on every line for the vectors' positions.
	var js strings.Builder
	for range 6 {
		js.WriteString("var a0123456789=[" + strings.Repeat("1,", 40) + "1];\n")
	}
	js.WriteString("//# sourceMappingURL=app.js.map\n")
	for _, v := range file.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			dir := filepath.Join(f.dir, "v", v.Name)
			f.write(t, filepath.Join("v", v.Name, "app.js"), js.String())
			doc := string(v.Map)
			if v.Raw != nil {
				doc = *v.Raw
			}
			f.write(t, filepath.Join("v", v.Name, "app.js.map"), doc)
			mapPath := filepath.Join(dir, "app.js.map")

			// doctor: the valid check's status and what it says of the map.
			r := run(t, f, "doctor", "--offline", "--json", dir)
			var rep struct {
				Checks []struct {
					ID, Status string
					Findings   []struct{ Status, Subject, Detail string }
				}
			}
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("doctor --json: %v\n%s%s", err, r.stdout, r.err)
			}
			valid := ""
			var said []string // doctor's failures, as "path: detail"
			for _, c := range rep.Checks {
				if c.ID != "sourcemaps-valid" {
					continue
				}
				valid = c.Status
				for _, fd := range c.Findings {
					if fd.Status == "fail" {
						said = append(said, fd.Subject+": "+fd.Detail)
					}
				}
			}
			switch {
			case v.Mapback == "valid" && valid == "fail":
				t.Fatalf("doctor fails a valid map:\n%s", strings.Join(said, "\n"))
			case v.Mapback != "valid" && (valid != "fail" || !strings.Contains(strings.Join(said, "\n"), v.Problem)):
				t.Fatalf("doctor: %s\n%s\nwant a failure naming %q", valid, strings.Join(said, "\n"), v.Problem)
			}
			// Doctor says what resolve says of the map: a failure about the
			// same file with the same words (doctor may add how the file was
			// found, after them).
			doctorSaid := func(msg string) bool {
				for _, s := range said {
					if s == msg || strings.HasPrefix(s, msg+"; ") {
						return true
					}
				}
				return false
			}

			// resolve: a frame at each vector position (or at 1:1).
			type pos struct{ line, col int }
			positions := []pos{{0, 0}}
			if len(v.Lookups) > 0 {
				positions = positions[:0]
				for _, l := range v.Lookups {
					if l.Column >= 1<<30 {
						continue // no trace has such a column
					}
					positions = append(positions, pos{l.Line, l.Column})
				}
			}
			var trace strings.Builder
			trace.WriteString("Error: x\n")
			for k, p := range positions {
				fmt.Fprintf(&trace, "    at f%d (https://cdn.example.com/app.js:%d:%d)\n", k, p.line+1, p.col+1)
			}
			f.write(t, filepath.Join("v", v.Name, "trace.txt"), trace.String())
			r = run(t, f, "resolve", "--json", "--maps", dir, filepath.Join(dir, "trace.txt"))
			var out struct {
				Lines []struct {
					Frame *struct {
						Status, Reason string
						Warnings       []string
						Original       *struct{ Line, Column int }
					}
				}
				Summary struct{ Warnings []string }
			}
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
				t.Fatalf("resolve --json: %v\n%s%s", err, r.stdout, r.err)
			}
			k := 0
			for _, l := range out.Lines {
				fr := l.Frame
				if fr == nil {
					continue
				}
				if fr.Status == "map_error" && !doctorSaid(fr.Reason) {
					t.Errorf("resolve refuses with %q, which doctor does not say:\n%s", fr.Reason, strings.Join(said, "\n"))
				}
				for _, w := range fr.Warnings {
					if !doctorSaid(w) {
						t.Errorf("resolve warns %q, which doctor does not say", w)
					}
				}
				switch {
				case v.Mapback == "refuse":
					if fr.Status != "map_error" || !strings.HasPrefix(fr.Reason, mapPath+": ") {
						t.Errorf("frame %d: %s %q, want map_error naming %s", k, fr.Status, fr.Reason, mapPath)
					}
				case len(v.Lookups) > 0 && len(positions) == len(v.Lookups):
					l := v.Lookups[k]
					want := "resolved"
					switch {
					case l.Error:
						want = "map_error"
					case l.None:
						want = "no_mapping"
					case l.NullSource:
						want = "no_source"
					}
					if fr.Status != want {
						t.Errorf("frame %d at %d:%d: %s (%s), want %s", k, l.Line+1, l.Column+1, fr.Status, fr.Reason, want)
					} else if want == "resolved" && (fr.Original.Line != l.OriginalLine+1 || fr.Original.Column != l.OriginalColumn+1) {
						t.Errorf("frame %d: original %d:%d, want %d:%d", k, fr.Original.Line, fr.Original.Column, l.OriginalLine+1, l.OriginalColumn+1)
					}
				case v.Mapback == "valid" && fr.Status == "map_error":
					t.Errorf("a valid map gives map_error: %s", fr.Reason)
				}
				k++
			}
			for _, w := range out.Summary.Warnings {
				if !doctorSaid(w) {
					t.Errorf("resolve warns %q, which doctor does not say:\n%s", w, strings.Join(said, "\n"))
				}
			}
			if v.Mapback == "valid" && len(out.Summary.Warnings) > 0 {
				t.Errorf("warnings on a valid map: %v", out.Summary.Warnings)
			}
		})
	}
}
