// Package phupload uploads a build's source maps to PostHog error tracking
// as symbol sets (docs/internals/posthog.md): for each injected bundle with a
// map, one symbol-data object (the bundle and its map, zstd-compressed) under
// the bundle's chunk ID. Only what the server lacks is sent: ask
// (bulk_check_upload), open (bulk_start_upload, in batches), POST each object
// to its presigned URL (a fallback URL after transport failures), then
// record the content hashes (bulk_finish_upload).
package phupload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/jsonscan"
	"github.com/mapback/mapback/internal/mmapfile"
	"github.com/mapback/mapback/internal/posthog"
	"github.com/mapback/mapback/internal/readcap"
	"github.com/mapback/mapback/internal/term"
)

// Options configure a run.
type Options struct {
	Paths      []string
	Extensions []string
	Ignore     []string
	IgnoreFile string
	Client     *posthog.Client // nil only for a dry run
	DryRun     bool
	// BatchSize is how many chunks one bulk_start_upload opens (0: 50, as
	// PostHog's CLI); Concurrency how many object POSTs run at once (0: 10).
	BatchSize, Concurrency int
	NewProgress            func(total int64) term.Progress
	Logger                 *slog.Logger
}

// Chunk is one symbol set of the build.
type Chunk struct {
	Bundle  string `json:"bundle"`
	Map     string `json:"map"` // "inline" for a data: URL
	ChunkID string `json:"chunk_id"`
	Size    int    `json:"size"`   // the symbol-data object, compressed
	Status  string `json:"status"` // uploaded, present, would-upload, too-large, failed
	Reason  string `json:"reason,omitempty"`

	data     []byte
	hash     string
	src, m   []byte        // until compressed
	raw      int64         // len(src) + len(m): what progress counts
	done     chan struct{} // closed once data (or the too-large status) is set
	sizeErr  string        // set with done when the object is over 100 MiB
	unneeded *atomic.Bool  // the server holds it: not compressed, if not begun
	free     func()        // unmaps src and m, once hashed and compressed
}

// Chunk statuses.
const (
	StatusUploaded    = "uploaded"
	StatusPresent     = "present" // the server already holds this content
	StatusWouldUpload = "would-upload"
	StatusTooLarge    = "too-large"
	StatusFailed      = "failed"
)

// Report is what a run did.
type Report struct {
	DryRun   bool     `json:"dry_run"`
	Host     string   `json:"host,omitempty"`
	Chunks   []*Chunk `json:"chunks"`
	Skipped  []string `json:"skipped,omitempty"` // bundles without a chunk ID or a map, with why
	Warnings []string `json:"warnings,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// Count returns how many chunks ended with status s.
func (r *Report) Count(s string) int {
	n := 0
	for _, c := range r.Chunks {
		if c.Status == s {
			n++
		}
	}
	return n
}

// NoChunksError says nothing in the build can be uploaded to PostHog.
type NoChunksError struct{ Paths []string }

func (e *NoChunksError) Error() string {
	return "no bundle under " + strings.Join(e.Paths, ", ") + " has a PostHog chunk ID and a map"
}

// Fix says how to get chunk IDs.
func (e *NoChunksError) Fix() string {
	return "run mapback sourcemaps inject --backends posthog (or sentry,posthog) on the build first, with source maps on"
}

// Run uploads the build. The report comes back with an error too, once
// the chunks are known.
func Run(ctx context.Context, opts Options) (*Report, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rep := &Report{DryRun: opts.DryRun}
	if opts.Client != nil {
		rep.Host = opts.Client.Host()
	}
	// Each chunk's object is compressed in the background from the moment it
	// is read, while the rest are read and hashed and the server is asked
	// what it lacks. Every compression has ended before the report goes back.
	cctx, stop := context.WithCancel(ctx)
	var started []*Chunk
	defer func() {
		stop()
		for _, c := range started {
			<-c.done
			c.src, c.m = nil, nil
			c.free()
		}
	}()
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	chunks, err := collect(ctx, opts, rep, func(c *Chunk) {
		started = append(started, c)
		go c.compress(cctx, sem)
	})
	if err != nil {
		return rep, err
	}
	paths := opts.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	if len(chunks) == 0 {
		return rep, &NoChunksError{Paths: paths}
	}
	rep.Chunks = chunks
	if opts.DryRun {
		for _, c := range rep.Chunks {
			if c.ready(ctx) {
				c.Status = StatusWouldUpload
			}
		}
		return rep, ctx.Err()
	}
	if opts.Client == nil {
		return rep, errors.New("no PostHog client")
	}
	return rep, send(ctx, opts, rep, log)
}

// collect reads every injected bundle with a map and builds its object.
func collect(ctx context.Context, opts Options, rep *Report, start func(*Chunk)) ([]*Chunk, error) {
	scan, err := dist.Scan(ctx, dist.Options{Paths: opts.Paths, Extensions: opts.Extensions, Ignore: opts.Ignore, IgnoreFile: opts.IgnoreFile})
	if err != nil {
		return nil, err
	}
	for _, sk := range scan.Skipped {
		if sk.Error {
			return nil, fmt.Errorf("%s: %s: nothing was uploaded; make it readable, or leave it out with --ignore", sk.Path, sk.Reason)
		}
	}
	chunks := make([]*Chunk, len(scan.Bundles))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range scan.Bundles {
		b := scan.Bundles[i]
		g.Go(func() error {
			if gctx.Err() != nil {
				return gctx.Err()
			}
			c, skip := readChunk(b)
			if skip != "" {
				mu.Lock()
				rep.Skipped = append(rep.Skipped, b.Path+": "+skip)
				mu.Unlock()
				return nil
			}
			mu.Lock()
			start(c)
			mu.Unlock()
			c.hash = contentHash(c.src, c.m) // while it is compressed
			chunks[i] = c
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Strings(rep.Skipped)
	// One object per chunk ID: byte-identical copies share theirs.
	var out []*Chunk
	seen := map[string]string{}
	for _, c := range chunks {
		if c == nil {
			continue
		}
		if first, dup := seen[c.ChunkID]; dup {
			if first != c.hash {
				return nil, fmt.Errorf("%s and another bundle both have chunk ID %s but different content: rebuild and inject again", c.Bundle, c.ChunkID)
			}
			continue
		}
		seen[c.ChunkID] = c.hash
		out = append(out, c)
	}
	return out, nil
}

// readChunk builds one chunk's object, or says why the bundle has none.
func readChunk(b dist.Bundle) (*Chunk, string) {
	if b.Err != nil {
		return nil, b.Err.Error()
	}
	if b.Map == nil {
		return nil, "no source map"
	}
	// The files are mapped, not copied: the object is built from them and
	// they are unmapped (free) once it is.
	var frees []func()
	free := func() {
		for _, f := range frees {
			f()
		}
	}
	open := func(path string) ([]byte, error) {
		if st, err := os.Stat(path); err != nil {
			return nil, err
		} else if st.Size() > readcap.SourceMap {
			return nil, &readcap.TooLargeError{What: path, Limit: readcap.SourceMap}
		}
		data, f, _, err := mmapfile.Load(path)
		if err == nil {
			frees = append(frees, f)
		}
		return data, err
	}
	src, err := open(b.Path)
	if err != nil {
		return nil, err.Error()
	}
	id, ok := posthog.FindChunkID(src)
	if !ok {
		free()
		return nil, "no //# chunkId= comment (not injected for PostHog)"
	}
	m, mapName := b.Map.Inline, "inline"
	if b.Map.Path != "" {
		mapName = b.Map.Path
		if m, err = open(b.Map.Path); err != nil {
			free()
			return nil, err.Error()
		}
	}
	if empty(m) {
		free()
		return nil, "its map maps nothing (empty mappings, sources and names)"
	}
	return &Chunk{Bundle: b.Path, Map: mapName, ChunkID: id, src: src, m: m, free: free,
		raw: int64(len(src) + len(m)), done: make(chan struct{}), unneeded: new(atomic.Bool)}, ""
}

// compress builds the chunk's object, at most len(sem) at a time (large
// objects use every core themselves), and closes done. A chunk the server
// turned out to hold is not compressed if it has not begun.
func (c *Chunk) compress(ctx context.Context, sem chan struct{}) {
	defer close(c.done)
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-sem }()
	if ctx.Err() != nil || c.unneeded.Load() {
		return
	}
	data := posthog.EncodeSymbolData(c.src, c.m)
	c.Size = len(data)
	if c.Size > posthog.MaxSymbolData {
		c.sizeErr = fmt.Sprintf("the object is %s, over PostHog's 100 MiB", term.FormatBytes(int64(c.Size)))
		return
	}
	c.data = data
}

// ready waits for a chunk's object and says whether it can be sent.
func (c *Chunk) ready(ctx context.Context) bool {
	select {
	case <-c.done:
	case <-ctx.Done():
		return false
	}
	if c.sizeErr != "" {
		c.Status, c.Reason = StatusTooLarge, c.sizeErr
		return false
	}
	return true
}

// contentHash identifies a chunk's content for the server, which only
// compares it with the hash it stored for the chunk ID: SHA-256 (twice as
// fast as SHA-512 with the CPUs' SHA instructions; PostHog's CLI uses
// SHA-512) of the bundle and its map as injected, in PostHog's event-mode
// layout (bundle, NUL, map, NUL, variant). PostHog's CLI hashes the pair with
// its injection undone, so the two tools' hashes differ: a build uploaded by
// both is sent twice, and the newer replaces the older.
func contentHash(src, m []byte) string {
	h := sha256.New()
	h.Write(src)
	h.Write([]byte{0})
	h.Write(m)
	h.Write([]byte{0})
	h.Write([]byte("chunk-id-only"))
	return hex.EncodeToString(h.Sum(nil))
}

// empty reports a map with nothing to resolve: PostHog's CLI skips those.
func empty(m []byte) bool {
	members, _, _, err := jsonscan.Document(m)
	if err != nil {
		return false
	}
	for _, mb := range members {
		switch mb.Key {
		case "mappings":
			if mb.ValEnd-mb.ValStart > 2 {
				return false
			}
		case "sources", "names", "sections":
			if !bytes.Equal(bytes.TrimSpace(m[mb.ValStart:mb.ValEnd]), []byte("[]")) {
				return false
			}
		}
	}
	return true
}

// checkBatch is how many chunks one bulk_check_upload asks about.
const checkBatch = 1000

// send runs the protocol for the chunks not already too large.
func send(ctx context.Context, opts Options, rep *Report, log *slog.Logger) error {
	c := opts.Client
	idx := map[string]*Chunk{}
	var entries []posthog.UploadEntry
	for _, ch := range rep.Chunks {
		idx[ch.ChunkID] = ch
		entries = append(entries, posthog.UploadEntry{ChunkID: ch.ChunkID, ContentHash: ch.hash})
	}
	// Ask which chunks are missing; without the endpoint, or when asking
	// fails, send them all (the start request skips what is there).
	need := map[string]bool{}
	checking := true
	for start := 0; start < len(entries); start += checkBatch {
		batch := entries[start:min(start+checkBatch, len(entries))]
		var (
			ids       []string
			supported bool
			err       error
		)
		if checking {
			ids, supported, err = c.CheckUpload(ctx, batch, true)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			switch {
			case err != nil:
				rep.Warnings = append(rep.Warnings, "the upload check failed ("+err.Error()+"); sending every chunk")
				checking = false
			case !supported:
				log.Info("the server does not support upload checks: sending every chunk")
				checking = false
			}
		}
		if !checking {
			for _, e := range batch {
				need[e.ChunkID] = true
			}
			continue
		}
		for _, id := range ids {
			need[id] = true
		}
	}
	var todo []posthog.UploadEntry
	for _, e := range entries {
		if need[e.ChunkID] {
			todo = append(todo, e)
		} else {
			idx[e.ChunkID].Status = StatusPresent
			idx[e.ChunkID].unneeded.Store(true)
		}
	}
	var total int64
	for _, e := range todo {
		total += idx[e.ChunkID].raw
	}
	progress := term.StartProgress(opts.NewProgress, total)
	defer progress.Done()

	batchSize := opts.BatchSize
	if batchSize <= 0 {
		batchSize = 50
	}
	concurrency := opts.Concurrency
	if concurrency <= 0 {
		concurrency = 10
	}
	var useFallback atomic.Bool // a run-wide latch, as PostHog's CLI does
	for start := 0; start < len(todo); start += batchSize {
		batch := todo[start:min(start+batchSize, len(todo))]
		started, err := c.StartUpload(ctx, batch, true)
		if err != nil {
			return startError(err)
		}
		for id := range started {
			if idx[id] == nil || !need[id] {
				return fmt.Errorf("the server answered for chunk %s, which this upload did not send: is %s a PostHog instance?", id, c.Host())
			}
		}
		hashes := map[string]string{}
		var hmu sync.Mutex
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(concurrency)
		for _, e := range batch {
			ch := idx[e.ChunkID]
			up, ok := started[e.ChunkID]
			if !ok {
				ch.Status = StatusPresent
				continue
			}
			g.Go(func() error {
				if !ch.ready(gctx) {
					return gctx.Err() // too large (its status says so), or interrupted
				}
				if err := postObject(gctx, c, up, ch.data, &useFallback, log); err != nil {
					ch.Status, ch.Reason = StatusFailed, err.Error()
					return fmt.Errorf("%s (chunk %s): %w", ch.Bundle, ch.ChunkID, err)
				}
				progress.Add(ch.raw)
				hmu.Lock()
				hashes[up.SymbolSetID] = ch.hash
				hmu.Unlock()
				ch.Status = StatusUploaded
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			// The batch is not finished: the server drops its half-made sets.
			return fmt.Errorf("failed to upload %w; nothing of this batch was recorded, run the upload again", err)
		}
		if len(hashes) == 0 {
			continue
		}
		if err := c.FinishUpload(ctx, hashes); err != nil {
			for _, e := range batch {
				if ch := idx[e.ChunkID]; ch.Status == StatusUploaded {
					ch.Status, ch.Reason = StatusFailed, "not recorded by the server"
				}
			}
			return fmt.Errorf("the server did not record the uploaded symbol sets, so their maps are not attached: %w", err)
		}
	}
	return nil
}

// postObject POSTs one object: up to three tries on the presigned URL
// (transport errors, 429 and 5xx are tried again; another refusal is final);
// after two transport errors in a row it goes to the fallback URL, with two
// tries of its own, and so does every later object of the run (a latch, as
// PostHog's CLI does).
func postObject(ctx context.Context, c *posthog.Client, up posthog.StartedUpload, data []byte, useFallback *atomic.Bool, log *slog.Logger) error {
	tries, inARow := 0, 0
	for {
		target, onFallback, limit := up.Presigned, false, 3
		if up.Fallback != nil && useFallback.Load() {
			target, onFallback, limit = *up.Fallback, true, 2
		}
		err := c.PostObject(ctx, target, data)
		if err == nil || ctx.Err() != nil {
			return err
		}
		tries++
		var ae *posthog.APIError
		if errors.As(err, &ae) {
			if ae.Status != 429 && ae.Status < 500 {
				return err // the store refused it: the same bytes fail again
			}
			inARow = 0
		} else if inARow++; inARow >= 2 && up.Fallback != nil && !onFallback {
			log.Warn("posthog: the object store keeps failing: switching to the fallback URL", "error", err.Error())
			useFallback.Store(true)
			tries, inARow = 0, 0
			continue
		}
		if tries >= limit {
			return err
		}
		if err := c.Backoff(ctx, tries); err != nil {
			return err
		}
	}
}

// startError words a failed bulk_start_upload.
func startError(err error) error {
	var ae *posthog.APIError
	if errors.As(err, &ae) {
		switch ae.Code {
		case "content_hash_mismatch":
			return fmt.Errorf("the server holds other content for a chunk ID of this build: %w", err)
		case "release_id_mismatch":
			return fmt.Errorf("the server holds these chunks under another release: %w", err)
		}
	}
	return fmt.Errorf("failed to start the upload: %w", err)
}
