package dist

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/testkit"
)

func TestSourceMappingURL(t *testing.T) {
	tests := []struct {
		name      string
		js        string
		want      string
		wantLine  string // js[lineStart:lineEnd]
		wantFound bool
	}{
		{"none", "var a=1;\n", "", "", false},
		{"empty file", "", "", "", false},
		{"simple", "var a=1;\n//# sourceMappingURL=a.js.map\n", "a.js.map", "//# sourceMappingURL=a.js.map", true},
		{"no final newline", "var a=1;\n//# sourceMappingURL=a.js.map", "a.js.map", "//# sourceMappingURL=a.js.map", true},
		{"at byte 0", "//# sourceMappingURL=a.js.map\nvar a;", "a.js.map", "//# sourceMappingURL=a.js.map", true},
		{"legacy @", "x\n//@ sourceMappingURL=old.map\n", "old.map", "//@ sourceMappingURL=old.map", true},
		{"crlf", "x\r\n//# sourceMappingURL=a.js.map\r\nvar b;\r\n", "a.js.map", "//# sourceMappingURL=a.js.map", true},
		{"last wins", "//# sourceMappingURL=first.map\nx\n//# sourceMappingURL=last.map\n", "last.map", "//# sourceMappingURL=last.map", true},
		{"later invalid hits skipped", "//# sourceMappingURL=good.map\nvar s=\"//# sourceMappingURL=bad.map\";\n", "good.map", "//# sourceMappingURL=good.map", true},
		{"indented is not a comment", "x\n  //# sourceMappingURL=a.map\n", "", "", false},
		{"no space after #", "x\n//#sourceMappingURL=a.map\n", "", "", false},
		{"block comment form ignored", "x\n/*# sourceMappingURL=a.map */\n", "", "", false},
		{"trimmed and cut at whitespace", "x\n//# sourceMappingURL=  a.map trailing words  \n", "a.map", "//# sourceMappingURL=  a.map trailing words  ", true},
		{"tab cut", "x\n//# sourceMappingURL=a.map\tb\n", "a.map", "//# sourceMappingURL=a.map\tb", true},
		{"query removed", "x\n//# sourceMappingURL=a.map?v=123\n", "a.map", "//# sourceMappingURL=a.map?v=123", true},
		{"fragment removed", "x\n//# sourceMappingURL=https://cdn/a.map#x\n", "https://cdn/a.map", "//# sourceMappingURL=https://cdn/a.map#x", true},
		{"data url kept whole", "x\n//# sourceMappingURL=data:application/json,%7B%7D#not-a-fragment?q\n", "data:application/json,%7B%7D#not-a-fragment?q", "//# sourceMappingURL=data:application/json,%7B%7D#not-a-fragment?q", true},
		{"empty value", "x\n//# sourceMappingURL=\n", "", "//# sourceMappingURL=", true},
		{"lone CR is not a line start", "x\r//# sourceMappingURL=a.map\n", "", "", false},
		{"key at start without prefix", "sourceMappingURL=a.map", "", "", false},
		{"two on one line", "//# sourceMappingURL=a.map //# sourceMappingURL=b.map\n", "a.map", "//# sourceMappingURL=a.map //# sourceMappingURL=b.map", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, s, e, ok := SourceMappingURL([]byte(tt.js))
			if ok != tt.wantFound || v != tt.want {
				t.Fatalf("SourceMappingURL = %q, %v; want %q, %v", v, ok, tt.want, tt.wantFound)
			}
			if !ok {
				return
			}
			if got := tt.js[s:e]; got != tt.wantLine {
				t.Errorf("line = %q, want %q", got, tt.wantLine)
			}
		})
	}
}

func TestDecodeDataURL(t *testing.T) {
	const mapJSON = `{"version":3,"sources":["x.js"],"names":[],"mappings":"AAAA"}`
	tests := []struct {
		name    string
		url     string
		want    string
		wantErr string
	}{
		{"base64", "data:application/json;base64,eyJ2ZXJzaW9uIjozLCJzb3VyY2VzIjpbInguanMiXSwibmFtZXMiOltdLCJtYXBwaW5ncyI6IkFBQUEifQ==", mapJSON, ""},
		{"base64 with charset", "data:application/json;charset=utf-8;base64,eyJ2ZXJzaW9uIjozLCJzb3VyY2VzIjpbInguanMiXSwibmFtZXMiOltdLCJtYXBwaW5ncyI6IkFBQUEifQ==", mapJSON, ""},
		{"base64 upper case", "DATA:application/json;BASE64,e30=", "{}", ""},
		{"base64 unpadded", "data:application/json;base64,e30", "{}", ""},
		{"base64 percent-escaped padding", "data:application/json;base64,e30%3D", "{}", ""},
		{"percent-encoded", "data:application/json,%7B%22version%22%3A3%7D", `{"version":3}`, ""},
		{"percent-encoded with charset", "data:application/json;charset=utf-8,%7B%22a%22%3A%22%C3%A9%22%7D", `{"a":"é"}`, ""},
		{"plain", `data:,{"version":3}`, `{"version":3}`, ""},
		{"invalid base64", "data:application/json;base64,e30*", "", "not valid base64: illegal base64 data at input byte 3"},
		{"invalid percent", "data:application/json,%7", "", "not validly percent-encoded"},
		{"no comma", "data:application/json;base64", "", "no ','"},
		{"not data", "https://x/y.map", "", "not a data: URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeDataURL(tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzSourceMappingURL(f *testing.F) {
	for _, s := range []string{
		"var a=1;\n//# sourceMappingURL=a.js.map\n",
		"//@ sourceMappingURL=x\r\n",
		"x\n//# sourceMappingURL=data:application/json;base64,e30=\n",
		"//# sourceMappingURL= a?b#c d\n//# sourceMappingURL=",
		"sourceMappingURL=//# sourceMappingURL=",
		"\n//# sourceMappingURL=\u2028x\u00a0y\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, js []byte) {
		v, s, e, ok := SourceMappingURL(js)
		if !ok {
			if v != "" || s != 0 || e != 0 {
				t.Fatalf("not found but returned %q %d %d", v, s, e)
			}
			return
		}
		if s < 0 || e < s || e > len(js) {
			t.Fatalf("offsets [%d,%d) out of range for %d bytes", s, e, len(js))
		}
		line := js[s:e]
		if bytes.IndexByte(line, '\n') >= 0 {
			t.Fatalf("line %q contains a line break", line)
		}
		if s > 0 && js[s-1] != '\n' {
			t.Fatalf("line does not start a line")
		}
		if !bytes.HasPrefix(line, []byte("//# "+smKey)) && !bytes.HasPrefix(line, []byte("//@ "+smKey)) {
			t.Fatalf("line %q is not a sourceMappingURL comment", line)
		}
		if !bytes.Contains(line[len("//# "+smKey):], []byte(v)) {
			t.Fatalf("line %q does not contain value %q", line, v)
		}
		if e < len(js) && js[e] != '\n' && js[e] != '\r' {
			t.Fatalf("line end %d is not at a line break", e)
		}
	})
}

// BenchmarkSourceMappingURL scans a 50 MB single-line bundle.
func BenchmarkSourceMappingURL(b *testing.B) {
	const size = 50 << 20
	body := bytes.Repeat([]byte(`var a=function(b){return"sourceMappingURL="+b};`), size/48)
	cases := map[string][]byte{
		"comment-at-end": append(append([]byte{}, body...), "\n//# sourceMappingURL=app.js.map\n"...),
		"no-comment":     body,
	}
	for _, name := range []string{"comment-at-end", "no-comment"} {
		js := cases[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(js)))
			for b.Loop() {
				SourceMappingURL(js)
			}
		})
	}
}

// TestQuickCommentMatchesFull: reading only the end of a bundle finds the same sourceMappingURL
// as reading all of it, whatever the layout.
func TestQuickCommentMatchesFull(t *testing.T) {
	code := strings.Repeat("var a=1;function f(){return a}\n", 4000) // ~120 KB, more than quickTail
	bigData := "data:application/json;base64," + strings.Repeat("QUFB", 40_000)
	for name, content := range map[string]string{
		"small, comment at the end":                      "var a;\n//# sourceMappingURL=app.js.map\n",
		"large, comment at the end":                      code + "//# sourceMappingURL=app.js.map\n",
		"large, no comment":                              code,
		"large, comment mid-file only":                   "//# sourceMappingURL=early.js.map\n" + code,
		"large, data: URL longer than the tail":          code + "//# sourceMappingURL=" + bigData + "\n",
		"large, comment not at a line start in the tail": code + "x//# sourceMappingURL=no.js.map\n",
		"large, legacy //@ comment":                      code + "//@ sourceMappingURL=legacy.js.map",
		"large, two comments":                            "//# sourceMappingURL=first.js.map\n" + code + "//# sourceMappingURL=last.js.map\n",
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "app.js")
			testkit.WriteFile(t, p, content)
			// A comment whose line starts exactly at the first byte of the tail must not be taken
			// for a line start unless it is one: build that case too.
			wantRaw, wantOK, wantErr := fullComment(p, nil)
			raw, ok, err := quickComment(p, nil)
			if raw != wantRaw || ok != wantOK || (err == nil) != (wantErr == nil) {
				t.Fatalf("quick %q %v %v, full %q %v %v", raw, ok, err, wantRaw, wantOK, wantErr)
			}
		})
	}
	// The comment's line begins exactly where the tail does, but in the file it follows "x": the
	// tail alone cannot tell, so quickComment must read everything (and find no comment).
	p := filepath.Join(t.TempDir(), "edge.js")
	comment := "//# sourceMappingURL=edge.js.map"
	pad := strings.Repeat("y", quickTail-len(comment))
	body := strings.Repeat("z", 200_000) + "x" + comment + pad
	testkit.WriteFile(t, p, body)
	if raw, ok, err := quickComment(p, nil); ok || err != nil {
		t.Fatalf("edge: %q %v %v", raw, ok, err)
	}
}
