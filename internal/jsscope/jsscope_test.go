package jsscope

import (
	"strings"
	"testing"
)

// at returns the 0-based line and UTF-16 column of the first occurrence of
// marker in src, computed independently of the package (UTF-16 over runes,
// V8 line breaks).
func at(t *testing.T, src, marker string) (int, int) {
	t.Helper()
	i := strings.Index(src, marker)
	if i < 0 {
		t.Fatalf("marker %q not in source", marker)
	}
	line, col := 0, 0
	rs := []rune(src[:i])
	for k := 0; k < len(rs); k++ {
		switch r := rs[k]; {
		case r == '\r':
			if k+1 < len(rs) && rs[k+1] == '\n' {
				k++
			}
			line, col = line+1, 0
		case r == '\n' || r == '\u2028' || r == '\u2029':
			line, col = line+1, 0
		case r >= 0x10000:
			col += 2
		default:
			col++
		}
	}
	return line, col
}

func TestNamingRules(t *testing.T) {
	tests := []struct {
		name, src, marker, want string
	}{
		{"function declaration", `function foo(){ HERE }`, "HERE", "foo"},
		{"named function expression wins", `var x = function bar(){ HERE }`, "HERE", "bar"},
		{"var function expression", `var x = function(){ HERE }`, "HERE", "x"},
		{"const arrow", `const y = () => { HERE }`, "HERE", "y"},
		{"let arrow expression body", `let y = (a) => a + HERE`, "HERE", "y"},
		{"async arrow", `const y = async () => { await HERE }`, "HERE", "y"},
		{"class constructor", `class C { constructor(){ HERE } }`, "HERE", "C"},
		{"class method", `class C { m(){ HERE } }`, "HERE", "C.m"},
		{"class getter", `class C { get g(){ return HERE } }`, "HERE", "C.get g"}, // as V8 prints it
		{"class setter", `class C { set s(v){ HERE } }`, "HERE", "C.set s"},
		{"class static", `class C { static s(){ HERE } }`, "HERE", "C.s"},
		{"class async generator", `class C { async *gen(){ HERE } }`, "HERE", "C.gen"},
		{"var class expression", `var K = class { m(){ HERE } }`, "HERE", "K.m"},
		{"var class constructor", `var K = class { constructor(){ HERE } }`, "HERE", "K"},
		{"assigned class", `a.K = class { m(){ HERE } }`, "HERE", "a.K.m"},
		{"class field arrow", `class C { f = () => { HERE } }`, "HERE", "C.f"},
		{"object method", `var o = { meth(){ HERE } }`, "HERE", "meth"},
		{"object getter", `var o = { get g(){ return HERE } }`, "HERE", "g"},
		{"object property function", `var o = { p: function(){ HERE } }`, "HERE", "p"},
		{"object string key arrow", `var o = { "class-method": () => HERE }`, "HERE", "class-method"},
		{"assignment chain", `a.b.c = function(){ HERE }`, "HERE", "a.b.c"},
		{"assignment identifier", `x = () => { HERE }`, "HERE", "x"},
		{"this assignment", `this.h = function(){ HERE }`, "HERE", "h"},
		{"bracket assignment", `a["b"] = function(){ HERE }`, "HERE", "a.b"},
		{"export default function", `export default function(){ HERE }`, "HERE", "default"},
		{"export default named function", `export default function named(){ HERE }`, "HERE", "named"},
		{"export const arrow", `export const e = () => { HERE }`, "HERE", "e"},
		{"callback is anonymous", `foo(function(){ HERE })`, "HERE", Anonymous},
		{"arrow callback is anonymous", `foo(x => HERE)`, "HERE", Anonymous},
		{"IIFE anonymous", `!function(){ HERE }()`, "HERE", Anonymous},
		{"innermost wins", `function outer(){ var inner = () => { HERE } }`, "HERE", "inner"},
		{"back in outer", `function outer(){ var inner = () => {}; HERE }`, "HERE", "outer"},
		{"method inside function", `function f(){ class D { m(){ HERE } } }`, "HERE", "D.m"},
		{"default param binding", `function f(a = () => HERE){}`, "HERE", "a"},
		{"for await rewrite", `async function fa(xs){ for await (const x of xs) { HERE } }`, "HERE", "fa"},
		{"CRLF", "var a = 1;\r\nfunction g(){\r\n  HERE\r\n}", "HERE", "g"},
		{"lone CR", "var a = 1;\rfunction g(){\r  HERE\r}", "HERE", "g"},
		{"U+2028", "var a = '\u2028';function g(){ HERE }", "HERE", "g"},
		{"astral before", `var s = "🧾🛒"; function g(){ var t = "🚫"; HERE }`, "HERE", "g"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, err := Parse([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			line, col := at(t, tt.src, tt.marker)
			s, ok := ix.Enclosing(line, col)
			if !ok {
				t.Fatalf("Enclosing(%d, %d): top level, want %q", line, col, tt.want)
			}
			if s.Name != tt.want {
				t.Errorf("Enclosing(%d, %d).Name = %q, want %q", line, col, s.Name, tt.want)
			}
			at := Pos{line, col}
			if contained := !less(at, s.Start) && less(at, s.End); !contained {
				t.Errorf("scope [%v, %v) does not contain %v", s.Start, s.End, at)
			}
			// Each part's position points at its token in the source.
			for _, p := range s.Parts {
				if p.Name == "default" {
					continue
				}
				if got := textAt(tt.src, p.Pos); !strings.HasPrefix(strings.Trim(got, `"`), p.Name) {
					t.Errorf("part %q at %v points at %q", p.Name, p.Pos, got)
				}
			}
		})
	}
}

func less(a, b Pos) bool { return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col }

// textAt returns the source text from a position to the end of its line,
// with an independent UTF-16 column walk.
func textAt(src string, p Pos) string {
	lines := splitV8Lines(src)
	u := []rune(lines[p.Line])
	col := 0
	for i, r := range u {
		if col == p.Col {
			return string(u[i:])
		}
		if r >= 0x10000 {
			col += 2
		} else {
			col++
		}
	}
	return ""
}

func splitV8Lines(src string) []string {
	src = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n").Replace(src)
	return strings.Split(src, "\n")
}

func TestTopLevelAndOutOfRange(t *testing.T) {
	src := "var a = 1;\nfunction f(){ return a }\nvar b = 2;"
	ix, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Pos{{0, 0}, {0, 5}, {2, 3}, {3, 0}, {-1, 0}, {0, -1}, {0, 99}} {
		if s, ok := ix.Enclosing(p.Line, p.Col); ok {
			t.Errorf("Enclosing(%v) = %q, want top level", p, s.Name)
		}
	}
	s, ok := ix.Enclosing(1, 0)
	if !ok || s.Name != "f" || s.Start != (Pos{1, 0}) || s.End != (Pos{1, 24}) {
		t.Errorf("Enclosing(1,0) = %+v, %v; want f [1:0, 1:24)", s, ok)
	}
	// End is exclusive.
	if _, ok := ix.Enclosing(1, 24); ok {
		t.Errorf("Enclosing(1,24) inside f, want outside (end exclusive)")
	}
}

func TestUTF16Columns(t *testing.T) {
	// Two astral characters (2 UTF-16 units, 4 bytes each) and a BMP one
	// (1 unit, 3 bytes) before the function on the same line.
	src := "var s=\"🧾🛒€\";function g(){return 1}"
	ix, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	scopes := ix.Scopes()
	if len(scopes) != 1 {
		t.Fatalf("got %d scopes", len(scopes))
	}
	// `function` starts after: var s=" (7) + 🧾🛒 (4) + € (1) + "; (2) = 14.
	if s := scopes[0]; s.Start != (Pos{0, 14}) || s.Parts[0].Pos != (Pos{0, 23}) {
		t.Errorf("scope %+v, want start 0:14, name at 0:23", s)
	}
	if s, ok := ix.Enclosing(0, 14); !ok || s.Name != "g" {
		t.Errorf("Enclosing(0,14) = %q %v", s.Name, ok)
	}
	if _, ok := ix.Enclosing(0, 13); ok {
		t.Errorf("Enclosing(0,13) inside g; UTF-16 columns miscounted")
	}
	// The function is 22 units long: [14, 36). With byte columns its end
	// would be 6 further.
	if s, ok := ix.Enclosing(0, 35); !ok || s.Name != "g" || s.End != (Pos{0, 36}) {
		t.Errorf("Enclosing(0,35) = %+v %v, want g ending at 0:36", s, ok)
	}
	if _, ok := ix.Enclosing(0, 36); ok {
		t.Errorf("Enclosing(0,36) inside g, want past its end")
	}
}

func TestLongLineCheckpoints(t *testing.T) {
	// Many astral characters across several checkpoints on one line.
	var b strings.Builder
	b.WriteString(`var s="`)
	for i := 0; i < 3000; i++ {
		b.WriteString("🧾é")
	}
	b.WriteString(`";function g(){return 1}`)
	src := b.String()
	ix, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	line, col := at(t, src, "return")
	s, ok := ix.Enclosing(line, col)
	if !ok || s.Name != "g" {
		t.Fatalf("Enclosing(%d,%d) = %q %v", line, col, s.Name, ok)
	}
	_, ncol := at(t, src, "g(){")
	if s.Parts[0].Pos != (Pos{0, ncol}) {
		t.Errorf("name at %v, want 0:%d", s.Parts[0].Pos, ncol)
	}
}

func TestParseErrors(t *testing.T) {
	_, err := Parse([]byte("var a = 1;\nfunction (){"))
	if err == nil {
		t.Fatal("no error for invalid JavaScript")
	}
	if !strings.Contains(err.Error(), "line 2") {
		t.Errorf("error %q does not name line 2", err)
	}
}

func TestModuleRetry(t *testing.T) {
	src := "import x from \"y\";\nexport function m(){ return x }\nawait 1;"
	ix, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := ix.Enclosing(1, 22); !ok || s.Name != "m" {
		t.Errorf("Enclosing = %q %v, want m", s.Name, ok)
	}
}

func TestRewriteForAwait(t *testing.T) {
	for in, want := range map[string]string{
		"for await (x of y)":           "for       (x of y)",
		"for\tawait(x of y)":           "for\t     (x of y)",
		"xfor await":                   "xfor await",
		"for awaitx":                   "for awaitx",
		"forawait":                     "forawait",
		"a;for await(;;)for await(;;)": "a;for      (;;)for      (;;)",
	} {
		src := []byte(in)
		if got := string(rewriteForAwait(src)); got != want {
			t.Errorf("rewriteForAwait(%q) = %q, want %q", in, got, want)
		}
		if string(src) != in {
			t.Errorf("rewriteForAwait modified its input %q", in)
		}
	}
}
