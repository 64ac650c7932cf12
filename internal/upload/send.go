package upload

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mapback/mapback/internal/sentry"
	"github.com/mapback/mapback/internal/term"
)

// batches groups the chunks to send (kept in file order) into POSTs of at most perRequest chunks
// and maxBytes uncompressed bytes; a batch always holds at least one chunk (docs/internals/upload-protocol.md §5).
func batches(chunks []sentry.Chunk, perRequest int, maxBytes int64) [][]sentry.Chunk {
	if perRequest < 1 {
		perRequest = 1
	}
	var out [][]sentry.Chunk
	var cur []sentry.Chunk
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
	if err := sendChunks(ctx, opts, co, missing, rep); err != nil {
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
func selectMissing(chunks []sentry.Chunk, ids []string) []sentry.Chunk {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	var out []sentry.Chunk
	for _, c := range chunks {
		if want[c.ID] {
			out = append(out, c)
			delete(want, c.ID) // a chunk repeated in the file is sent once
		}
	}
	return out
}

// sendChunks posts the missing chunks in batches, at most co.Concurrency requests in flight. The
// first batch that fails (after the client's retries) stops the others.
func sendChunks(ctx context.Context, opts *Options, co *sentry.ChunkOptions, missing []sentry.Chunk, rep *Report) error {
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
	level := opts.compression.wireLevel // for chunks not compressed while the bundle was built
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(co.Concurrency, 1))
	for _, b := range groups {
		g.Go(func() error {
			err := opts.Client.UploadChunks(gctx, co.URL, b, sentry.UploadOptions{Gzip: co.Gzip(), Level: level, OnProgress: func(n int64) {
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
	if err == nil && co.Gzip() {
		cache.recordLink(opts.Client.Server(), sentBytes.Load(), time.Since(start))
	}
	rep.Chunks.Sent = int(sentChunks.Load())
	rep.Chunks.SentBytes = sentBytes.Load()
	rep.Chunks.Requests = int(requests.Load())
	return err
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
