package stacktrace

import (
	"testing"
)

// want describes the expected frame of a one-line input; a nil *want means
// "not a frame".
type want struct {
	dialect     Dialect
	fn          string
	file        string
	line, col   int
	resolvable  bool
	reason      string // checked when non-empty
	async, ctor bool
	alias       string
	eval        bool
	hermes      bool
}

func w(d Dialect, fn, file string, line, col int, ok bool, reason string) *want {
	return &want{dialect: d, fn: fn, file: file, line: line, col: col, resolvable: ok, reason: reason}
}

func (x *want) with(f func(*want)) *want { f(x); return x }

var (
	async = func(x *want) { x.async = true }
	ctor  = func(x *want) { x.ctor = true }
	eval  = func(x *want) { x.eval = true }
	alias = func(a string) func(*want) { return func(x *want) { x.alias = a } }
)

// specCases are trace shapes of docs/internals/resolve.md §1 (each dialect) and positions of §3.
var specCases = []struct {
	name string
	in   string
	want *want
}{
	// §1.1 V8
	{"v8 named", `    at e.shout (/srv/app/dist/app.js:1:153)`, w(V8, "e.shout", "/srv/app/dist/app.js", 1, 153, true, "")},
	{"v8 no name", `    at /srv/app/dist/app.js:1:109`, w(V8, "", "/srv/app/dist/app.js", 1, 109, true, "")},
	{"v8 built-in map", `    at Array.map (<anonymous>)`, w(V8, "Array.map", "<anonymous>", 0, 0, false, ReasonAnonymous)},
	{"v8 built-in JSON", `    at JSON.parse (<anonymous>)`, w(V8, "JSON.parse", "<anonymous>", 0, 0, false, ReasonAnonymous)},
	{"v8 native", `    at Error (native)`, w(V8, "Error", "native", 0, 0, false, ReasonNative)},
	{"v8 constructor", `    at new Cart (/srv/app/dist/app.js:1:34)`, w(V8, "Cart", "/srv/app/dist/app.js", 1, 34, true, "").with(ctor)},
	{"v8 cjs top level", `    at Object.<anonymous> (/srv/app/dist/cli.js:3:1)`, w(V8, "Object.<anonymous>", "/srv/app/dist/cli.js", 3, 1, true, "")},
	{"v8 alias", `    at Object.load [as handler] (/srv/app/dist/app.js:9:30)`, w(V8, "Object.load", "/srv/app/dist/app.js", 9, 30, true, "").with(alias("handler"))},
	{"v8 odd name ..js", `    at Module._extensions..js (node:internal/modules/cjs/loader:1623:10)`, w(V8, "Module._extensions..js", "node:internal/modules/cjs/loader", 1623, 10, false, ReasonNode)},
	{"v8 odd name anonymous function", `    at r.fn.(anonymous function) [as load] (https://cdn.example.com/app.js:10:3651)`, w(V8, "r.fn.(anonymous function)", "https://cdn.example.com/app.js", 10, 3651, true, "").with(alias("load"))},
	{"v8 node internal named", `    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`, w(V8, "process.processTicksAndRejections", "node:internal/process/task_queues", 95, 5, false, ReasonNode)},
	{"v8 node internal bare", `    at node:internal/main/run_main_module:28:49`, w(V8, "", "node:internal/main/run_main_module", 28, 49, false, ReasonNode)},
	{"v8 async named", `    at async run (/srv/app/dist/app.js:16:23)`, w(V8, "run", "/srv/app/dist/app.js", 16, 23, true, "").with(async)},
	{"v8 async bare", `    at async /srv/app/dist/app.js:18:9`, w(V8, "", "/srv/app/dist/app.js", 18, 9, true, "").with(async)},
	{"v8 async Promise.all", `    at async Promise.all (index 0)`, w(V8, "Promise.all", "", 0, 0, false, ReasonNoLocation).with(async)},
	{"v8 eval", `    at evald (eval at <anonymous> (/srv/app/dist/app.js:6:20), <anonymous>:1:26)`, w(V8, "evald", "/srv/app/dist/app.js", 6, 20, true, "").with(eval)},
	{"v8 nested eval", `    at inner (eval at <anonymous> (eval at <anonymous> (/srv/app/dist/app.js:7:27)), <anonymous>:1:26)`, w(V8, "inner", "/srv/app/dist/app.js", 7, 27, true, "").with(eval)},
	{"v8 new Function", `    at eval (eval at <anonymous> (/srv/app/dist/app.js:8:28), <anonymous>:3:7)`, w(V8, "eval", "/srv/app/dist/app.js", 8, 28, true, "").with(eval)},
	{"v8 eval unknown source", `    at eval (eval at f (unknown source), <anonymous>:3:7)`, w(V8, "eval", "", 0, 0, false, ReasonEval).with(eval)},
	{"v8 esm", `    at f (file:///srv/app/dist/m.mjs:1:28)`, w(V8, "f", "file:///srv/app/dist/m.mjs", 1, 28, true, "")},
	{"v8 windows", `    at Object.<anonymous> (C:\Users\me\app\dist\main.js:10:20)`, w(V8, "Object.<anonymous>", `C:\Users\me\app\dist\main.js`, 10, 20, true, "")},
	{"v8 webpack no space", `    at Foo.render(webpack:///./src/App.jsx?:295:108)`, w(V8, "Foo.render", "webpack:///./src/App.jsx?", 295, 108, true, "")},
	{"v8 app:///", `    at Module.k [as generateMetadata] (app:///_next/server/chunks/ssr/[root-of-the-server]__a1b2c3~._.js:2:5672)`, w(V8, "Module.k", "app:///_next/server/chunks/ssr/[root-of-the-server]__a1b2c3~._.js", 2, 5672, true, "").with(alias("generateMetadata"))},
	{"v8 query fragment", `    at n (https://cdn.example.com/static/js/main.3f2a1b.js?v=42#frag:2:1234)`, w(V8, "n", "https://cdn.example.com/static/js/main.3f2a1b.js?v=42#frag", 2, 1234, true, "")},
	{"v8 blob", `    at s (blob:https%3A//app.example.com/4b1e6c2a-1111-2222-3333-444455556666:31:29146)`, w(V8, "s", "blob:https%3A//app.example.com/4b1e6c2a-1111-2222-3333-444455556666", 31, 29146, false, ReasonBlob)},
	{"v8 data", `    at dyn (data:application/javascript,export function dyn(){throw new Error('x')}:1:38)`, w(V8, "dyn", "data:application/javascript,export function dyn(){throw new Error('x')}", 1, 38, false, ReasonData)},
	{"v8 parens in path", `    at foo (/srv/my app (1)/dist/app.js:3:9)`, w(V8, "foo", "/srv/my app (1)/dist/app.js", 3, 9, true, "")},
	{"v8 parens in bare path", `    at /srv/my app (1)/dist/app.js:3:9`, w(V8, "", "/srv/my app (1)/dist/app.js", 3, 9, true, "")},
	{"v8 wasm", `    at MyClass::bar(int) const (https://example.com/main.wasm:wasm-function[190]:0x5aeb)`, w(V8, "MyClass::bar(int) const", "https://example.com/main.wasm", 0, 0, false, ReasonWasm)},
	{"v8 workers", `  at Object.fetch (index.js:1:3842)`, w(V8, "Object.fetch", "index.js", 1, 3842, true, "")},
	{"v8 hermes", `    at onPress (address at index.android.bundle:1:452701)`, w(V8, "onPress", "index.android.bundle", 1, 452701, true, "").with(func(x *want) { x.hermes = true })},
	{"v8 hermes native", `    at _receiveSignal (native)`, w(V8, "_receiveSignal", "native", 0, 0, false, ReasonNative)},
	{"v8 console inline", `    at <anonymous>:1:16`, w(V8, "", "<anonymous>", 1, 16, false, ReasonAnonymous)},
	{"v8 async glued to location", `    at f (async https://example.com/a.js:25:7)`, w(V8, "f", "https://example.com/a.js", 25, 7, true, "").with(async)},
	{"v8 ansi", "\x1b[90m    at f (/srv/a.js:2:3)\x1b[39m", w(V8, "f", "/srv/a.js", 2, 3, true, "")},
	{"v8 sentry raw", `  at fn(app:///main.js:1:5)`, w(V8, "fn", "app:///main.js", 1, 5, true, "")},
	{"v8 sentry raw unnamed", `  at ? (app:///main.js:1:5)`, w(V8, "?", "app:///main.js", 1, 5, true, "")},
	{"v8 no line", `    at foo (bar)`, w(V8, "foo", "bar", 0, 0, false, ReasonNoLocation)},

	// §1.2 Node decorations
	{"crash preamble path:line", `/srv/app/dist/crash.js:2`, nil},
	{"crash preamble file URL", `file:///srv/app/dist/crash.mjs:2`, nil},
	{"crash source line", `  throw new TypeError("uncaught here");`, nil},
	{"caret", `  ^`, nil},
	{"blank", ``, nil},
	{"header", `TypeError: uncaught here`, nil},
	{"crash frame", `    at boom (/srv/app/dist/crash.js:2:9)`, w(V8, "boom", "/srv/app/dist/crash.js", 2, 9, true, "")},
	{"trailer", `Node.js v20.20.2`, nil},
	{"matching cause", `    ... 5 lines matching cause stack trace ...`, nil},
	{"trailing brace", `    at node:internal/main/run_main_module:28:49 {`, w(V8, "", "node:internal/main/run_main_module", 28, 49, false, ReasonNode)},
	{"trailing brace named", `    at Function.executeUserEntryPoint [as runMain] (node:internal/modules/run_main:164:12) {`, w(V8, "Function.executeUserEntryPoint", "node:internal/modules/run_main", 164, 12, false, ReasonNode).with(alias("runMain"))},
	{"cause header", `  [cause]: TypeError: inner boom`, nil},
	{"cause frame", `      at inner (/srv/app/dist/cause.js:1:26)`, w(V8, "inner", "/srv/app/dist/cause.js", 1, 26, true, "")},
	{"closing brace", `}`, nil},
	{"aggregate header", `[AggregateError: All promises were rejected] {`, nil},
	{"errors", `  [errors]: [`, nil},
	{"nested header", `    Error: r1`, nil},
	{"trailing comma", `        at /srv/app/dist/gen.js:20:43,`, w(V8, "", "/srv/app/dist/gen.js", 20, 43, true, "")},
	{"node code header", `TypeError [ERR_INVALID_ARG_TYPE]: The "path" argument must be of type string`, nil},
	{"uncaught", `Uncaught (in promise) Error: x`, nil},
	{"deno uncaught", `error: Uncaught Error: x`, nil},
	{"caused by", `Caused by: Error: inner`, nil},
	{"deno code frame", `2 |   const e = new Error(msg)`, nil},
	{"bun trailer", `Bun v1.1.0 (Linux x64)`, nil},
	{"own property", `    code: 'FREE-LUNCH'`, nil},
	{"minified header", `m [CheckoutError]: cannot apply coupon to eli's cart`, nil},

	// §1.3 SpiderMonkey
	{"ff named", `foo@https://example.com/app.js:41:13`, w(Firefox, "foo", "https://example.com/app.js", 41, 13, true, "")},
	{"ff anonymous", `@https://example.com/app.js:24:7`, w(Firefox, "", "https://example.com/app.js", 24, 7, true, "")},
	{"ff inferred", `.plugin/e.fn[c]/<@https://example.com/app.js:1:1`, w(Firefox, ".plugin/e.fn[c]/<", "https://example.com/app.js", 1, 1, true, "")},
	{"ff inferred 2", `[2]</Bar.prototype._baz/</<@https://example.com/app.js:703:28`, w(Firefox, "[2]</Bar.prototype._baz/</<", "https://example.com/app.js", 703, 28, true, "")},
	{"ff cause setTimeout", `setTimeout handler*@https://example.com/app.js:214:17`, w(Firefox, "", "https://example.com/app.js", 214, 17, true, "")},
	{"ff cause promise", `promise callback*@https://example.com/app.js:177:150`, w(Firefox, "", "https://example.com/app.js", 177, 150, true, "")},
	{"ff cause async", `async*bar@https://example.com/app.js:10:5`, w(Firefox, "bar", "https://example.com/app.js", 10, 5, true, "")},
	{"ff name like path", `./src/app.js@https://example.com/commons.js:71:1`, w(Firefox, "./src/app.js", "https://example.com/commons.js", 71, 1, true, "")},
	{"ff eval", `run@https://example.com/app.js line 26 > eval line 2 > eval:1:30`, w(Firefox, "run", "https://example.com/app.js", 26, 0, true, "").with(eval)},
	{"ff new Function", `run@https://example.com/app.js line 26 > Function:1:30`, w(Firefox, "run", "https://example.com/app.js", 26, 0, true, "").with(eval)},
	{"ff resource", `render@resource://ext/data/bundle.js:5529:16`, w(Firefox, "render", "resource://ext/data/bundle.js", 5529, 16, true, "")},
	{"ff old no column", `bar(1)@https://example.com/file.js:13`, w(Firefox, "bar(1)", "https://example.com/file.js", 13, 0, true, "")},
	{"ff route segments", `onClick@https://example.com/_next/static/chunks/app/(group)/[route]/page.js:1:644`, w(Firefox, "onClick", "https://example.com/_next/static/chunks/app/(group)/[route]/page.js", 1, 644, true, "")},
	{"ff scoped package", `f@https://example.com/node_modules/@scope/pkg/a.js:1:2`, w(Firefox, "f", "https://example.com/node_modules/@scope/pkg/a.js", 1, 2, true, "")},
	{"ff console cause", `    promise callback* main.js:44`, w(FirefoxConsole, "", "main.js", 44, 0, true, "")},
	{"ff console named", `    update scheduler.js:119`, w(FirefoxConsole, "update", "scheduler.js", 119, 0, true, "")},

	// §1.4 JavaScriptCore (the "name@location" grammar is shared with
	// SpiderMonkey; only JSC markers make a frame JSC)
	{"jsc named", `aha@https://example.com/:19:22`, w(Firefox, "aha", "https://example.com/", 19, 22, true, "")},
	{"jsc bare", `https://example.com/:50:29`, w(JSC, "", "https://example.com/", 50, 29, true, "")},
	{"jsc global code", `global code@https://example.com/test:24:10`, w(JSC, "global code", "https://example.com/test", 24, 10, true, "")},
	{"jsc module code", `module code@https://example.com/m.js:2:10`, w(JSC, "module code", "https://example.com/m.js", 2, 10, true, "")},
	{"jsc native map", `map@[native code]`, w(JSC, "map", "[native code]", 0, 0, false, ReasonNative)},
	{"jsc native eval", `eval@[native code]`, w(JSC, "eval", "[native code]", 0, 0, false, ReasonNative)},
	{"jsc native promise", `promiseReactionJob@[native code]`, w(JSC, "promiseReactionJob", "[native code]", 0, 0, false, ReasonNative)},
	{"jsc eval code", `eval code`, w(JSC, "eval code", "", 0, 0, false, ReasonEval)},
	{"jsc extension", `isClaimed@safari-extension://com.example.ext/ee7759dd/ext.js:2:929865`, w(Firefox, "isClaimed", "safari-extension://com.example.ext/ee7759dd/ext.js", 2, 929865, true, "")},
	{"jsc react native", `value@index.android.bundle:12:1917`, w(Firefox, "value", "index.android.bundle", 12, 1917, true, "")},

	// §2 rule 4: bare locations
	{"bare scoped package", `/srv/node_modules/@scope/x.js:1:2`, w(JSC, "", "/srv/node_modules/@scope/x.js", 1, 2, true, "")},
	{"bare unpkg version", `https://unpkg.com/pkg@1.2.3/dist/a.js:1:2`, w(JSC, "", "https://unpkg.com/pkg@1.2.3/dist/a.js", 1, 2, true, "")},
	{"bare home", `~/static/app.js:3:4`, w(JSC, "", "~/static/app.js", 3, 4, true, "")},
	{"bare drive", `C:\app\main.js:3:4`, w(JSC, "", `C:\app\main.js`, 3, 4, true, "")},
	{"bare js extension", `    main.3f2a1b.js:3:4`, w(JSC, "", "main.3f2a1b.js", 3, 4, true, "")},
	{"bare no column", `https://example.com/app.js:3`, nil},
	{"bare no extension", `foo:3:4`, nil},
	{"bare time", `12:30:45`, nil},

	// §3 positions: 0 is invalid
	{"v8 line 0", `    at f (/srv/a.js:0:5)`, w(V8, "f", "/srv/a.js", 0, 5, false, ReasonNoMapping)},
	{"v8 column 0", `    at f (/srv/a.js:3:0)`, w(V8, "f", "/srv/a.js", 3, 0, false, ReasonNoMapping)},
	{"ff column 0", `f@https://example.com/a.js:3:0`, w(Firefox, "f", "https://example.com/a.js", 3, 0, false, ReasonNoMapping)},
	{"v8 line only", `    at f (/srv/a.js:3)`, w(V8, "f", "/srv/a.js", 3, 0, true, "")},
}

func TestSpecExamples(t *testing.T) {
	for _, tc := range specCases {
		t.Run(tc.name, func(t *testing.T) {
			lines := ParseString(tc.in)
			if tc.in == "" {
				if len(lines) != 0 {
					t.Fatalf("empty input: %d lines", len(lines))
				}
				return
			}
			if len(lines) != 1 {
				t.Fatalf("got %d lines", len(lines))
			}
			checkFrame(t, lines[0].Frame, tc.want)
			if got := RenderString(lines); got != tc.in {
				t.Errorf("round trip: %q", got)
			}
		})
	}
}

func checkFrame(t *testing.T, f *Frame, x *want) {
	t.Helper()
	if x == nil {
		if f != nil {
			t.Fatalf("want no frame, got %+v", *f)
		}
		return
	}
	if f == nil {
		t.Fatalf("want a frame, got none")
	}
	if f.Dialect != x.dialect || f.Function != x.fn || f.File != x.file || f.Line != x.line || f.Column != x.col ||
		f.Resolvable != x.resolvable || (x.reason != "" && f.Reason != x.reason) || (x.resolvable && f.Reason != "") {
		t.Errorf("got  %s fn=%q file=%q %d:%d resolvable=%v reason=%q\nwant %s fn=%q file=%q %d:%d resolvable=%v reason=%q",
			f.Dialect, f.Function, f.File, f.Line, f.Column, f.Resolvable, f.Reason,
			x.dialect, x.fn, x.file, x.line, x.col, x.resolvable, x.reason)
	}
	if f.Async != x.async || f.Constructor != x.ctor || f.Alias != x.alias || f.Eval != x.eval || f.Hermes != x.hermes {
		t.Errorf("flags: async=%v new=%v alias=%q eval=%v hermes=%v; want %v %v %q %v %v",
			f.Async, f.Constructor, f.Alias, f.Eval, f.Hermes, x.async, x.ctor, x.alias, x.eval, x.hermes)
	}
}

// TestNumbered covers the Sentry-style two-line list of §1.5.
func TestNumbered(t *testing.T) {
	in := "Error: checkout failed: too expensive\n\n" +
		"03  ?\n    app:///_next/static/chunks/main-3f2a1b.js:1:5120\n\n" +
		"02  process.processTicksAndRejections\n    node:internal/process/task_queues:95:5\n\n" +
		"01  Module.k [as handler]\n    app:///_next/server/chunks/ssr/[root-of-the-server]__a1b2c3~._.js:2:5672\n"
	lines := ParseString(in)
	if got := RenderString(lines); got != in {
		t.Fatalf("round trip:\n%s", got)
	}
	wants := map[int]*want{
		2: w(Numbered, "?", "app:///_next/static/chunks/main-3f2a1b.js", 1, 5120, true, ""),
		5: w(Numbered, "process.processTicksAndRejections", "node:internal/process/task_queues", 95, 5, false, ReasonNode),
		8: w(Numbered, "Module.k", "app:///_next/server/chunks/ssr/[root-of-the-server]__a1b2c3~._.js", 2, 5672, true, "").with(alias("handler")),
	}
	for i, l := range lines {
		checkFrame(t, l.Frame, wants[i])
		if wantCont := wants[i-1] != nil; l.Cont != wantCont {
			t.Errorf("line %d: Cont=%v", i, l.Cont)
		}
	}
	// A number line not followed by an indented bare location is not a frame.
	for _, in := range []string{"03  ?\nfoo\n", "03  ?\napp:///a.js:1:2\n", "3  ?\n    app:///a.js:1:2\n", "03\n    app:///a.js:1:2\n"} {
		for i, l := range ParseString(in) {
			if l.Cont || (i == 0 && l.Frame != nil) {
				t.Errorf("%q: line %d classified as numbered", in, i)
			}
		}
	}
}
