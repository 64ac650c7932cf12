package upload

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/mapback/mapback/internal/sentry"
	"github.com/mapback/mapback/internal/term"
)

// batches groups the chunks to send (kept in file order) into POSTs of at most perRequest chunks
// and maxBytes uncompressed bytes; a batch always holds at least one chunk (docs/internals/upload-protocol.md §5).
func batches(chunks []plannedChunk, perRequest int, maxBytes int64) [][]plannedChunk {
	if perRequest < 1 {
		perRequest = 1
	}
	var out [][]plannedChunk
	var cur []plannedChunk
	var curBytes int64
	for _, c := range chunks {
		n := c.Size()
		if len(cur) > 0 && (len(cur) >= perRequest || (maxBytes > 0 && curBytes+n > maxBytes)) {
			out = append(out, cur)
			cur, curBytes = nil, 0
		}
		cur = append(cur, c)
		curBytes += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// send runs the handshake after the capability request: ask which chunks are missing, send them,
// assemble, and poll when asked to wait (docs/internals/upload-protocol.md §4, §7).
func send(ctx context.Context, opts *Options, co *sentry.ChunkOptions, plan chunkPlan, rep *Report, log *slog.Logger) error {
	rep.Chunks = plan.report()
	req := assembleRequest(opts, rep.Checksum, plan.ids())

	first, err := opts.Client.AssembleArtifactBundle(ctx, opts.Org, req)
	if err != nil {
		return err
	}
	log.Debug("assemble", "state", first.State, "missing", len(first.MissingChunks))
	missing := selectMissing(plan.chunks, first.MissingChunks)
	rep.Chunks.Missing, rep.Chunks.Answered = len(missing), true
	if err := sendChunks(ctx, opts, co, plan.spool, missing, rep, log); err != nil {
		return err
	}
	return finish(ctx, opts, co, req, rep, log)
}

func assembleRequest(opts *Options, checksum string, chunks []string) sentry.AssembleRequest {
	return sentry.AssembleRequest{Checksum: checksum, Chunks: chunks, Projects: opts.Projects, Version: opts.Release, Dist: opts.Dist}
}

// finish sends the assemble request that starts processing once every chunk is on the server (it
// is sent even when the first answer was ok, as the reference client does) and acts on the state.
func finish(ctx context.Context, opts *Options, co *sentry.ChunkOptions, req sentry.AssembleRequest, rep *Report, log *slog.Logger) error {
	resp, err := opts.Client.AssembleArtifactBundle(ctx, opts.Org, req)
	if err != nil {
		return err
	}
	log.Debug("assemble", "state", resp.State, "missing", len(resp.MissingChunks))
	rep.State = resp.State
	switch resp.State {
	case "ok":
		return nil
	case "created", "assembling":
		if !opts.Wait {
			return nil
		}
		return wait(ctx, opts, co, req, rep, log)
	default:
		return &ProcessingError{State: resp.State, Detail: resp.Detail}
	}
}

// selectMissing keeps the chunks the server asked for, in file order, each once.
func selectMissing(chunks []plannedChunk, ids []string) []plannedChunk {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	var out []plannedChunk
	for _, c := range chunks {
		if want[c.ID] {
			out = append(out, c)
			delete(want, c.ID) // a chunk repeated in the file is sent once
		}
	}
	return out
}

// sendChunks posts the missing chunks in batches, at most co.Concurrency requests in flight, reading
// each back from the spool and compressing it for the wire as its request is prepared. The first
// batch that fails (after the client's retries) stops the others.
func sendChunks(ctx context.Context, opts *Options, co *sentry.ChunkOptions, sp *spool, missing []plannedChunk, rep *Report, log *slog.Logger) error {
	if len(missing) == 0 {
		return nil
	}
	var total int64
	for _, c := range missing {
		total += c.Size()
	}
	progress := term.StartProgress(opts.NewProgress, total)
	defer progress.Done()
	// Only requests that succeeded count: after a failure or Ctrl-C the report says how much
	// arrived, and a rerun sends the rest.
	var sentBytes, sentChunks, requests atomic.Int64
	groups := batches(missing, co.ChunksPerRequest, co.MaxRequestSize)
	cache := buildCache{dir: opts.CacheDir}
	ld := newChunkLoader(sp, co, opts.compression.wireLevel, groups)
	// The link is timed from the first request out, so the compression before it is not counted
	// as sending. Batches compressed while earlier ones are on the wire still fall inside the
	// window; on a link slow enough for the level to matter, the sending hides them.
	var wireStart atomic.Int64
	sendStart := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(co.Concurrency, 1))
	for _, b := range groups {
		g.Go(func() error {
			chunks, release, err := ld.load(gctx, b)
			if err != nil {
				return err
			}
			defer release()
			wireStart.CompareAndSwap(0, time.Now().UnixNano())
			err = opts.Client.UploadChunks(gctx, co.URL, chunks, sentry.UploadOptions{Gzip: co.Gzip(), Level: ld.level, OnProgress: func(n int64) {
				sentBytes.Add(n)
				progress.Add(n)
			}})
			if err != nil {
				return fmt.Errorf("uploading %d chunk(s): %w", len(b), err)
			}
			sentChunks.Add(int64(len(b)))
			requests.Add(1)
			return nil
		})
	}
	err := g.Wait()
	log.Debug("upload chunks sent", "chunks", sentChunks.Load(), "bytes", sentBytes.Load(), "requests", requests.Load(),
		"elapsed", time.Since(sendStart).Round(time.Millisecond))
	if err == nil && co.Gzip() {
		cache.recordLink(opts.Client.Server(), sentBytes.Load(), time.Since(time.Unix(0, wireStart.Load())))
	}
	rep.Chunks.Sent = int(sentChunks.Load())
	rep.Chunks.SentBytes = sentBytes.Load()
	rep.Chunks.Requests = int(requests.Load())
	return err
}

// chunkLoader reads chunks back from the spool for their requests. A server that takes gzip gets
// each chunk compressed at the wire level, one chunk per core at a time and a block at a time, so
// the raw bytes in memory are a block per core whatever the number of requests in flight; one that
// does not (or a wire level of store, which frames the bytes as they are) gets the raw bytes, and
// the requests holding them are bounded by rawBudget.
type chunkLoader struct {
	sp       *spool
	compress bool
	level    int
	cores    chan struct{}
	raw      *semaphore.Weighted
	rawMax   int64
}

// rawBudget bounds the raw chunk bytes held by requests in flight (a request larger than it goes
// alone).
const rawBudget = 64 << 20

func newChunkLoader(sp *spool, co *sentry.ChunkOptions, level int, groups [][]plannedChunk) *chunkLoader {
	ld := &chunkLoader{sp: sp, level: level, compress: co.Gzip() && level != sentry.DefaultGzipLevel,
		cores: make(chan struct{}, runtime.GOMAXPROCS(0)), rawMax: rawBudget}
	if !co.Gzip() {
		ld.level = sentry.DefaultGzipLevel // unused without gzip, and never out of range
	}
	for _, b := range groups {
		var n int64
		for _, c := range b {
			n += c.Size()
		}
		ld.rawMax = max(ld.rawMax, n)
	}
	ld.raw = semaphore.NewWeighted(ld.rawMax)
	return ld
}

// load returns a batch's chunks ready for UploadChunks; release frees what they hold.
func (ld *chunkLoader) load(ctx context.Context, batch []plannedChunk) (_ []sentry.Chunk, release func(), err error) {
	out := make([]sentry.Chunk, len(batch))
	if !ld.compress {
		var n int64
		for _, c := range batch {
			n += c.Size()
		}
		if err := ld.raw.Acquire(ctx, n); err != nil {
			return nil, nil, err
		}
		for i, c := range batch {
			data, err := ld.sp.read(ctx, c.off, c.Len)
			if err != nil {
				ld.raw.Release(n)
				return nil, nil, err
			}
			out[i] = sentry.Chunk{ID: c.ID, Data: data}
		}
		return out, func() { ld.raw.Release(n) }, nil
	}
	for i, c := range batch {
		select {
		case ld.cores <- struct{}{}:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		member, err := ld.compressOne(ctx, c)
		<-ld.cores
		if err != nil {
			return nil, nil, err
		}
		out[i] = sentry.Chunk{ID: c.ID, Len: c.Len, Gzipped: member}
	}
	return out, func() {}, nil
}

// compressOne streams one chunk from the spool through a gzip member: a block of raw bytes at a
// time, into an output buffer sized for compressible text (it grows when the chunk is not).
func (ld *chunkLoader) compressOne(ctx context.Context, c plannedChunk) ([]byte, error) {
	zw, err := sentry.NewMemberWriter(ld.level, int(c.Len/4))
	if err != nil {
		return nil, fmt.Errorf("compressing chunk %s: %w", c.ID, err)
	}
	if err := ld.sp.copyTo(ctx, zw, c.off, c.Len); err != nil {
		_, _ = zw.Close()
		return nil, err
	}
	member, err := zw.Close()
	if err != nil {
		return nil, fmt.Errorf("compressing chunk %s: %w", c.ID, err)
	}
	return member, nil
}

// wait repeats the identical assemble request every PollInterval until the server reports ok or
// error, or the limit passes (docs/internals/upload-protocol.md §7.4).
func wait(ctx context.Context, opts *Options, co *sentry.ChunkOptions, req sentry.AssembleRequest, rep *Report, log *slog.Logger) error {
	limit := opts.WaitFor
	if limit == 0 {
		limit = DefaultWait
	}
	if co.MaxWait > 0 {
		limit = min(limit, time.Duration(co.MaxWait)*time.Second)
	}
	interval := opts.PollInterval
	if interval <= 0 {
		interval = time.Second
	}
	deadline := time.Now().Add(limit)
	for {
		if time.Now().Add(interval).After(deadline.Add(interval / 2)) {
			return &WaitTimeoutError{Limit: limit, State: rep.State}
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		resp, err := opts.Client.AssembleArtifactBundle(ctx, opts.Org, req)
		if err != nil {
			return err
		}
		log.Debug("assemble poll", "state", resp.State)
		rep.State = resp.State
		switch resp.State {
		case "ok":
			return nil
		case "created", "assembling":
		default: // error, not_found (chunks vanished), or a state we do not know
			return &ProcessingError{State: resp.State, Detail: resp.Detail}
		}
	}
}
