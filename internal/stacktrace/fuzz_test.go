package stacktrace

import (
	"os"
	"strings"
	"testing"
)

// FuzzRoundTrip: Render(Parse(x)) == x byte for byte, no panics, spans within
// bounds; and after a Replace on every frame, every line that is not a frame
// (nor a numbered frame's location line) is still byte-identical.
func FuzzRoundTrip(f *testing.F) {
	for _, tc := range specCases {
		f.Add(tc.in)
	}
	f.Add("Error: x\r\n03  ?\r\n    app:///a.js:1:2\r\n\x1b[31m  at f (/a.js:1:2),\x1b[0m {")
	for _, path := range fixtureTraces(f)[:12] {
		if b, err := os.ReadFile(path); err == nil && len(b) < 64<<10 {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		lines, err := Parse(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if got := RenderString(lines); got != in {
			t.Fatalf("round trip differs:\n in %q\nout %q", in, got)
		}
		for i, l := range lines {
			fr := l.Frame
			if fr == nil {
				continue
			}
			locText := l.Text
			if fr.Dialect == Numbered {
				if i+1 >= len(lines) || !lines[i+1].Cont {
					t.Fatalf("numbered frame without location line")
				}
				locText = lines[i+1].Text
			}
			if !validSpans(fr, l.Text, locText) {
				t.Fatalf("spans out of range: %+v for %q", *fr, l.Text)
			}
			if fr.Resolvable != (fr.Reason == "") {
				t.Fatalf("Resolvable=%v Reason=%q", fr.Resolvable, fr.Reason)
			}
			fr.Replace("fn", "src/x.ts", 3, 4)
		}
		out := strings.Split(RenderString(lines), "\n")
		if len(out) != strings.Count(in, "\n")+1 {
			t.Fatalf("line count changed")
		}
		for i, l := range lines {
			if l.Frame == nil && !l.Cont && out[i] != l.Text+strings.TrimSuffix(l.Term, "\n") {
				t.Fatalf("non-frame line %d changed: %q -> %q", i, l.Text, out[i])
			}
		}
	})
}
