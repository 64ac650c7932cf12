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
	chunks   []plannedChunk
	checksum string // SHA-1 of the whole bundle, 40 lowercase hex
	total    int64  // the bundle's size
	spool    *spool // the bundle's bytes, nil for a dry run
}

// plannedChunk is a chunk's name and length, and where its bytes start in the spool.
type plannedChunk struct {
	sentry.Chunk
	off int64
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

// chunkSettings say how a bundle is cut and where its bytes go.
type chunkSettings struct {
	size int64 // the server's chunk size
	// spool receives the bundle's bytes when the chunks will be sent; a dry run, with none, keeps
	// only their IDs.
	spool *spool
}

// errSettled is what a settle function returns to stop a build whose chunks would be wrong for the
// server (Run rebuilds); other errors end the run.
var errSettled = errors.New("bundle built for another server capability")

// chunker cuts the artifact bundle into chunks as the bundle writer produces it, so an upload never
// holds the whole bundle, nor even whole chunks: the bytes travel in blocks of blockSize, each
// chunk's blocks go, in order, to a worker of its own that hashes them (the chunk's ID) and writes
// them to the spool, from which send reads back and compresses only the chunks the server lacks.
// One more goroutine computes the bundle's checksum over every block in order. At most maxBlocks of
// raw bytes are in flight, whatever the bundle's size.
//
// The chunk size is the server's, known from the capability request that runs while the first
// bytes are produced: settle is called once, when the first defaultChunkSize bytes are written or
// the bundle ends; the blocks written until then wait for it.
type chunker struct {
	settle  func() (chunkSettings, error)
	set     chunkSettings
	settled bool
	early   []*block // blocks written before the settings were known

	cur     *block        // the block being filled
	stream  chan *block   // the blocks of the chunk being fed to its worker; nil between chunks
	inChunk int64         // bytes of the chunk being fed so far
	tokens  chan struct{} // one per block handed on and not yet done with: bounds memory
	order   chan *block   // every block, in order, for the checksum
	hashed  chan struct{} // closed when the checksum goroutine has seen every block
	sum     hash.Hash
	g       *errgroup.Group
	gctx    context.Context
	chunks  []*plannedChunk // grows as chunks start; each is filled by its worker
	max     int             // maxChunks; tests lower it
	total   int64           // bytes written
	emitted int64           // bytes handed on to the workers
	err     error
}

// blockSize is the unit the bundle's bytes travel in; a chunk of 8 MiB is eight blocks.
const blockSize = 1 << 20

// maxBlocks bounds the raw bytes in flight: enough for every core to hash a chunk while the writer
// fills the next (fewer would make the writer wait for one chunk's worker while another core idles),
// whatever the number of chunks.
func maxBlocks() int { return (defaultChunkSize/blockSize)*runtime.GOMAXPROCS(0) + 2 }

// block is one piece of the bundle on its way through the checksum and its chunk's worker; the last
// of the two to finish frees its token and gives the buffer back.
type block struct {
	data []byte
	off  int64 // where data starts in the bundle
	left atomic.Int32
	c    *chunker
}

func (b *block) done() {
	if b.left.Add(-1) != 0 {
		return
	}
	buf := b.data[:0]
	blockBufs.Put(&buf)
	<-b.c.tokens
}

var blockBufs = sync.Pool{New: func() any { b := make([]byte, 0, blockSize); return &b }}

func (c *chunker) newBlock(limit int) *block {
	buf := *(blockBufs.Get().(*[]byte))
	if cap(buf) < limit {
		buf = make([]byte, 0, limit)
	}
	return &block{data: buf[:0], c: c}
}

// newChunker returns a chunker; Close or Abort must be called (both wait for its goroutines).
func newChunker(ctx context.Context, settle func() (chunkSettings, error)) *chunker {
	g, gctx := errgroup.WithContext(ctx)
	c := &chunker{settle: settle, g: g, gctx: gctx, sum: sha1.New(), max: maxChunks,
		tokens: make(chan struct{}, maxBlocks()), order: make(chan *block, maxBlocks()), hashed: make(chan struct{})}
	go func() {
		defer close(c.hashed)
		for b := range c.order {
			c.sum.Write(b.data)
			b.done()
		}
	}()
	return c
}

// Write appends p to the bundle, handing on every block it fills.
func (c *chunker) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if c.err != nil {
			return 0, c.err
		}
		limit := c.blockLimit()
		if c.cur == nil {
			c.cur = c.newBlock(limit)
		}
		k := min(limit-len(c.cur.data), len(p))
		c.cur.data = append(c.cur.data, p[:k]...)
		p = p[k:]
		c.total += int64(k)
		if len(c.cur.data) == limit {
			c.flush()
		}
	}
	return n, nil
}

// blockLimit is the size the current block is filled to: a block never straddles a chunk boundary
// once the chunk size is known.
func (c *chunker) blockLimit() int {
	if !c.settled {
		return blockSize
	}
	return int(min(blockSize, c.set.size-c.inChunk))
}

// flush hands on the current block, or keeps it until the settings are known.
func (c *chunker) flush() {
	b := c.cur
	c.cur = nil
	if b == nil || len(b.data) == 0 {
		return
	}
	if c.settled {
		c.emit(b)
		return
	}
	c.early = append(c.early, b)
	if int64(len(c.early))*blockSize >= defaultChunkSize {
		c.doSettle()
	}
}

// doSettle learns the settings and hands on the blocks that waited for them, cut at the chunk size.
func (c *chunker) doSettle() {
	set, err := c.settle()
	if err == nil && set.size <= 0 {
		err = fmt.Errorf("chunk size %d", set.size)
	}
	if err != nil {
		c.err = err
		return
	}
	c.set, c.settled = set, true
	early := c.early
	c.early = nil
	for _, b := range early {
		for rest := b.data; len(rest) > 0 && c.err == nil; {
			k := min(len(rest), c.blockLimit())
			part := c.newBlock(k)
			part.data = append(part.data, rest[:k]...)
			rest = rest[k:]
			c.emit(part)
		}
		buf := b.data[:0]
		blockBufs.Put(&buf)
	}
}

// emit hands a block (never longer than what the chunk lacks) to the checksum and to its chunk's
// worker, starting the chunk's worker for its first block and ending its stream with its last.
func (c *chunker) emit(b *block) {
	if c.err != nil {
		return
	}
	if c.stream == nil && !c.startChunk() {
		return
	}
	select {
	case c.tokens <- struct{}{}:
	case <-c.gctx.Done():
		c.fail()
		return
	}
	b.left.Store(2)
	b.off = c.emitted
	c.emitted += int64(len(b.data))
	c.order <- b
	c.stream <- b
	c.inChunk += int64(len(b.data))
	if c.inChunk == c.set.size {
		c.endChunk()
	}
}

// fail records why the chunker stopped: a worker's error (the others end soon) or the cancellation.
func (c *chunker) fail() {
	if c.stream != nil {
		c.endChunk() // its worker waits for more blocks: end them, or Wait never returns
	}
	if c.err = c.g.Wait(); c.err == nil {
		c.err = c.gctx.Err()
	}
}

func (c *chunker) endChunk() {
	close(c.stream)
	c.stream, c.inChunk = nil, 0
}

// startChunk starts the worker of the next chunk.
func (c *chunker) startChunk() bool {
	if len(c.chunks) >= c.max {
		c.err = fmt.Errorf("the server's chunk size of %d bytes would cut the bundle into more than %d chunks: is --url a Sentry server?",
			c.set.size, c.max)
		return false
	}
	blocks := make(chan *block, maxBlocks()) // never full: the tokens are fewer than its room
	c.stream = blocks
	ch := &plannedChunk{off: c.emitted}
	c.chunks = append(c.chunks, ch)
	spool := c.set.spool
	c.g.Go(func() error {
		var err error
		ch.Chunk, err = makeChunk(blocks, spool)
		return err
	})
	return true
}

// makeChunk reads one chunk's blocks, names the chunk and writes its bytes to spool (when not nil).
// Every block is marked done, also after an error.
func makeChunk(blocks <-chan *block, spool *spool) (sentry.Chunk, error) {
	h := sha1.New()
	var (
		n   int64
		err error
	)
	for b := range blocks {
		if err == nil {
			h.Write(b.data)
			n += int64(len(b.data))
			if spool != nil {
				err = spool.writeAt(b.data, b.off)
			}
		}
		b.done()
	}
	if err != nil {
		return sentry.Chunk{}, err
	}
	return sentry.Chunk{ID: hex.EncodeToString(h.Sum(nil)), Len: n}, nil
}

// Close hands on the last block (an empty bundle still has one chunk), waits for the workers and
// returns the plan.
func (c *chunker) Close() (chunkPlan, error) {
	c.flush()
	if c.err == nil && !c.settled {
		c.doSettle()
	}
	if c.err == nil && len(c.chunks) == 0 && c.startChunk() {
		c.endChunk() // the empty bundle's one empty chunk
	}
	if c.stream != nil {
		c.endChunk()
	}
	close(c.order)
	werr := c.g.Wait()
	<-c.hashed
	err := c.err
	if werr != nil && (err == nil || errors.Is(err, context.Canceled)) {
		err = werr
	}
	if err != nil {
		return chunkPlan{}, err
	}
	chunks := make([]plannedChunk, len(c.chunks))
	for i, ch := range c.chunks {
		chunks[i] = *ch
	}
	return chunkPlan{size: c.set.size, chunks: chunks, checksum: hex.EncodeToString(c.sum.Sum(nil)), total: c.total, spool: c.set.spool}, nil
}

// failure is the chunker's own error (a settle or chunk count failure), nil if it has none.
func (c *chunker) failure() error { return c.err }

// Abort stops the chunker after a failed build, waiting for its goroutines.
func (c *chunker) Abort() {
	if c.err == nil {
		c.err = context.Canceled
	}
	if c.stream != nil {
		c.endChunk()
	}
	close(c.order)
	_ = c.g.Wait()
	<-c.hashed
}
