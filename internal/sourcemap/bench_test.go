package sourcemap

import (
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	gosm "github.com/go-sourcemap/sourcemap"
)

var (
	bigOnce sync.Once
	bigData []byte
	bigName string
)

// bigMap returns the biggest map available: the corpus babylon.js.map
// (31 MB) if present, else a synthetic ~20 MB map (5 MB single-line
// mappings plus 15 MB sourcesContent).
func bigMap(b *testing.B) ([]byte, string) {
	bigOnce.Do(func() {
		p := filepath.Join(corpusDir, "babylonjs@9.34.0", "babylon.js.map")
		if d, err := os.ReadFile(p); err == nil {
			bigData, bigName = d, "babylon.js.map"
			return
		}
		var mp strings.Builder
		mp.WriteString("AAAA")
		for mp.Len() < 5<<20 {
			mp.WriteString(",EACEC")
			if mp.Len()%(1<<20) < 6 {
				mp.WriteString(";AAAA")
			}
		}
		content := make([]string, 150)
		for i := range content {
			content[i] = strings.Repeat("const x = \"é\";\n", 100<<10/16)
		}
		srcs := make([]string, 150)
		for i := range srcs {
			srcs[i] = "src/f" + string(rune('a'+i%26)) + ".js"
		}
		d, _ := json.Marshal(map[string]any{"version": 3, "sources": srcs, "sourcesContent": content, "names": []string{"a", "b"}, "mappings": mp.String()})
		bigData, bigName = d, "synthetic"
	})
	return bigData, bigName
}

func BenchmarkParseFirstLookup(b *testing.B) {
	data, name := bigMap(b)
	b.Logf("map: %s, %d bytes", name, len(data))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		m.Lookup(0, 1000)
	}
}

func BenchmarkGoSourcemapParse(b *testing.B) {
	data, _ := bigMap(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		c, err := gosm.Parse("", data)
		if err != nil {
			b.Fatal(err)
		}
		c.Source(1, 1000)
	}
}

// BenchmarkLookup: random positions on a warm map (every line decoded once
// and cached after the first pass over the positions).
func BenchmarkLookup(b *testing.B) {
	data, _ := bigMap(b)
	m, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	var raw struct {
		Mappings string `json:"mappings"`
	}
	_ = json.Unmarshal(data, &raw)
	nLines := strings.Count(raw.Mappings, ";") + 1
	rng := rand.New(rand.NewSource(1))
	pos := make([][2]int, 4096)
	for i := range pos {
		pos[i] = [2]int{rng.Intn(nLines), rng.Intn(200000)}
	}
	for _, p := range pos {
		m.Lookup(p[0], p[1])
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := pos[i&4095]
		m.Lookup(p[0], p[1])
		i++
	}
}

// BenchmarkLookupLongLine: lookups spread over the biggest line of a parsed
// map (babylon.js is one line of 6 MB of mappings), through its column
// checkpoints.
func BenchmarkLookupLongLine(b *testing.B) {
	data, _ := bigMap(b)
	m, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	if err := m.Err(); err != nil {
		b.Fatal(err)
	}
	long, size := 0, -1
	for k := 0; k < m.ix.nLines; k++ {
		a, e := m.ix.lineCheckpoints(k)
		if e-a > size {
			long, size = k, e-a
		}
	}
	rng := rand.New(rand.NewSource(1))
	b.ReportAllocs()
	for b.Loop() {
		m.Lookup(long, rng.Intn(8<<20))
	}
}

// BenchmarkBuildIndex: the pass over the whole mappings string of the
// biggest map (babylon.js: 6.4 MB on one line).
func BenchmarkBuildIndex(b *testing.B) {
	data, _ := bigMap(b)
	m, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(m.mappings)))
	for b.Loop() {
		if ix := buildIndex(m.mappings); ix.err != nil {
			b.Fatal(ix.err)
		}
	}
}
