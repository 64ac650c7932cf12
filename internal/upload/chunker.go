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
// holds the whole bundle, nor even whole chunks: the bytes travel in blocks of blockSize, each
// chunk's blocks go, in order, to a worker of its own that hashes them (the chunk's ID) and
// compresses them for the wire when the server takes gzip, and only what will be sent is kept. One
// more goroutine computes the bundle's checksum over every block in order. On the scale bench build
// that keeps the 7 MB sent, with at most maxBlocks of raw bytes in flight, rather than the 100 MB
// bundle plus its compressed copy.
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
	chunks  []*sentry.Chunk // grows as chunks start; each is filled by its worker
	max     int             // maxChunks; tests lower it
	total   int64
	err     error
}

// blockSize is the unit the bundle's bytes travel in; a chunk of 8 MiB is eight blocks.
const blockSize = 1 << 20

// maxBlocks bounds the raw bytes in flight: enough for every core to compress a chunk while the
// writer fills the next (fewer would make the writer wait for one chunk's worker while another core
// idles), whatever the number of chunks.
func maxBlocks() int { return (defaultChunkSize/blockSize)*runtime.GOMAXPROCS(0) + 2 }

// block is one piece of the bundle on its way through the checksum and its chunk's worker; the last
// of the two to finish frees its token and gives the buffer back.
type block struct {
	data []byte
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
	ch := &sentry.Chunk{}
	c.chunks = append(c.chunks, ch)
	i, set := len(c.chunks), c.set
	c.g.Go(func() error {
		var err error
		if *ch, err = makeChunk(blocks, set); err != nil {
			return fmt.Errorf("compressing chunk %d: %w", i, err)
		}
		return nil
	})
	return true
}

// makeChunk reads one chunk's blocks, names the chunk and keeps what the settings ask for: its gzip
// member, its bytes, or (a dry run) nothing. Every block is marked done, also after an error.
func makeChunk(blocks <-chan *block, set chunkSettings) (sentry.Chunk, error) {
	h := sha1.New()
	var (
		n   int64
		raw []byte
		zw  *sentry.MemberWriter
		err error
	)
	compress := set.keep && set.gzip && set.level != sentry.DefaultGzipLevel
	switch {
	case compress:
		zw, err = sentry.NewMemberWriter(set.level, int(min(set.size/4, 64<<20)))
	case set.keep:
		raw = make([]byte, 0, min(set.size, 64<<20))
	}
	for b := range blocks {
		if err == nil {
			h.Write(b.data)
			n += int64(len(b.data))
			switch {
			case compress:
				_, err = zw.Write(b.data)
			case set.keep:
				raw = append(raw, b.data...)
			}
		}
		b.done()
	}
	if err != nil {
		return sentry.Chunk{}, err
	}
	ch := sentry.Chunk{ID: hex.EncodeToString(h.Sum(nil)), Len: n}
	switch {
	case compress:
		ch.Gzipped, err = zw.Close()
	case set.keep:
		ch.Data = raw
	}
	return ch, err
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
	if c.stream != nil {
		c.endChunk()
	}
	close(c.order)
	_ = c.g.Wait()
	<-c.hashed
}
