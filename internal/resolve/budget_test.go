package resolve

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/artifactbundle"
	"github.com/mapback/mapback/internal/testkit"
)

// TestArtifactBundleBudget: an artifact bundle of compression bombs (a few
// KB that inflate to megabytes each) once drove resolve to 4.6 GB. All the
// bundles of a run share one decompressed-bytes budget: past it, frames stay
// as they were with a reason naming the budget, and nothing more is read.
func TestArtifactBundleBudget(t *testing.T) {
	defer func(old int64) { artifactBudget = old }(artifactBudget)
	artifactBudget = 10 << 20

	dir := t.TempDir()
	var files []artifactbundle.SourceFile
	var trace strings.Builder
	trace.WriteString("Error: boom\n")
	const bombs = 6
	for i := range bombs {
		js := fmt.Sprintf("app%d.js", i)
		write := func(name, content string) string {
			p := filepath.Join(dir, name)
			testkit.WriteFile(t, p, content)
			return p
		}
		jsPath := write(js, "throw new Error('boom')\n//# sourceMappingURL="+js+".map\n")
		// Valid JSON: the padding is whitespace after the object, 4 MiB that
		// deflate to a few KB.
		mapPath := write(js+".map", `{"version":3,"sources":["src.js"],"names":[],"mappings":"AAAA"}`+strings.Repeat(" ", 4<<20))
		files = append(files,
			artifactbundle.SourceFile{URL: "~/" + js, Type: artifactbundle.TypeMinifiedSource, Headers: map[string]string{"sourcemap": js + ".map"}, Path: jsPath},
			artifactbundle.SourceFile{URL: "~/" + js + ".map", Type: artifactbundle.TypeSourceMap, Path: mapPath})
		fmt.Fprintf(&trace, "    at f%d (https://example.com/%s:1:1)\n", i, js)
	}
	var zip bytes.Buffer
	if _, err := artifactbundle.Write(context.Background(), &zip, files, artifactbundle.WriteOptions{Org: "o"}); err != nil {
		t.Fatal(err)
	}
	if zip.Len() > 1<<20 {
		t.Fatalf("the bundle is %d bytes; a bomb is small", zip.Len())
	}
	zipPath := filepath.Join(t.TempDir(), "bombs.zip")
	testkit.WriteFile(t, zipPath, zip.String())

	var out bytes.Buffer
	sum, err := Run(context.Background(), Options{Maps: []string{t.TempDir()}, Bundles: []string{zipPath}, JSON: true}, strings.NewReader(trace.String()), &out)
	if err != nil {
		t.Fatal(err)
	}
	// 10 MiB is two of the 4 MiB maps and the small entries: the others
	// are refused, each with the reason.
	refused := strings.Count(out.String(), "decompress to more than their budget of 10 MiB")
	if sum.Resolved < 1 || sum.Resolved > 2 || refused != bombs-sum.Resolved {
		t.Fatalf("%d resolved, %d refused for the budget; want 1 or 2 and the rest refused\n%s", sum.Resolved, refused, out.String())
	}
}
