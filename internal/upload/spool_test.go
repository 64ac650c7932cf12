package upload

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/mapback/mapback/internal/sentry"
	"github.com/mapback/mapback/internal/sentrytest"
)

// spooledPlan cuts data into chunks of size through a spool.
func spooledPlan(t *testing.T, data []byte, size int64) chunkPlan {
	t.Helper()
	return chunkAll(t, data, chunkSettings{size: size, spool: newTestSpool(t)}, rand.New(rand.NewPCG(7, 8)), 1<<20)
}

// TestChunkLoaderCompressesFromSpool: for a gzip server each chunk of a batch is read back from the
// spool and sent as a gzip member of exactly its bytes; without gzip, or at the store level, as its
// raw bytes.
func TestChunkLoaderCompressesFromSpool(t *testing.T) {
	data := bundleLike(rand.New(rand.NewPCG(9, 10)), 3<<20+777)
	p := spooledPlan(t, data, 1<<20)
	raw := func(c plannedChunk) []byte { return data[c.off : c.off+c.Len] }
	gz := &sentry.ChunkOptions{Compression: []string{"gzip"}}
	plain := &sentry.ChunkOptions{}
	groups := [][]plannedChunk{p.chunks[:2], p.chunks[2:]}
	for _, tc := range []struct {
		name  string
		co    *sentry.ChunkOptions
		level int
		gzip  bool
	}{
		{"gzip at level 5", gz, slowWireLevel, true},
		{"gzip at level 1", gz, fastWireLevel, true},
		{"gzip at store", gz, sentry.DefaultGzipLevel, false},
		{"no gzip", plain, slowWireLevel, false},
	} {
		ld := newChunkLoader(p.spool, tc.co, tc.level, groups)
		for _, b := range groups {
			chunks, release, err := ld.load(context.Background(), b)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			for i, ch := range chunks {
				if ch.ID != b[i].ID || ch.Size() != b[i].Len {
					t.Fatalf("%s: chunk %d is %s of %d bytes", tc.name, i, ch.ID, ch.Size())
				}
				got := ch.Data
				if tc.gzip {
					if ch.Data != nil || ch.Gzipped == nil {
						t.Fatalf("%s: chunk %d not compressed", tc.name, i)
					}
					zr, err := gzip.NewReader(bytes.NewReader(ch.Gzipped))
					if err != nil {
						t.Fatal(err)
					}
					if got, err = io.ReadAll(zr); err != nil {
						t.Fatal(err)
					}
					if len(ch.Gzipped) > len(got)/2 {
						t.Fatalf("%s: chunk %d: %d bytes compressed from %d", tc.name, i, len(ch.Gzipped), len(got))
					}
				}
				if !bytes.Equal(got, raw(b[i])) {
					t.Fatalf("%s: chunk %d: bytes differ from the bundle's", tc.name, i)
				}
			}
			release()
		}
	}
}

// TestChunkLoaderBoundsRawBytes: requests holding raw chunks wait for each other's release beyond
// the budget, and a cancelled wait returns the cancellation.
func TestChunkLoaderBoundsRawBytes(t *testing.T) {
	data := bundleLike(rand.New(rand.NewPCG(11, 12)), 4096)
	p := spooledPlan(t, data, 1024)
	groups := [][]plannedChunk{p.chunks[:2], p.chunks[2:]}
	ld := newChunkLoader(p.spool, &sentry.ChunkOptions{}, slowWireLevel, groups)
	if err := ld.raw.Acquire(context.Background(), ld.rawMax-1024); err != nil { // the budget almost spent elsewhere
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := ld.load(ctx, groups[0]); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want to wait for the budget", err)
	}
	ld.raw.Release(ld.rawMax - 1024)
	if _, release, err := ld.load(context.Background(), groups[0]); err != nil {
		t.Fatal(err)
	} else {
		release()
	}
}

// TestUploadLeavesNoSpool: the spool has no name in TMPDIR during or after an upload (on Unix).
func TestUploadLeavesNoSpool(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("on Windows the spool is named until it is closed")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	s := newServer(t, sentrytest.Capability{ChunkSize: 4096})
	rep, err := Run(context.Background(), s.options(injectedTree(t)))
	if err != nil || rep.Chunks.Sent != rep.Chunks.Total {
		t.Fatalf("err %v, chunks %+v", err, rep.Chunks)
	}
	if left, err := os.ReadDir(tmp); err != nil || len(left) != 0 {
		t.Fatalf("TMPDIR holds %v (%v)", left, err)
	}
}

// TestUnwritableTempDir: a TMPDIR mapback cannot write to fails the upload with what to do.
func TestUnwritableTempDir(t *testing.T) {
	s := newServer(t, sentrytest.Capability{ChunkSize: 4096})
	opts := s.options(injectedTree(t))
	t.Setenv("TMPDIR", "/nonexistent/mapback-test")
	_, err := Run(context.Background(), opts)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("set TMPDIR to a writable directory")) {
		t.Fatalf("err %v", err)
	}
}
