package inject

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/debugid"
	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/testkit"
)

func mustDecode(t *testing.T, url string) []byte {
	t.Helper()
	b, err := dist.DecodeDataURL(url)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Golden placement tests: each case is a bundle (and map) in
// testdata/golden/<case>/, and the expected result in <case>/want.js (and
// want.map). The expected files for LF cases were produced by the reference
// client (sentry-cli 3.8.0) except for the debug_id key mapback adds; the
// CRLF, BOM and non-ASCII cases follow mapback's documented differences.
// UPDATE_GOLDEN=1 rewrites the want files from mapback's output.
func TestGoldenPlacement(t *testing.T) {
	dirs, err := filepath.Glob("testdata/golden/*/in.js")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, in := range dirs {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			js := mustRead(t, filepath.Join(dir, "in.js"))
			var m *mapInput
			if data, err := os.ReadFile(filepath.Join(dir, "in.map")); err == nil {
				m = &mapInput{data: data}
			} else if v, _, _, ok := dist.SourceMappingURL(js); ok && strings.HasPrefix(v, "data:") {
				m = &mapInput{data: mustDecode(t, v), inline: true}
			}
			o, err := planBundle(context.Background(), js, m, Backends{Sentry: true})
			if err != nil {
				t.Fatal(err)
			}
			testkit.Golden(t, filepath.Join(dir, "want.js"), o.newJS)
			if o.newMap != nil {
				testkit.Golden(t, filepath.Join(dir, "want.map"), o.newMap)
			}
			// Injecting the result again changes nothing.
			var m2 *mapInput
			if o.newMap != nil {
				m2 = &mapInput{data: o.newMap}
			} else if m != nil && m.inline {
				v, _, _, _ := dist.SourceMappingURL(o.newJS)
				m2 = &mapInput{data: mustDecode(t, v), inline: true}
			}
			again, err := planBundle(context.Background(), o.newJS, m2, Backends{Sentry: true})
			if err != nil || again.status != StatusAlreadyInjected || again.newJS != nil || again.newMap != nil {
				t.Errorf("second run: %+v, %v", again.status, err)
			}
		})
	}
}

// abbreviate hides the 306-byte snippet so failures stay readable.
func abbreviate(b []byte) string {
	s := string(b)
	if i := strings.Index(s, "!function(){try{"); i >= 0 {
		if j := strings.Index(s[i:], "catch(e){}}();"); j >= 0 {
			s = s[:i] + "<S>" + s[i+j+len("catch(e){}}();"):]
		}
	}
	return s
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSpecPlacementTable(t *testing.T) {
	id, _ := debugid.Parse("426c2454-0fe6-542f-9eda-01246987e82a")
	S := debugid.Snippet(id)
	C := debugid.Comment(id)
	tests := []struct{ in, want string }{
		{"var r=1;\n//# sourceMappingURL=main.js.map\n", "\n" + S + "\nvar r=1;\n//# sourceMappingURL=main.js.map\n\n" + C + "\n"},
		{"/*! license header */\n\"use strict\";\nvar r=1", "/*! license header */\n\"use strict\";\n" + S + "\n\nvar r=1\n" + C + "\n"},
		{"#!/usr/bin/env node\nvar r=1", "#!/usr/bin/env node\n\n" + S + "\nvar r=1\n" + C + "\n"},
		{"#!/usr/bin/env node\n// banner\n\"use strict\";\nvar z=3;\n//# sourceMappingURL=z.js.map\n",
			"#!/usr/bin/env node\n// banner\n\"use strict\";\n" + S + "\n\nvar z=3;\n//# sourceMappingURL=z.js.map\n\n" + C + "\n"},
		// single-quoted directives take one line break with them
		{"'use strict';\nvar a=1;", "'use strict';\n\n" + S + "\nvar a=1;\n" + C + "\n"},
		// an unterminated comment is not part of the prelude
		{"// only a comment", "\n" + S + "\n// only a comment\n" + C + "\n"},
		// a string statement needs its ';' right after the quote
		{"\"use strict\"\nvar a;", "\n" + S + "\n\"use strict\"\nvar a;\n" + C + "\n"},
		// the BOM stays first
		{"\ufeffvar a;", "\ufeff\n" + S + "\nvar a;\n" + C + "\n"},
	}
	for _, tt := range tests {
		got, _ := injectTop([]byte(tt.in), id)
		if string(got) != tt.want {
			t.Errorf("injectTop(%q):\n got %q\nwant %q", tt.in, abbreviate(got), abbreviate([]byte(tt.want)))
		}
	}

	end := []struct{ in, want string }{
		{"var r=1;\n//# sourceMappingURL=main.js.map\n", "var r=1;\n" + S + "\n//# sourceMappingURL=main.js.map\n" + C + "\n"},
		{"var x=1;", "var x=1;\n" + S + "\n" + C + "\n"},
		{"var q=1;\r\n//# sourceMappingURL=missing.js.map\r\nvar after=2;\r\n", "var q=1;\r\nvar after=2;\r\n" + S + "\n//# sourceMappingURL=missing.js.map\n" + C + "\n"},
		// only a comment at the start of its line moves
		{"var a=1;//# sourceMappingURL=m.map\nvar b=2;\n", "var a=1;//# sourceMappingURL=m.map\nvar b=2;\n" + S + "\n" + C + "\n"},
		{"var a=1;\n//# sourceMappingURL=m.map", "var a=1;\n" + S + "\n//# sourceMappingURL=m.map\n" + C + "\n"},
	}
	for _, tt := range end {
		if got := injectEnd([]byte(tt.in), id); string(got) != tt.want {
			t.Errorf("injectEnd(%q):\n got %q\nwant %q", tt.in, abbreviate(got), abbreviate([]byte(tt.want)))
		}
	}

	index := []struct{ in, want string }{
		{"var a=1;\n//# sourceMappingURL=a.js.map\n", S + "\nvar a=1;\n//# sourceMappingURL=a.js.map\n\n" + C + "\n"},
		{"#!/usr/bin/env node\n/* c */ \"use strict\";\nvar a=1;\n", "#!/usr/bin/env node\n\"use strict\";" + S + "\n/* c */ \"use strict\";\nvar a=1;\n\n" + C + "\n"},
		{"'use client'\nvar a=1;\n", "'use client';" + S + "\n'use client'\nvar a=1;\n\n" + C + "\n"},
		{"\"foo bar\";var a=1;\n", S + "\n\"foo bar\";var a=1;\n\n" + C + "\n"},
	}
	for _, tt := range index {
		if got := injectIndex([]byte(tt.in), id); string(got) != tt.want {
			t.Errorf("injectIndex(%q):\n got %q\nwant %q", tt.in, abbreviate(got), abbreviate([]byte(tt.want)))
		}
	}
}
