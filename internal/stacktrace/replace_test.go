package stacktrace

import (
	"strings"
	"testing"
	"time"
)

type rep struct {
	fn, file  string
	line, col int
}

func TestReplace(t *testing.T) {
	loc := rep{"", "src/a.ts", 12, 5}
	cases := []struct {
		name, in string
		r        rep
		want     string
	}{
		{"v8 named", `    at e.shout (/srv/app/dist/app.js:1:153)`, rep{"Greeter.shout", "src/greeting.ts", 12, 13}, `    at Greeter.shout (src/greeting.ts:12:13)`},
		{"v8 named keep function", `    at e.shout (/srv/app/dist/app.js:1:153)`, loc, `    at e.shout (src/a.ts:12:5)`},
		{"v8 named function only", `    at e.shout (/srv/app/dist/app.js:1:153)`, rep{"Greeter.shout", "", 0, 0}, `    at Greeter.shout (/srv/app/dist/app.js:1:153)`},
		{"v8 bare with function", `    at /srv/app/dist/app.js:1:109`, rep{"<anonymous>", "src/greeting.ts", 7, 38}, `    at <anonymous> (src/greeting.ts:7:38)`},
		{"v8 bare without function", `    at /srv/app/dist/app.js:1:109`, rep{"", "src/greeting.ts", 7, 38}, `    at src/greeting.ts:7:38`},
		{"v8 async bare", `    at async /srv/app/dist/app.js:18:9`, rep{"run", "src/main.ts", 3, 4}, `    at async run (src/main.ts:3:4)`},
		{"v8 async named", `    at async s (/srv/app/dist/app.js:16:23)`, rep{"runApp", "src/main.ts", 3, 4}, `    at async runApp (src/main.ts:3:4)`},
		{"v8 new", `    at new Cart (/srv/app/dist/app.js:1:34)`, rep{"ShoppingCart", "src/cart.ts", 5, 3}, `    at new ShoppingCart (src/cart.ts:5:3)`},
		{"v8 alias", `    at Object.load [as handler] (/srv/app/dist/app.js:9:30)`, rep{"Loader.load", "src/l.ts", 1, 2}, `    at Loader.load [as handler] (src/l.ts:1:2)`},
		{"v8 getter alias", `    at get total [as total] (/fixtures/rollup/app.cjs:1:900)`, rep{"Cart.get total", "src/cart.js", 20, 7}, `    at Cart.get total [as total] (src/cart.js:20:7)`},
		{"v8 trailing comma", `        at /srv/app/dist/gen.js:20:43,`, rep{"gen", "src/gen.ts", 4, 5}, `        at gen (src/gen.ts:4:5),`},
		{"v8 trailing brace", `    at foo (/srv/a.js:1:2) {`, rep{"bar", "src/a.ts", 3, 4}, `    at bar (src/a.ts:3:4) {`},
		{"v8 ansi", "\x1b[90m    at foo (/srv/a.js:1:2)\x1b[39m", rep{"bar", "src/a.ts", 3, 4}, "\x1b[90m    at bar (src/a.ts:3:4)\x1b[39m"},
		{"v8 windows", `    at Object.<anonymous> (C:\Users\me\app\dist\main.js:10:20)`, rep{"", `C:\Users\me\app\src\main.ts`, 3, 1}, `    at Object.<anonymous> (C:\Users\me\app\src\main.ts:3:1)`},
		{"v8 webpack no space", `    at Foo.render(webpack:///./src/App.jsx?:295:108)`, rep{"App.render", "src/App.jsx", 10, 5}, `    at App.render(src/App.jsx:10:5)`},
		{"v8 eval keeps structure", `    at evald (eval at <anonymous> (/srv/app/dist/app.js:6:20), <anonymous>:1:26)`, rep{"", "src/app.ts", 3, 4}, `    at evald (eval at <anonymous> (src/app.ts:3:4), <anonymous>:1:26)`},
		{"v8 hermes drops address at", `    at onPress (address at index.android.bundle:1:452701)`, rep{"", "src/App.tsx", 12, 5}, `    at onPress (src/App.tsx:12:5)`},
		{"v8 no column", `    at e.shout (/srv/app/dist/app.js:1:153)`, rep{"", "src/a.ts", 12, 0}, `    at e.shout (src/a.ts:12)`},
		{"v8 workers indent", `  at Object.fetch (index.js:1:3842)`, rep{"handler.fetch", "src/index.ts", 9, 3}, `  at handler.fetch (src/index.ts:9:3)`},
		{"ff named", `foo@https://example.com/app.js:41:13`, rep{"Greeter.shout", "src/greeting.ts", 12, 13}, `Greeter.shout@src/greeting.ts:12:13`},
		{"ff anonymous", `@https://example.com/app.js:24:7`, rep{"x", "src/a.ts", 1, 2}, `x@src/a.ts:1:2`},
		{"ff cause named", `async*bar@https://example.com/app.js:10:5`, rep{"baz", "src/a.ts", 1, 2}, `async*baz@src/a.ts:1:2`},
		{"ff cause only", `setTimeout handler*@https://example.com/app.js:214:17`, rep{"onTick", "src/a.ts", 1, 2}, `setTimeout handler*onTick@src/a.ts:1:2`},
		{"ff eval", `run@https://example.com/app.js line 26 > eval line 2 > eval:1:30`, loc, `run@src/a.ts:12:5 > eval line 2 > eval:1:30`},
		{"ff indented", `    foo@https://example.com/app.js:41:13`, loc, `    foo@src/a.ts:12:5`},
		{"jsc bare with function", `https://example.com/:50:29`, rep{"aha", "src/a.ts", 1, 2}, `aha@src/a.ts:1:2`},
		{"jsc bare without function", `https://example.com/:50:29`, rep{"", "src/a.ts", 1, 2}, `src/a.ts:1:2`},
		{"jsc global code", `global code@https://example.com/test:24:10`, loc, `global code@src/a.ts:12:5`},
		{"console named", `    update scheduler.js:119`, rep{"Scheduler.update", "src/scheduler.ts", 119, 0}, `    Scheduler.update src/scheduler.ts:119`},
		{"console cause", `    promise callback* main.js:44`, rep{"main", "src/main.ts", 40, 0}, `    promise callback* main src/main.ts:40`},
		{"crlf", "    at f (/srv/a.js:1:2)\r\n", rep{"g", "src/a.ts", 3, 4}, "    at g (src/a.ts:3:4)\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lines := ParseString(tc.in)
			if len(lines) != 1 || lines[0].Frame == nil {
				t.Fatalf("not parsed as one frame: %q", tc.in)
			}
			f := lines[0].Frame
			f.Replace(tc.r.fn, tc.r.file, tc.r.line, tc.r.col)
			if !f.Replaced() {
				t.Fatal("Replaced() false")
			}
			if got := RenderString(lines); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			f.ClearReplace()
			if got := RenderString(lines); got != tc.in {
				t.Errorf("after ClearReplace: %q", got)
			}
		})
	}
}

func TestReplaceNumbered(t *testing.T) {
	in := "Error: boom\n\n03  ?\n    app:///_next/static/chunks/main-3f2a1b.js:1:5120\n\n01  Module.k [as handler]\r\n    app:///_next/server/chunks/x.js:2:5672"
	want := "Error: boom\n\n03  Checkout.submit\n    src/checkout.ts:14:3\n\n01  Page.generate [as handler]\r\n    src/page.tsx:2:1"
	lines := ParseString(in)
	if lines[2].Frame == nil || lines[5].Frame == nil || !lines[3].Cont || !lines[6].Cont {
		t.Fatalf("numbered frames not found")
	}
	lines[2].Frame.Replace("Checkout.submit", "src/checkout.ts", 14, 3)
	lines[5].Frame.Replace("Page.generate", "src/page.tsx", 2, 1)
	if got := RenderString(lines); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// Location only: the number line stays.
	lines = ParseString(in)
	lines[2].Frame.Replace("", "src/checkout.ts", 14, 3)
	if got := RenderString(lines); !strings.HasPrefix(got, "Error: boom\n\n03  ?\n    src/checkout.ts:14:3\n") {
		t.Errorf("got %q", got)
	}
}

func TestLineEndings(t *testing.T) {
	for _, in := range []string{
		"",
		"\n",
		"\r\n",
		"Error: x",
		"Error: x\n    at f (/a.js:1:2)",
		"Error: x\r\n    at f (/a.js:1:2)\r\n",
		"Error: x\r\n    at f (/a.js:1:2)\n\n",
		"a\rb\n\r\r\n\r",
		"    at f (/a.js:1:2)\r",
	} {
		lines := ParseString(in)
		if got := RenderString(lines); got != in {
			t.Errorf("%q: round trip %q", in, got)
		}
		for _, l := range lines {
			if strings.Contains(l.Text, "\n") || (l.Term != "\n" && l.Term != "\r\n" && l.Term != "") {
				t.Errorf("%q: bad split %q %q", in, l.Text, l.Term)
			}
		}
	}
	lines := ParseString("Error: x\r\n    at f (/a.js:1:2)")
	if len(lines) != 2 || lines[0].Term != "\r\n" || lines[1].Term != "" || lines[1].Frame == nil || lines[1].Frame.Column != 2 {
		t.Errorf("CRLF / no final newline: %+v", lines)
	}
	lines = ParseString("    at f (/a.js:1:2)\r\n")
	if f := lines[0].Frame; f == nil || f.File != "/a.js" || f.Column != 2 {
		t.Errorf("CRLF frame: %+v", f)
	}
}

// TestLongLines: multi-megabyte lines (minified preambles) and hostile
// shapes parse in linear time.
func TestLongLines(t *testing.T) {
	const n = 4 << 20
	inputs := []string{
		strings.Repeat("x", n) + "\n    at f (/a.js:1:2)\n",
		"    at f (" + strings.Repeat("(", n) + "/a.js:1:2)",
		"    at f (" + strings.Repeat("eval at g (", n/11) + "/a.js:1:2" + strings.Repeat(")", n/11) + ", <anonymous>:1:2)",
		strings.Repeat("@", n) + "a.js:1:2",
		strings.Repeat("a@", n/2) + "x:1:2",
		strings.Repeat(" line 1 > ", n/10) + "@/a.js:1:2",
		"  " + strings.Repeat("a ", n/2) + "a.js:1",
		"    at " + strings.Repeat("\x1b[1m", n/4) + "x",
		strings.Repeat("1", n) + "  ?\n    /a.js:1:2",
	}
	for i, in := range inputs {
		start := time.Now()
		lines := ParseString(in)
		if got := RenderString(lines); got != in {
			t.Errorf("input %d: round trip differs", i)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("input %d: took %v", i, d)
		}
	}
}
