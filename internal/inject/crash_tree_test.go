package inject_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/sourcemap"
)

// ---------------------------------------------------------------------------
// The tree

type crashFile struct {
	rel         string
	orig, final []byte
	mode        fs.FileMode
	pristine    fs.FileInfo // of the pristine copy, which trials hard-link
}

// crashUnit is what mapback writes together: bundles (leader first, by path)
// and the map they share, if it is a file.
type crashUnit struct {
	files  []*crashFile
	commit *crashFile // the first file that changes, in files order; nil: nothing changes
}

func (u *crashUnit) name() string { return u.files[0].rel }

type crashTree struct {
	pristine string
	files    map[string]*crashFile
	order    []string
	units    []*crashUnit
	changing int // units that change
	shapes   map[string]int
	bytes    int64
}

type treeGen struct {
	rng    *rand.Rand
	files  map[string][]byte
	modes  map[string]fs.FileMode
	shapes map[string]int
}

func (g *treeGen) put(rel string, data []byte, mode fs.FileMode) {
	if _, dup := g.files[rel]; dup {
		panic("duplicate " + rel)
	}
	g.files[rel] = data
	g.modes[rel] = mode
}

// mappingsBuilder writes valid mappings (4-field segments, one source).
type mappingsBuilder struct {
	sb                 strings.Builder
	col, line, srcCol  int
	segmentsOnThisLine int
}

func (m *mappingsBuilder) vlq(v int) { m.sb.Write(sourcemap.AppendVLQ(nil, int64(v))) }

func (m *mappingsBuilder) segment(genCol, srcLine, srcCol int) {
	if m.segmentsOnThisLine > 0 {
		m.sb.WriteByte(',')
	}
	m.vlq(genCol - m.col)
	m.vlq(0)
	m.vlq(srcLine - m.line)
	m.vlq(srcCol - m.srcCol)
	m.col, m.line, m.srcCol = genCol, srcLine, srcCol
	m.segmentsOnThisLine++
}

func (m *mappingsBuilder) newline() {
	m.sb.WriteByte(';')
	m.col, m.segmentsOnThisLine = 0, 0
}

// code returns JS of about size bytes after prelude (its lines unmapped) and
// mappings for it. oneLine gives a minified-style single line.
func (g *treeGen) code(size int, prelude []string, oneLine bool, nl string) (js string, mappings string, lines int) {
	var b strings.Builder
	var m mappingsBuilder
	for _, p := range prelude {
		b.WriteString(p)
		b.WriteString(nl)
		m.newline()
		lines++
	}
	salt := g.rng.IntN(1 << 20)
	col := 0
	for i := 0; b.Len() < size; i++ {
		stmt := fmt.Sprintf("var v%d_%d=function(a,b){return a*%d+b|0};", salt, i, i%977)
		if i%7 == 3 {
			stmt = fmt.Sprintf("console.log(\"line %d of %d\",v%d_%d(1,2));", i, salt, salt, i-1)
		}
		m.segment(col, i, 0)
		m.segment(col+4, i, 4)
		b.WriteString(stmt)
		if oneLine {
			col += len(stmt)
		} else {
			b.WriteString(nl)
			m.newline()
			lines++
			col = 0
		}
	}
	if oneLine {
		b.WriteString(nl)
		lines++
	}
	return b.String(), strings.TrimSuffix(m.sb.String(), ";"), lines
}

func compactMap(file, mappings string) string {
	return fmt.Sprintf(`{"version":3,"file":%q,"sources":["../src/%s.ts"],"names":[],"mappings":%q}`, file, strings.TrimSuffix(file, filepath.Ext(file)), mappings)
}

func prettyMap(file, mappings, src string) string {
	content, _ := json.Marshal(src)
	return fmt.Sprintf(`{
  "version": 3,
  "file": %q,
  "sources": ["../src/%s.ts", "../node_modules/lib/index.js"],
  "sourcesContent": [%s, null],
  "names": [],
  "mappings": %q,
  "x_google_ignoreList": [1],
  "x_custom": {"generator": "crash_test", "mappings": "not these"}
}
`, file, file, content, mappings)
}

// size draws a bundle size: mostly a few KB, some tens of KB, a few near 1 MB.
func (g *treeGen) size() int {
	switch r := g.rng.Float64(); {
	case r < 0.70:
		return 1<<10 + g.rng.IntN(7<<10)
	case r < 0.97:
		return 8<<10 + g.rng.IntN(56<<10)
	default:
		return 300<<10 + g.rng.IntN(700<<10)
	}
}

// treeShape says what a crash tree holds: how many bundles of each shape,
// spread over how many directories, of what sizes.
type treeShape struct {
	plan map[string]int
	dirs int
	size func(*treeGen) int
}

// everyShape: every layout inject handles, a few of each, some large.
var everyShape = treeShape{
	plan: map[string]int{
		"external": 11, "external-oneline": 2, "pretty": 5, "banner": 3, "hashbang": 2,
		"crlf": 3, "inline": 5, "index": 3, "no-map": 3, "no-map-dangling-ref": 2,
		"co-located": 3, "map-elsewhere": 3, "map-has-id": 2, "copies": 4, "repair": 3,
	},
	dirs: 8,
	size: (*treeGen).size,
}

// scaleShape: 5,000 small chunks with maps, nearly all in two directories,
// as a code-split build emits them: more units than one batch takes.
var scaleShape = treeShape{
	plan: map[string]int{
		"external": 4700, "external-oneline": 250, "pretty": 10, "copies": 10,
		"map-elsewhere": 10, "co-located": 10, "no-map": 10,
	},
	dirs: 2,
	size: func(g *treeGen) int { return 512 + g.rng.IntN(15<<10) },
}

// generateCrashTree writes the pristine tree. Its shape is fixed (a constant
// seed): only the kill times vary between runs.
func generateCrashTree(t *testing.T, bin, dir string, ts treeShape) *crashTree {
	t.Helper()
	g := &treeGen{rng: rand.New(rand.NewPCG(3, 2026)), files: map[string][]byte{}, modes: map[string]fs.FileMode{}, shapes: map[string]int{}}
	plan := ts.plan
	var shapes []string
	for s, n := range plan {
		for range n {
			shapes = append(shapes, s)
		}
	}
	sort.Strings(shapes)
	g.rng.Shuffle(len(shapes), func(i, j int) { shapes[i], shapes[j] = shapes[j], shapes[i] })

	stage := dir + "-stage" // for "repair": bundles injected by mapback itself
	var repairs []string
	sizeOf := ts.size
	for i, shape := range shapes {
		d := fmt.Sprintf("d%d", i%ts.dirs)
		ext := []string{"js", "js", "js", "mjs", "cjs"}[i%5]
		base := fmt.Sprintf("%s-%03d", shape, i)
		name := base + "." + ext
		rel := d + "/" + name
		mode := fs.FileMode(0o644)
		switch i % 11 {
		case 3:
			mode = 0o664 // not what the umask gives: the mode must be copied
		case 7:
			mode = 0o600
		}
		g.shapes[shape]++
		size := sizeOf(g)
		if g.shapes[shape] == 1 { // at least one big file, whatever the draw
			switch shape {
			case "external-oneline":
				size = 1000 << 10
			case "external":
				size = 400 << 10
			}
		}
		url := "\n//# sourceMappingURL=" + name + ".map\n"
		switch shape {
		case "external", "map-has-id":
			js, mp, _ := g.code(size, nil, false, "\n")
			m := compactMap(name, mp)
			if shape == "map-has-id" {
				m = strings.TrimSuffix(m, "}") + fmt.Sprintf(`,"debugId":"%08X%04X%04X%04X%012X"}`, g.rng.Uint32(), 0x4000|g.rng.IntN(0xfff), 0x8000|g.rng.IntN(0x3fff), g.rng.IntN(0xffff), g.rng.Uint64()&(1<<48-1))
			}
			g.put(rel, []byte(js+strings.TrimPrefix(url, "\n")), mode)
			g.put(rel+".map", []byte(m), mode)
		case "external-oneline":
			js, mp, _ := g.code(size, []string{"/*! minified */"}, true, "\n")
			g.put(rel, []byte(js+strings.TrimPrefix(url, "\n")), mode)
			g.put(rel+".map", []byte(compactMap(name, mp)), mode)
		case "pretty":
			js, mp, _ := g.code(size/2, nil, false, "\n")
			g.put(rel, []byte(js+strings.TrimPrefix(url, "\n")), mode)
			g.put(rel+".map", []byte(prettyMap(name, mp, js)), mode)
		case "banner":
			js, mp, _ := g.code(size, []string{"/*! lib v1.2.3 | MIT */", "// built by crash_test", `"use strict";var first=1;`}, false, "\n")
			g.put(rel, []byte(js+strings.TrimPrefix(url, "\n")), mode)
			g.put(rel+".map", []byte(compactMap(name, mp)), mode)
		case "hashbang":
			js, mp, _ := g.code(size, []string{"#!/usr/bin/env node", `"use strict";`}, false, "\n")
			g.put(rel, []byte(js+strings.TrimPrefix(url, "\n")), 0o755)
			g.put(rel+".map", []byte(compactMap(name, mp)), mode)
		case "crlf":
			js, mp, _ := g.code(size, []string{"/* banner */"}, false, "\r\n")
			g.put(rel, []byte(js+"//# sourceMappingURL="+name+".map\r\n"), mode)
			g.put(rel+".map", []byte(compactMap(name, mp)), mode)
		case "inline":
			js, mp, _ := g.code(min(size, 48<<10), nil, false, "\n")
			data := base64.StdEncoding.EncodeToString([]byte(compactMap(name, mp)))
			g.put(rel, []byte(js+"//# sourceMappingURL=data:application/json;charset=utf-8;base64,"+data+"\n"), mode)
		case "index":
			js, _, lines := g.code(size, []string{`"use strict";`}, false, "\n")
			half := lines / 2
			var a, b mappingsBuilder
			for l := 0; l < half; l++ {
				a.segment(0, l, 0)
				a.newline()
			}
			for l := half; l < lines; l++ {
				b.segment(0, l, 0)
				b.newline()
			}
			m := fmt.Sprintf(`{"version":3,"file":%q,"sections":[{"offset":{"line":0,"column":0},"map":{"version":3,"sources":["a.ts"],"names":[],"mappings":%q}},{"offset":{"line":%d,"column":0},"map":{"version":3,"sources":["b.ts"],"names":[],"mappings":%q}}]}`,
				name, a.sb.String(), half, b.sb.String())
			g.put(rel, []byte(js+strings.TrimPrefix(url, "\n")), mode)
			g.put(rel+".map", []byte(m), mode)
		case "no-map":
			js, _, _ := g.code(size, nil, i%2 == 0, "\n")
			g.put(rel, []byte(js), mode)
		case "no-map-dangling-ref":
			js, _, _ := g.code(size, nil, false, "\n")
			g.put(rel, []byte(js+"//# sourceMappingURL=https://cdn.example.com/"+name+".map\n"), mode)
		case "co-located":
			js, mp, _ := g.code(size, nil, false, "\n")
			g.put(rel, []byte(js), mode)
			mapName := rel + ".map"
			if i%2 == 0 {
				mapName = d + "/" + base + ".map"
			}
			g.put(mapName, []byte(compactMap(name, mp)), mode)
		case "map-elsewhere":
			js, mp, _ := g.code(size, nil, false, "\n")
			g.put(rel, []byte(js+"//# sourceMappingURL=../maps/"+name+".map\n"), mode)
			g.put("maps/"+name+".map", []byte(compactMap(name, mp)), mode)
		case "copies":
			// Byte-identical copies (like lib.js and lib.max.js) naming one map.
			js, mp, _ := g.code(min(size, 200<<10), []string{"/*! vendor */"}, false, "\n")
			js += "//# sourceMappingURL=" + base + ".js.map\n"
			g.put(d+"/"+base+".js", []byte(js), mode)
			g.put(d+"/"+base+".max.js", []byte(js), mode)
			if i%2 == 0 {
				g.put(d+"/"+base+".copy.js", []byte(js), mode)
			}
			g.put(d+"/"+base+".js.map", []byte(compactMap(base+".js", mp)), mode)
		case "repair":
			// Injected earlier, but the map was then replaced by the
			// un-injected one (a build step copied it again).
			js, mp, _ := g.code(min(size, 64<<10), nil, false, "\n")
			writeFileT(t, filepath.Join(stage, rel), []byte(js+strings.TrimPrefix(url, "\n")), 0o644)
			writeFileT(t, filepath.Join(stage, rel+".map"), []byte(compactMap(name, mp)), 0o644)
			g.put(rel+".map", []byte(compactMap(name, mp)), mode)
			repairs = append(repairs, rel)
		default:
			t.Fatalf("shape %s", shape)
		}
	}
	if len(repairs) > 0 {
		if r := runMapback(bin, stage, -1); !r.exitedCleanly() {
			t.Fatalf("injecting the repair cases: %s", r.describe())
		}
		for _, rel := range repairs {
			js, err := os.ReadFile(filepath.Join(stage, rel))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(js, []byte("//# debugId=")) {
				t.Fatalf("%s: staging injection did not inject", rel)
			}
			g.put(rel, js, 0o644)
		}
	}

	tr := &crashTree{pristine: dir, files: map[string]*crashFile{}, shapes: g.shapes}
	for rel, data := range g.files {
		writeFileT(t, filepath.Join(dir, filepath.FromSlash(rel)), data, g.modes[rel])
		st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		tr.files[rel] = &crashFile{rel: rel, orig: data, mode: g.modes[rel], pristine: st}
		tr.order = append(tr.order, rel)
		tr.bytes += int64(len(data))
	}
	sort.Strings(tr.order)
	return tr
}

func writeFileT(t *testing.T, path string, data []byte, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

// copyTree recreates the pristine tree at dir with hard links: fast, and
// safe because mapback never writes a file in place (it renames a new file
// over the old name, which only unlinks the old inode from dir), so the
// pristine inodes stay untouched; checkPristine verifies that at the end.
func (tr *crashTree) copyTree(dir string) error {
	for _, rel := range tr.order {
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Link(filepath.Join(tr.pristine, filepath.FromSlash(rel)), dst); err != nil {
			return err
		}
	}
	return nil
}

func (tr *crashTree) mustCopyTree(t *testing.T, dir string) {
	t.Helper()
	if err := tr.copyTree(dir); err != nil {
		t.Fatal(err)
	}
}

// checkPristine makes sure nothing wrote through a hard link into the
// pristine tree (which would make every later trial meaningless).
func (tr *crashTree) checkPristine() error {
	for _, rel := range tr.order {
		f := tr.files[rel]
		data, err := os.ReadFile(filepath.Join(tr.pristine, filepath.FromSlash(rel)))
		if err != nil || !bytes.Equal(data, f.orig) {
			return fmt.Errorf("the pristine %s changed through a hard link: mapback wrote a file in place instead of renaming a new one over it (%v)", rel, err)
		}
	}
	return nil
}

// touchedPristine is checkPristine by size and modification time only:
// cheap enough for every trial.
func (tr *crashTree) touchedPristine() error {
	for _, rel := range tr.order {
		f := tr.files[rel]
		st, err := os.Stat(filepath.Join(tr.pristine, filepath.FromSlash(rel)))
		if err != nil || st.Size() != f.pristine.Size() || !st.ModTime().Equal(f.pristine.ModTime()) {
			return fmt.Errorf("the pristine %s changed through a hard link: mapback wrote a file in place instead of renaming a new one over it (%v)", rel, err)
		}
	}
	return nil
}

// reportJSON is the part of the --json report this test reads.
type reportJSON struct {
	Files []struct {
		Path   string `json:"path"`
		Status string `json:"status"`
		Map    string `json:"map"`
	} `json:"files"`
}

// learnExpected injects one copy without interruption: its result is the
// expected final state, its report tells which files are written together.
func (tr *crashTree) learnExpected(t *testing.T, bin, work string) {
	t.Helper()
	ref := filepath.Join(work, "reference")
	tr.mustCopyTree(t, ref)
	r := runMapback(bin, ref, -1, "--json")
	if !r.exitedCleanly() {
		t.Fatalf("uninterrupted run failed: %s", r.describe())
	}
	if err := tr.checkPristine(); err != nil {
		t.Fatal(err)
	}
	var rep reportJSON
	if err := json.Unmarshal(r.out.Bytes(), &rep); err != nil {
		t.Fatalf("--json report: %v", err)
	}
	status := map[string]int{}
	for _, f := range rep.Files {
		status[f.Status]++
	}
	for _, rel := range tr.order {
		data, err := os.ReadFile(filepath.Join(ref, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		tr.files[rel].final = data
	}
	if extra := tr.strayFiles(t, ref); len(extra) > 0 {
		t.Fatalf("uninterrupted run left files behind: %v", extra)
	}

	// Units: bundles sharing a map file, and that map; everything else alone.
	seen := map[string]bool{}
	byMap := map[string]*crashUnit{}
	for _, f := range rep.Files {
		rel := filepath.ToSlash(strings.TrimPrefix(f.Path, ref+string(filepath.Separator)))
		cf := tr.files[rel]
		if cf == nil {
			t.Fatalf("report names %s, which is not in the tree", f.Path)
		}
		seen[rel] = true
		if f.Map == "" || f.Map == "inline" {
			tr.units = append(tr.units, &crashUnit{files: []*crashFile{cf}})
			continue
		}
		mrel := filepath.ToSlash(strings.TrimPrefix(f.Map, ref+string(filepath.Separator)))
		mf := tr.files[mrel]
		if mf == nil {
			t.Fatalf("report pairs %s with %s, which is not in the tree", f.Path, f.Map)
		}
		u := byMap[mrel]
		if u == nil {
			u = &crashUnit{}
			byMap[mrel] = u
			tr.units = append(tr.units, u)
		}
		u.files = append(u.files, cf)
	}
	shared := 0
	for mrel, u := range byMap {
		sort.Slice(u.files, func(i, j int) bool { return u.files[i].rel < u.files[j].rel })
		u.files = append(u.files, tr.files[mrel])
		seen[mrel] = true
		if len(u.files) > 2 {
			shared++
		}
	}
	for _, rel := range tr.order {
		if !seen[rel] { // maps no bundle is paired with
			tr.units = append(tr.units, &crashUnit{files: []*crashFile{tr.files[rel]}})
		}
	}
	sort.Slice(tr.units, func(i, j int) bool { return tr.units[i].name() < tr.units[j].name() })
	for _, u := range tr.units {
		for _, f := range u.files {
			if !bytes.Equal(f.orig, f.final) {
				u.commit = f
				tr.changing++
				break
			}
		}
	}
	if tr.changing < len(tr.units)*3/4 {
		t.Fatalf("only %d of %d units change: the tree does not exercise injection (statuses %v)", tr.changing, len(tr.units), status)
	}

	os.RemoveAll(ref)
	t.Logf("tree: %d files, %.1f MB, %d units (%d change, %d groups of copies sharing a map); shapes %v; statuses %v",
		len(tr.order), float64(tr.bytes)/(1<<20), len(tr.units), tr.changing, shared, tr.shapes, status)
}

func crashWorkers() int { return 2 }
