package upload

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
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
// the checksum are those of slicing the whole bundle, and each chunk's bytes are in the spool at its
// offset.
func TestChunkerCutsLikeSlicing(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := bundleLike(rng, defaultChunkSize+3<<20+12345)
	for _, size := range []int64{3<<20 + 7, defaultChunkSize, 16 << 20} {
		for _, spooled := range []bool{true, false} {
			set := chunkSettings{size: size}
			if spooled {
				set.spool = newTestSpool(t)
			}
			p := chunkAll(t, data, set, rng, 3<<20)
			if p.checksum != sha1hex(data) || p.total != int64(len(data)) || p.size != size || p.spool != set.spool {
				t.Fatalf("size %d spooled %v: checksum %s total %d", size, spooled, p.checksum, p.total)
			}
			want := (int64(len(data)) + size - 1) / size
			if int64(len(p.chunks)) != want {
				t.Fatalf("size %d: %d chunks, want %d", size, len(p.chunks), want)
			}
			for i, ch := range p.chunks {
				raw := data[int64(i)*size : min(int64(i+1)*size, int64(len(data)))]
				if ch.ID != sha1hex(raw) || ch.Size() != int64(len(raw)) || ch.off != int64(i)*size {
					t.Fatalf("size %d chunk %d: id %s size %d off %d", size, i, ch.ID, ch.Size(), ch.off)
				}
				if ch.Data != nil || ch.Gzipped != nil {
					t.Fatalf("chunk %d kept in memory", i)
				}
				if !spooled {
					continue
				}
				got, err := p.spool.read(context.Background(), ch.off, ch.Len)
				if err != nil || !bytes.Equal(got, raw) {
					t.Fatalf("size %d chunk %d: spooled bytes differ (%v)", size, i, err)
				}
			}
		}
	}
}

// endChunker ends a chunker whose writes gave err: Close when they did not fail (its error is then
// the one returned), else Abort, as build does.
func endChunker(c *chunker, err error) error {
	if err != nil {
		c.Abort()
		return err
	}
	_, err = c.Close()
	return err
}

// newTestSpool is a spool closed when the test ends.
func newTestSpool(t testing.TB) *spool {
	t.Helper()
	sp, err := newSpool(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sp.close)
	return sp
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

// BenchmarkChunker measures cutting, hashing and spooling a 64 MiB bundle.
func BenchmarkChunker(b *testing.B) {
	data := bundleLike(rand.New(rand.NewPCG(1, 2)), 64<<20)
	sp := newTestSpool(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		c := newChunker(context.Background(), func() (chunkSettings, error) {
			return chunkSettings{size: defaultChunkSize, spool: sp}, nil
		})
		for rest := data; len(rest) > 0; rest = rest[min(len(rest), 64<<10):] {
			_, _ = c.Write(rest[:min(len(rest), 64<<10)])
		}
		if _, err := c.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestChunkerWorkerError: a chunk that cannot be spooled fails the bundle with that reason, not
// with the cancellation it causes.
func TestChunkerWorkerError(t *testing.T) {
	sp := newTestSpool(t)
	_ = sp.f.Close() // every write now fails
	c := newChunker(context.Background(), func() (chunkSettings, error) {
		return chunkSettings{size: 1 << 10, spool: sp}, nil
	})
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = c.Write(make([]byte, 1<<10))
	}
	if err = endChunker(c, err); err == nil || !strings.Contains(err.Error(), "writing the bundle to a temporary file") {
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
		set := chunkSettings{size: size}
		if rng.IntN(2) == 0 {
			set.spool = newTestSpool(t)
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
		return chunkSettings{size: blockSize, spool: newTestSpool(t)}, nil
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

// planChunks cuts data into chunks of size bytes, each with its bytes as Data: the chunks a build of
// data sends (the tests' way to name, and post, the chunks of a bundle).
func planChunks(data []byte, size int64) chunkPlan {
	c := newChunker(context.Background(), func() (chunkSettings, error) {
		return chunkSettings{size: size}, nil
	})
	_, _ = c.Write(data)
	p, _ := c.Close()
	for i := range p.chunks {
		ch := &p.chunks[i]
		ch.Data = data[ch.off : ch.off+ch.Len]
	}
	return p
}
