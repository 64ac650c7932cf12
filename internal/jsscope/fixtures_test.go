package jsscope

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/sourcemap"
)

const fixtures = "../../testdata/fixtures"

// origFunc is a function of the original app (testdata/gen/app/src) or of
// the lodash-es modules it bundles: 1-based lines, 0-based columns (a range
// on a single line needs columns; -1 means the whole line).
type origFunc struct {
	file           string // path suffix after "src/" or "node_modules/"
	name           string
	fromLine, from int
	toLine, to     int
}

// Read off the sources by hand (see testdata/gen/app/src). Constructors are
// named after their class, methods Class.method, callbacks <anonymous>.
var origFuncs = []origFunc{
	{"util/format.js", "formatMoney", 8, -1, 15, -1},
	{"util/format.js", "describe", 17, -1, 17, -1},
	{"util/format.js", "assertPositive", 19, -1, 24, -1},
	{"util/errors.js", "CheckoutError", 2, -1, 5, -1},
	{"util/errors.js", "CouponError", 9, -1, 13, -1},
	{"models/cart.js", "LineItem", 4, -1, 9, -1},
	{"models/cart.js", "LineItem.get subtotal", 11, -1, 13, -1},
	{"models/cart.js", "LineItem.assertInStock", 15, -1, 21, -1},
	{"models/cart.js", "Cart", 25, -1, 29, -1},
	{"models/cart.js", "Cart.add", 31, -1, 34, -1},
	{"models/cart.js", "Cart.get subtotal", 36, -1, 38, -1},
	{"models/cart.js", Anonymous, 37, 29, 37, 68},
	{"models/cart.js", "Cart.get total", 40, -1, 47, -1},
	{"models/cart.js", "Cart.checkout", 49, -1, 52, -1},
	{"models/cart.js", Anonymous, 50, 37, 50, 74},
	{"services/pricing.js", "delay", 6, -1, 6, -1},
	{"services/pricing.js", Anonymous, 6, 34, 6, 72},
	{"services/pricing.js", "lookupRate", 8, -1, 15, -1},
	{"services/pricing.js", "convertCart", 17, -1, 20, -1},
	{"services/pricing.js", "quote", 22, -1, 28, -1},
	{"services/pricing.js", "parseCoupon", 30, -1, 36, -1},
	{"services/pricing.js", "applyCoupon", 38, -1, 45, -1},
	{"services/pricing.js", "isDiscontinued", 49, -1, 55, -1},
	{"services/pricing.js", "bulkDiscount", 58, -1, 67, -1},
	{"services/pricing.js", Anonymous, 60, 27, 65, -1},
	{"services/reminders.js", "makeReminder", 1, -1, 10, -1},
	{"services/reminders.js", "fire", 3, -1, 8, -1},
	{"services/reminders.js", "scheduleReminder", 12, -1, 18, -1},
	{"services/reminders.js", "onReminderDue", 14, -1, 16, -1},
	{"index.js", "sampleCart", 6, -1, 11, -1},
	{"index.js", "class-method", 14, -1, 14, -1},
	{"index.js", "getter", 15, -1, 19, -1},
	{"index.js", "async", 20, -1, 23, -1},
	{"index.js", "timer", 24, -1, 24, -1},
	{"index.js", "cause", 25, -1, 25, -1},
	{"index.js", "library-callback", 26, -1, 26, -1},
	{"index.js", "main", 31, -1, 42, -1},
	{"lodash-es/negate.js", "negate", 24, -1, 38, -1},
	{"lodash-es/negate.js", Anonymous, 28, -1, 37, -1},
	{"lodash-es/times.js", "times", 33, -1, 49, -1},
	{"lodash-es/_baseTimes.js", "baseTimes", 10, -1, 18, -1},
}

func (f origFunc) contains(line, col int) bool {
	if line < f.fromLine || line > f.toLine {
		return false
	}
	if line == f.fromLine && f.from >= 0 && col < f.from {
		return false
	}
	if line == f.toLine && f.to >= 0 && col >= f.to {
		return false
	}
	return true
}

func (f origFunc) size() int { return (f.toLine-f.fromLine)*1000 + (f.to - f.from) }

// expectedName returns the innermost original function containing the
// original position (1-based line, 0-based column) in source.
func expectedName(source string, line, col int) (string, bool) {
	var best *origFunc
	for i := range origFuncs {
		f := &origFuncs[i]
		if !strings.HasSuffix(source, "/"+f.file) && source != f.file {
			continue
		}
		if f.contains(line, col) && (best == nil || f.size() < best.size()) {
			best = f
		}
	}
	if best == nil {
		if strings.Contains(source, "lodash-es/") {
			return "", false // only the lodash functions the traces pass through are listed
		}
		return topLevel, true
	}
	return best.name, true
}

const topLevel = "(top level)"

var frameRE = regexp.MustCompile(`^\s+at (?:(.*) \()?(?:file://)?/fixtures/([^:()]+):(\d+):(\d+)\)?$`)

type frame struct {
	trace, text string
	file        string // relative to testdata/fixtures
	line, col   int    // 1-based, as V8 prints them
}

func readFrames(t *testing.T, build string) []frame {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(fixtures, build, "traces", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []frame
	for _, p := range paths {
		if strings.HasSuffix(p, ".node-resolved.txt") {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			m := frameRE.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			l, _ := strconv.Atoi(m[3])
			c, _ := strconv.Atoi(m[4])
			out = append(out, frame{trace: filepath.Base(p), text: strings.TrimSpace(m[0]), file: m[2], line: l, col: c})
		}
	}
	return out
}

type fixtureFile struct {
	ix *Index
	m  *sourcemap.Map
}

func TestFixtureNames(t *testing.T) {
	builds, err := filepath.Glob(filepath.Join(fixtures, "*", "traces"))
	if err != nil || len(builds) == 0 {
		t.Fatalf("no fixture builds under %s (%v)", fixtures, err)
	}
	total, good := 0, 0
	for _, b := range builds {
		build := filepath.Base(filepath.Dir(b))
		files := map[string]*fixtureFile{}
		n, ok := 0, 0
		for _, fr := range readFrames(t, build) {
			ff := files[fr.file]
			if ff == nil {
				src, err := os.ReadFile(filepath.Join(fixtures, fr.file))
				if err != nil {
					t.Fatal(err)
				}
				mb, err := os.ReadFile(filepath.Join(fixtures, fr.file) + ".map")
				if err != nil {
					t.Fatal(err)
				}
				ff = &fixtureFile{}
				if ff.ix, err = Parse(src); err != nil {
					t.Fatalf("%s: %v", fr.file, err)
				}
				if ff.m, err = sourcemap.Parse(mb); err != nil {
					t.Fatalf("%s.map: %v", fr.file, err)
				}
				files[fr.file] = ff
			}
			orig, mapped := ff.m.Lookup(fr.line-1, fr.col-1)
			if !mapped {
				t.Errorf("%s %s: %q has no mapping", build, fr.trace, fr.text)
				continue
			}
			want, known := expectedName(orig.Source, orig.Line+1, orig.Column)
			if !known {
				t.Errorf("%s %s: %q maps to %s:%d:%d, not in the table of original functions",
					build, fr.trace, fr.text, orig.Source, orig.Line+1, orig.Column)
				continue
			}
			n++
			got := topLevel
			minified := ""
			if s, in := ff.ix.Enclosing(fr.line-1, fr.col-1); in {
				got, _ = s.OriginalName(ff.m)
				minified = s.Name
			}
			if got == want {
				ok++
				continue
			}
			t.Logf("miss %s %s: %q → %s:%d:%d: got %q (minified %q), want %q",
				build, fr.trace, fr.text, orig.Source, orig.Line+1, orig.Column+1, got, minified, want)
		}
		if n == 0 {
			t.Errorf("%s: no bundle frames", build)
			continue
		}
		t.Logf("%-12s %2d/%2d bundle frames named exactly (%.0f%%)", build, ok, n, 100*float64(ok)/float64(n))
		total += n
		good += ok
	}
	rate := float64(good) / float64(total)
	t.Logf("all builds: %d/%d (%.1f%%)", good, total, 100*rate)
	if rate < 0.90 {
		t.Errorf("naming accuracy %.1f%% < 90%%", 100*rate)
	}
}

// TestFixtureScopesParse checks every committed bundle parses and that the
// app's named functions get their original names through the maps.
func TestFixtureScopesParse(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(fixtures, "*", "*.*js"))
	if len(paths) == 0 {
		t.Fatal("no fixture bundles")
	}
	for _, p := range paths {
		if strings.HasSuffix(p, ".map") {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ix, err := Parse(src)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		mb, err := os.ReadFile(p + ".map")
		if err != nil {
			t.Fatal(err)
		}
		m, err := sourcemap.Parse(mb)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, s := range ix.Scopes() {
			o, _ := s.OriginalName(m)
			names[o] = true
		}
		// Named in the source and kept as scopes by every bundler.
		for _, want := range []string{"formatMoney", "LineItem", "LineItem.assertInStock", "Cart.checkout", "Cart.get total", "lookupRate", "sampleCart", "class-method", "fire"} {
			if !names[want] {
				var all []string
				for n := range names {
					all = append(all, n)
				}
				sort.Strings(all)
				t.Errorf("%s: no scope named %q; have %v", p, want, all)
			}
		}
	}
}
