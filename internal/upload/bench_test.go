package upload

import (
	"context"
	"os"
	"testing"
)

// benchTree is the injected corpus tree testdata/bench/upload-prep.sh builds; set
// MAPBACK_UPLOAD_TREE to it (e.g. .cache/bench/scratch/upload) to run these benchmarks.
func benchTree(b *testing.B) string {
	dir := os.Getenv("MAPBACK_UPLOAD_TREE")
	if dir == "" {
		b.Skip("set MAPBACK_UPLOAD_TREE to an injected tree (testdata/bench/upload-prep.sh makes one)")
	}
	return dir
}

// BenchmarkCollect measures the scan plus reading every file's debug ID and sourcemap facts.
func BenchmarkCollect(b *testing.B) {
	dir := benchTree(b)
	opts := Options{Paths: []string{dir}}
	for b.Loop() {
		if _, err := collect(context.Background(), &opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuild measures collect plus packing the artifact bundle in memory: a dry run.
func BenchmarkBuild(b *testing.B) {
	dir := benchTree(b)
	for b.Loop() {
		if _, err := Run(context.Background(), Options{Paths: []string{dir}, DryRun: true}); err != nil {
			b.Fatal(err)
		}
	}
}
