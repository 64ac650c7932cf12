package upload

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// bundleLike is n bytes of random tokens: compressible like the stored text of a bundle.
func bundleLike(rng *rand.Rand, n int) []byte {
	words := []string{"function ", "return ", "const ", "this.", "props", "=>", "{", "}", ";\n", "a", "b", "c"}
	var buf bytes.Buffer
	for buf.Len() < n {
		buf.WriteString(words[rng.IntN(len(words))])
	}
	return buf.Bytes()[:n]
}

// chunkAll feeds data to a chunker in writes of random sizes up to maxWrite, as the bundle writer
// does.
func chunkAll(t *testing.T, data []byte, set chunkSettings, rng *rand.Rand, maxWrite int) chunkPlan {
	t.Helper()
	c := newChunker(context.Background(), func() (chunkSettings, error) { return set, nil })
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 1+rng.IntN(maxWrite))
		if _, err := c.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	p, err := c.Close()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestChunkerCutsLikeSlicing: whatever the write sizes and the server's chunk size (below, at or
// above the size the first chunk is filled to before the server answers), the chunks, their IDs and
// the checksum are those of slicing the whole bundle.
func TestChunkerCutsLikeSlicing(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := bundleLike(rng, defaultChunkSize+3<<20+12345)
	for _, size := range []int64{3<<20 + 7, defaultChunkSize, 16 << 20} {
		for _, set := range []chunkSettings{
			{size: size, keep: true},
			{size: size, keep: true, gzip: true, level: gzip.BestSpeed},
			{size: size, keep: true, gzip: true, level: gzip.NoCompression},
			{size: size},
		} {
			p := chunkAll(t, data, set, rng, 3<<20)
			if p.checksum != sha1hex(data) || p.total != int64(len(data)) || p.size != size {
				t.Fatalf("size %d %+v: checksum %s total %d", size, set, p.checksum, p.total)
			}
			want := (int64(len(data)) + size - 1) / size
			if int64(len(p.chunks)) != want {
				t.Fatalf("size %d: %d chunks, want %d", size, len(p.chunks), want)
			}
			for i, ch := range p.chunks {
				raw := data[int64(i)*size : min(int64(i+1)*size, int64(len(data)))]
				if ch.ID != sha1hex(raw) || ch.Size() != int64(len(raw)) {
					t.Fatalf("size %d %+v chunk %d: id %s size %d", size, set, i, ch.ID, ch.Size())
				}
				switch {
				case !set.keep:
					if ch.Data != nil || ch.Gzipped != nil {
						t.Fatalf("a dry run kept chunk %d", i)
					}
				case set.gzip && set.level != gzip.NoCompression:
					if ch.Data != nil {
						t.Fatalf("chunk %d kept raw as well as compressed", i)
					}
					zr, err := gzip.NewReader(bytes.NewReader(ch.Gzipped))
					if err != nil {
						t.Fatal(err)
					}
					got, err := io.ReadAll(zr)
					if err != nil || !bytes.Equal(got, raw) {
						t.Fatalf("chunk %d does not decompress to its bytes: %v", i, err)
					}
					if len(ch.Gzipped) > len(raw)/2 {
						t.Fatalf("chunk %d: %d bytes compressed from %d", i, len(ch.Gzipped), len(raw))
					}
				default:
					if !bytes.Equal(ch.Data, raw) {
						t.Fatalf("chunk %d: kept bytes differ", i)
					}
				}
			}
		}
	}
}

func TestChunkerEmptyBundle(t *testing.T) {
	p := planChunks(nil, defaultChunkSize)
	if len(p.chunks) != 1 || p.chunks[0].ID != sha1hex(nil) || p.checksum != sha1hex(nil) {
		t.Fatalf("%+v", p)
	}
}

// TestChunkerSettleError: a failed capability request stops the build at the first full chunk, and
// the chunker's goroutines end.
func TestChunkerSettleError(t *testing.T) {
	boom := errors.New("capability failed")
	c := newChunker(context.Background(), func() (chunkSettings, error) { return chunkSettings{}, boom })
	_, err := c.Write(make([]byte, defaultChunkSize+1))
	if !errors.Is(err, boom) || !errors.Is(c.failure(), boom) {
		t.Fatalf("err %v", err)
	}
	c.Abort()

	// Before the first chunk is full, the error comes at Close.
	c = newChunker(context.Background(), func() (chunkSettings, error) { return chunkSettings{}, errSettled })
	if _, err := c.Write([]byte("small")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Close(); !errors.Is(err, errSettled) {
		t.Fatalf("err %v", err)
	}
}

// BenchmarkChunker measures cutting, hashing and compressing a compressible 64 MiB bundle at the
// wire levels link.go chooses.
func BenchmarkChunker(b *testing.B) {
	data := bundleLike(rand.New(rand.NewPCG(1, 2)), 64<<20)
	for _, level := range []int{fastWireLevel, slowWireLevel} {
		b.Run(map[int]string{fastWireLevel: "fast", slowWireLevel: "slow"}[level], func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				c := newChunker(context.Background(), func() (chunkSettings, error) {
					return chunkSettings{size: defaultChunkSize, keep: true, gzip: true, level: level}, nil
				})
				for rest := data; len(rest) > 0; rest = rest[min(len(rest), 64<<10):] {
					_, _ = c.Write(rest[:min(len(rest), 64<<10)])
				}
				if _, err := c.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestChunkerWorkerError: a chunk that cannot be compressed fails the bundle with that reason, not
// with the cancellation it causes.
func TestChunkerWorkerError(t *testing.T) {
	c := newChunker(context.Background(), func() (chunkSettings, error) {
		return chunkSettings{size: 1 << 10, keep: true, gzip: true, level: 42}, nil
	})
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = c.Write(make([]byte, 1<<10))
	}
	if err == nil {
		_, err = c.Close()
	} else {
		c.Abort()
	}
	if err == nil || !strings.Contains(err.Error(), "gzip level 42") {
		t.Fatalf("err %v", err)
	}
}

// TestChunkerRandomCuts: small random chunk sizes (blocks split at chunk boundaries, chunks of one
// byte, sizes above and below the block size) and random write sizes always give the slicing's chunks.
func TestChunkerRandomCuts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 24 {
		data := bundleLike(rng, rng.IntN(3*blockSize))
		size := int64(1 + rng.IntN(2*blockSize))
		if rng.IntN(4) == 0 {
			data, size = data[:min(len(data), 4<<10)], int64(1+rng.IntN(64)) // many tiny chunks
		}
		set := chunkSettings{size: size, keep: true}
		if rng.IntN(2) == 0 {
			set.gzip, set.level = true, fastWireLevel
		}
		p := chunkAll(t, data, set, rng, 200<<10)
		want := max(1, (int64(len(data))+size-1)/size)
		if int64(len(p.chunks)) != want || p.checksum != sha1hex(data) {
			t.Fatalf("%d bytes, size %d: %d chunks, want %d", len(data), size, len(p.chunks), want)
		}
		for i, ch := range p.chunks {
			raw := data[min(int64(i)*size, int64(len(data))):min(int64(i+1)*size, int64(len(data)))]
			if ch.ID != sha1hex(raw) || ch.Size() != int64(len(raw)) {
				t.Fatalf("%d bytes, size %d, chunk %d: wrong id or size", len(data), size, i)
			}
		}
	}
}

// TestChunkerCancel: a cancelled upload stops the chunker mid-bundle, and Abort returns.
func TestChunkerCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newChunker(ctx, func() (chunkSettings, error) {
		return chunkSettings{size: blockSize, keep: true, gzip: true, level: slowWireLevel}, nil
	})
	data := bundleLike(rand.New(rand.NewPCG(5, 6)), blockSize)
	var err error
	for i := 0; i < 200 && err == nil; i++ {
		if i == 8 {
			cancel()
		}
		_, err = c.Write(data)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v after cancel", err)
	}
	c.Abort()
}

// planChunks cuts data into chunks of size bytes, keeping their bytes: the plan a build of data would
// make for a server without gzip (the tests' way to name the chunks of a bundle).
func planChunks(data []byte, size int64) chunkPlan {
	c := newChunker(context.Background(), func() (chunkSettings, error) {
		return chunkSettings{size: size, keep: true}, nil
	})
	_, _ = c.Write(data)
	p, _ := c.Close()
	return p
}
