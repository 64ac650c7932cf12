package upload

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/mapback/mapback/internal/sentry"
)

// maxChunks bounds the chunks of one bundle: a server announcing a tiny chunk size would otherwise
// make mapback send millions of requests and a gigabyte assemble body. Sentry's 8 MiB chunks give a
// 2 GiB bundle (its size limit) 256 chunks.
const maxChunks = 100_000

// chunkPlan is the bundle cut into chunks of the server's size, each named by its SHA-1 (§4).
type chunkPlan struct {
	size     int64
	chunks   []sentry.Chunk
	checksum string // SHA-1 of the whole bundle, 40 lowercase hex
	total    int64  // the bundle's size
}

func (p chunkPlan) ids() []string {
	ids := make([]string, len(p.chunks))
	for i, c := range p.chunks {
		ids[i] = c.ID
	}
	return ids
}

func (p chunkPlan) report() ChunkReport {
	return ChunkReport{Size: p.size, Total: len(p.chunks)}
}

// chunkSettings say how a bundle is cut and what of each chunk is kept for sending.
type chunkSettings struct {
	size int64 // the server's chunk size
	// keep: the chunks will be sent, so their bytes are kept; a dry run keeps only their IDs.
	keep bool
	// gzip: the server takes gzip chunks, so each is kept compressed at level (and its raw bytes
	// dropped), unless level is store, where the framing alone is added at send time.
	gzip  bool
	level int
}

// errSettled is what a settle function returns to stop a build whose chunks would be wrong for the
// server (Run rebuilds); other errors end the run.
var errSettled = errors.New("bundle built for another server capability")

// chunker cuts the artifact bundle into chunks as the bundle writer produces it, so an upload never
// holds the whole bundle: each full chunk is hashed (its ID), compressed for the wire when the
// server takes gzip, and only what will be sent is kept. On the scale bench build that is the 7 MB
// sent rather than the 100 MB bundle plus its compressed copy. The bundle's checksum is computed in
// order on a goroutine of its own while the chunks are compressed on the others.
//
// The chunk size is the server's, known from the capability request that runs while the first
// bytes are produced: settle is called once, when the first chunk is full or the bundle ends.
type chunker struct {
	settle  func() (chunkSettings, error)
	set     chunkSettings
	settled bool

	cur    []byte        // the chunk being filled
	slots  chan struct{} // raw chunks being hashed or compressed: bounds memory
	order  chan *rawChunk
	hashed chan struct{} // closed when the checksum goroutine has seen every chunk
	sum    hash.Hash
	g      *errgroup.Group
	gctx   context.Context
	chunks []*sentry.Chunk // grows as chunks are cut; each is filled by its worker
	max    int             // maxChunks; tests lower it
	total  int64
	err    error
}

// rawChunk is one full chunk on its way through the checksum and the compressor; the last of the
// two to finish frees its slot, and gives its buffer back unless the chunk keeps it.
type rawChunk struct {
	data    []byte
	left    atomic.Int32
	recycle bool
	slots   chan struct{}
}

func (r *rawChunk) done() {
	if r.left.Add(-1) != 0 {
		return
	}
	if r.recycle {
		b := r.data[:0]
		chunkBufs.Put(&b)
	}
	<-r.slots
}

// chunkBufs recycles raw chunk buffers (8 MiB each at Sentry's size): the zero-filling of a fresh
// one costs as much as hashing it.
var chunkBufs sync.Pool

// newChunker returns a chunker; Close must be called (it also waits for the workers).
func newChunker(ctx context.Context, settle func() (chunkSettings, error)) *chunker {
	g, gctx := errgroup.WithContext(ctx)
	c := &chunker{settle: settle, g: g, gctx: gctx, sum: sha1.New(), max: maxChunks,
		// One chunk per core being compressed, one being hashed for the checksum, one filling.
		slots: make(chan struct{}, runtime.GOMAXPROCS(0)+1), order: make(chan *rawChunk, runtime.GOMAXPROCS(0)+1),
		hashed: make(chan struct{})}
	go func() {
		defer close(c.hashed)
		for r := range c.order {
			c.sum.Write(r.data)
			r.done()
		}
	}()
	return c
}

// Write appends p to the bundle, cutting and handing off every chunk it fills.
func (c *chunker) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if c.err != nil {
			return 0, c.err
		}
		if c.cur == nil {
			c.cur = c.buffer()
		}
		room := c.limit() - int64(len(c.cur))
		k := int(min(room, int64(len(p))))
		c.cur = append(c.cur, p[:k]...)
		p = p[k:]
		c.total += int64(k)
		if int64(len(c.cur)) == c.limit() {
			if !c.settled {
				if !c.doSettle() {
					return 0, c.err
				}
				continue // the size may differ from the default this chunk was filled to
			}
			c.cut()
		}
	}
	return n, nil
}

// limit is the size the current chunk is filled to: the server's once known, else the default.
func (c *chunker) limit() int64 {
	if c.settled {
		return c.set.size
	}
	return defaultChunkSize
}

// doSettle learns the settings; a chunk filled past a smaller server size is cut to it.
func (c *chunker) doSettle() bool {
	set, err := c.settle()
	if err == nil && set.size <= 0 {
		err = fmt.Errorf("chunk size %d", set.size)
	}
	if err != nil {
		c.err = err
		return false
	}
	c.set, c.settled = set, true
	for int64(len(c.cur)) >= c.set.size && c.err == nil {
		rest := c.cur[c.set.size:]
		next := c.buffer()
		next = append(next, rest...)
		c.cur = c.cur[:c.set.size]
		c.cut()
		c.cur = next
	}
	return c.err == nil
}

func (c *chunker) buffer() []byte {
	want := int64(defaultChunkSize)
	if c.settled {
		want = c.set.size
	}
	if b, ok := chunkBufs.Get().(*[]byte); ok && int64(cap(*b)) == want {
		return (*b)[:0]
	}
	return make([]byte, 0, min(want, 64<<20)) // a huge announced size grows on demand
}

// cut hands the current chunk to the checksum and a worker.
func (c *chunker) cut() {
	if len(c.chunks) >= c.max {
		c.err = fmt.Errorf("the server's chunk size of %d bytes would cut the bundle into more than %d chunks: is --url a Sentry server?",
			c.set.size, c.max)
		return
	}
	select {
	case c.slots <- struct{}{}:
	case <-c.gctx.Done():
		// A worker failed (its error says why; the others end soon) or the run was cancelled.
		if c.err = c.g.Wait(); c.err == nil {
			c.err = c.gctx.Err()
		}
		return
	}
	set := c.set
	r := &rawChunk{data: c.cur, slots: c.slots, recycle: !set.keep || (set.gzip && set.level != sentry.DefaultGzipLevel)}
	r.left.Store(2)
	c.cur = nil
	ch := &sentry.Chunk{}
	c.chunks = append(c.chunks, ch)
	i := len(c.chunks)
	c.order <- r
	c.g.Go(func() error {
		defer r.done()
		var err error
		if *ch, err = makeChunk(r.data, set); err != nil {
			return fmt.Errorf("compressing chunk %d: %w", i, err)
		}
		return nil
	})
}

// makeChunk names data and keeps what the settings ask for.
func makeChunk(data []byte, set chunkSettings) (sentry.Chunk, error) {
	sum := sha1.Sum(data)
	ch := sentry.Chunk{ID: hex.EncodeToString(sum[:]), Len: int64(len(data))}
	switch {
	case !set.keep:
	case set.gzip && set.level != sentry.DefaultGzipLevel:
		member, err := sentry.GzipMember(data, set.level)
		if err != nil {
			return ch, err
		}
		ch.Gzipped = member
	default:
		ch.Data = data
	}
	return ch, nil
}

// Close cuts the last chunk (an empty bundle still has one), waits for the workers and returns the
// plan.
func (c *chunker) Close() (chunkPlan, error) {
	if c.err == nil && !c.settled {
		c.doSettle()
	}
	if c.err == nil && (len(c.cur) > 0 || len(c.chunks) == 0) {
		if c.cur == nil {
			c.cur = c.buffer()
		}
		c.cut()
	}
	close(c.order)
	werr := c.g.Wait()
	<-c.hashed
	err := c.err
	if err == nil {
		err = werr
	}
	if err != nil {
		return chunkPlan{}, err
	}
	chunks := make([]sentry.Chunk, len(c.chunks))
	for i, ch := range c.chunks {
		chunks[i] = *ch
	}
	return chunkPlan{size: c.set.size, chunks: chunks, checksum: hex.EncodeToString(c.sum.Sum(nil)), total: c.total}, nil
}

// failure is the chunker's own error (a settle or chunk count failure), nil if it has none.
func (c *chunker) failure() error { return c.err }

// Abort stops the chunker after a failed build, waiting for its goroutines.
func (c *chunker) Abort() {
	if c.err == nil {
		c.err = context.Canceled
	}
	close(c.order)
	_ = c.g.Wait()
	<-c.hashed
}

// planChunks cuts data into chunks of size bytes, keeping their bytes: the plan a build of data would
// make for a server without gzip.
func planChunks(data []byte, size int64) chunkPlan {
	c := newChunker(context.Background(), func() (chunkSettings, error) {
		return chunkSettings{size: size, keep: true}, nil
	})
	_, _ = c.Write(data)
	p, _ := c.Close()
	return p
}
