// Package upload sends a build's bundles and source maps to a Sentry-compatible server as one
// artifact bundle (docs/internals/upload-protocol.md): collect the files like inject does, pack them, cut the
// bundle into SHA-1 addressed chunks, ask the server which chunks it lacks, send only those, and
// have it assemble the bundle, optionally waiting until it is processed. A second run of the same
// tree sends no chunk at all; a run after an interruption sends only what did not arrive.
//
// A bare section number (§5.1) in this package's comments is one of docs/internals/upload-protocol.md.
package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/mapback/mapback/internal/artifactbundle"
	"github.com/mapback/mapback/internal/dist"
	"github.com/mapback/mapback/internal/sentry"
	"github.com/mapback/mapback/internal/term"
)

// Options configure a run. The cli fills them from flags and configuration.
type Options struct {
	Paths      []string
	Extensions []string // default DefaultExtensions
	Ignore     []string
	IgnoreFile string

	URLPrefix, URLSuffix string

	Org      string
	Projects []string
	Release  string
	Dist     string
	Note     string

	// Wait polls until the server has processed the bundle, for at most WaitFor (default
	// DefaultWait), capped by the server's maxWait.
	Wait    bool
	WaitFor time.Duration

	// DryRun builds the bundle and reports what would be sent, without any network request.
	DryRun bool
	// BundleOut, when set, keeps a copy of the artifact bundle at this path.
	BundleOut string
	// Jobs bounds parallel file compression; 0 means two per CPU.
	Jobs int
	// Level is the deflate level (1–9) of the bundle's large entries; 0 chooses it from the link (link.go).
	Level int

	Client *sentry.Client // required unless DryRun
	// NewProgress, when set, is called once with the number of bytes to send.
	NewProgress func(total int64) term.Progress
	Logger      *slog.Logger
	// PollInterval is the pause between assemble polls while waiting; 0 means one second, the
	// reference client's interval. Tests shorten it.
	PollInterval time.Duration
	// CacheDir holds the build cache (cache.go); "" disables it.
	CacheDir string
	// AllowNoMaps uploads bundles even when none has a source map (an upload
	// that can resolve nothing, refused by default: a CI step must not pass
	// on it).
	AllowNoMaps bool

	compression compression // chosen by Run from the link (link.go)
}

// DefaultWait is how long --wait waits without --wait-for, as the reference client does.
const DefaultWait = 300 * time.Second

// level is the deflate level of the bundle's large entries: Options.Level, or the one for the link
// (link.go; the small entries are stored for the chunks' gzip to compress together).
func (o *Options) level() int {
	if o.Level > 0 {
		return o.Level
	}
	return o.compression.level
}

// jobs is how many files are read and compressed at once: two per core by default, so that reads
// overlap compression and one large file does not hold back the ones behind it (files are written
// in URL order). The writer streams files and keeps only their compressed output, so this costs
// little memory: on the bench tree 0.49 → 0.36 s at about the same peak.
func (o *Options) jobs() int {
	if o.Jobs > 0 {
		return o.Jobs
	}
	return 2 * runtime.GOMAXPROCS(0)
}

// Report is the outcome of a run, printed on stderr as text and on stdout with --json.
type Report struct {
	DryRun   bool     `json:"dry_run"`
	Org      string   `json:"org,omitempty"`
	Projects []string `json:"projects,omitempty"`
	Release  string   `json:"release,omitempty"`
	Dist     string   `json:"dist,omitempty"`

	BundleDebugID string `json:"bundle_debug_id"`
	BundleSize    int64  `json:"bundle_size"`
	Checksum      string `json:"checksum"`
	BundleOut     string `json:"bundle_out,omitempty"`

	Scripts  []Script                     `json:"scripts"`
	Maps     []MapFile                    `json:"maps"`
	Skipped  []dist.Skipped               `json:"skipped,omitempty"`
	Excluded []artifactbundle.SkippedFile `json:"excluded,omitempty"` // files the bundle format cannot hold
	Warnings []string                     `json:"warnings,omitempty"`

	Chunks ChunkReport `json:"chunks"`
	// State is the server's last assemble state ("ok", "created", "assembling"); "" for a dry run.
	State string `json:"state,omitempty"`
	// FromCache says the bundle was not rebuilt: the build cache knew it and the server held it.
	FromCache bool `json:"from_cache,omitempty"`
	// TreeUnchanged says the files were not even read: every input was as an earlier upload
	// recorded it (treecache.go).
	TreeUnchanged bool `json:"tree_unchanged,omitempty"`
	// Error is why the run failed, for --json consumers; set by the caller (Run returns the error).
	Error string `json:"error,omitempty"`
}

// ChunkReport says how much was sent.
type ChunkReport struct {
	Size      int64 `json:"chunk_size"`
	Total     int   `json:"total"`
	Missing   int   `json:"missing"` // chunks the server lacked
	Sent      int   `json:"sent"`    // of those, chunks that arrived
	SentBytes int64 `json:"sent_bytes"`
	Requests  int   `json:"requests"`
	// Answered says the server told which chunks it lacks; until then
	// nothing is known of what it holds.
	Answered bool `json:"answered"`
}

// ErrNoDebugIDs stops an upload without a release whose bundles have no debug IDs: the server would
// accept the bundle but could never match an event to it (docs/internals/upload-protocol.md §9).
var ErrNoDebugIDs = errors.New("cannot upload: no bundle has a debug ID and no release was given")

// NoDebugIDsError carries ErrNoDebugIDs with the fix.
type NoDebugIDsError struct{ Paths []string }

func (e *NoDebugIDsError) Error() string { return ErrNoDebugIDs.Error() }
func (e *NoDebugIDsError) Unwrap() error { return ErrNoDebugIDs }

// Fix says how to get out of it.
func (e *NoDebugIDsError) Fix() string {
	return "run 'mapback sourcemaps inject " + strings.Join(e.Paths, " ") + "' first, or pass --release"
}

// anyMap reports whether the upload holds a source map: a map file, or a
// bundle with an inline one.
func anyMap(files *collection) bool {
	if len(files.maps) > 0 {
		return true
	}
	for _, sc := range files.scripts {
		if sc.Map != "" {
			return true
		}
	}
	return false
}

// NoMapsError is an upload in which no bundle has a source map: the server
// could resolve none of its frames.
type NoMapsError struct {
	Scripts int
	Paths   []string
}

func (e *NoMapsError) Error() string {
	return fmt.Sprintf("none of the %d bundle(s) under %s has a source map: the upload could resolve nothing", e.Scripts, strings.Join(e.Paths, ", "))
}

// Fix says how to get maps, or how to upload anyway.
func (e *NoMapsError) Fix() string {
	return "build with source maps on and keep the .map files (mapback doctor names the setting for your bundler), or pass --allow-no-maps to upload the bundles alone"
}

// ProcessingError is an assemble that ended in "error" or "not_found", or an unknown state.
type ProcessingError struct {
	State  string
	Detail string
}

func (e *ProcessingError) Error() string {
	detail := e.Detail
	if detail == "" {
		detail = "unknown error"
	}
	switch e.State {
	case "error", "not_found":
		return "the server failed to process the uploaded bundle: " + detail
	default:
		return fmt.Sprintf("the server answered an unknown assemble state %q: %s", e.State, detail)
	}
}

// Fix suggests the next step, for the reasons Sentry gives most often.
func (e *ProcessingError) Fix() string {
	d := strings.ToLower(e.Detail)
	switch {
	case e.State == "not_found":
		return "chunks went missing on the server between upload and assembly; run the same upload again (only missing chunks are sent)"
	case strings.Contains(d, "without debug ids or release"):
		return "run 'mapback sourcemaps inject' on the files first, or pass --release"
	case strings.Contains(d, "exceeds maximum size"):
		return "the bundle is larger than the organization allows: upload the build in parts (one PATH per upload), or leave out files with --ignore"
	case strings.Contains(d, "checksum"):
		return "the server assembled different bytes than were sent (a proxy altering requests?); run the upload again"
	}
	return ""
}

// WaitTimeoutError is --wait running out before the server finished.
type WaitTimeoutError struct {
	Limit time.Duration
	State string
}

func (e *WaitTimeoutError) Error() string {
	return fmt.Sprintf("the server did not finish processing the bundle within %s (last state: %s)", e.Limit, e.State)
}

// Fix explains that the upload itself succeeded.
func (e *WaitTimeoutError) Fix() string {
	return "the files were uploaded; the server may still finish. Wait longer with --wait-for SECONDS"
}

// Run uploads the tree. The Report is returned with an error too when the bundle was built before
// the failure, so the caller can still show what was attempted.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if err := validate(&opts); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	start := time.Now()
	cache := buildCache{dir: opts.CacheDir}
	files, why := cache.recalled(ctx, &opts)
	recalled := files != nil
	log.Debug("upload tree record", "used", recalled, "why not", why)
	if !recalled {
		var err error
		if files, err = collect(ctx, &opts); err != nil {
			return nil, err
		}
		log.Debug("upload tree read", "files", len(files.files), "elapsed", time.Since(start).Round(time.Millisecond))
	}
	var server string
	if opts.Client != nil {
		server = opts.Client.Server()
	}
	opts.compression = compressionFor(cache.linkRate(server))
	rep := &Report{DryRun: opts.DryRun, Org: opts.Org, Projects: opts.Projects, Release: opts.Release, Dist: opts.Dist,
		Scripts: files.scripts, Maps: files.maps, Skipped: files.skipped, Warnings: files.warnings, TreeUnchanged: recalled}
	for _, sk := range files.skipped {
		if sk.Error {
			// Bundles below it were never seen: an upload would look complete
			// while part of the build has no maps on the server.
			return rep, &UnreadableError{Path: sk.Path, Reason: sk.Reason}
		}
	}
	if len(files.files) > 0 && !anyMap(files) && !opts.AllowNoMaps {
		return rep, &NoMapsError{Scripts: len(files.scripts), Paths: pathsOrDot(opts.Paths)}
	}
	if len(files.files) == 0 {
		return rep, fmt.Errorf("no files to upload under %s (looked for %s)", strings.Join(pathsOrDot(opts.Paths), ", "), strings.Join(extensionsOrDefault(opts.Extensions), ", "))
	}
	if opts.Release == "" {
		warn, err := checkDebugIDs(files.scripts, pathsOrDot(opts.Paths))
		if err != nil {
			return rep, err
		}
		if warn != "" {
			rep.Warnings = append(rep.Warnings, warn)
		}
	}

	if opts.DryRun {
		plan, err := build(ctx, &opts, files, rep, storeBelow, func() (chunkSettings, error) {
			return chunkSettings{size: defaultChunkSize}, nil // only the IDs: nothing is sent
		})
		if err != nil {
			return rep, err
		}
		rep.Chunks = plan.report()
		return rep, nil
	}

	// The capability request goes out while the bundle is built: the chunk size is needed only when
	// the first chunk is full, and by then the answer is usually in, so the round trip costs no wall time.
	buildCtx, cancelBuild := context.WithCancel(ctx)
	defer cancelBuild()
	capability := fetchCapability(buildCtx, opts.Client, opts.Org, cancelBuild)

	// A successful run over a tree it read leaves a record of it, so the next run over the same,
	// unchanged tree need not read it (treecache.go).
	rememberTree := func() {
		if !recalled {
			why := cache.remember(ctx, &opts, files, start)
			log.Debug("upload tree record written", "ok", why == "", "why not", why)
		}
	}
	var key string
	if cache.enabled() {
		key = inputKey(files, &opts)
		done, err := tryCached(ctx, &opts, cache, key, capability, rep, log)
		if done && err == nil {
			rememberTree()
		}
		if done || err != nil {
			return rep, err
		}
	}

	// Built for a server that accepts gzip chunks, as Sentry does: small files stored, and the chunks
	// the server lacks compressed when they are sent, from the spool the build writes (spool.go). For
	// a server without gzip, the build stops at the first chunk and runs again with small files
	// deflated too.
	sp, err := newSpool(ctx)
	if err != nil {
		return rep, err
	}
	defer sp.close()
	settle := func(store int64) func() (chunkSettings, error) {
		return func() (chunkSettings, error) {
			co, err := capability()
			if err != nil {
				return chunkSettings{}, err
			}
			if store > 0 && !co.Gzip() {
				return chunkSettings{}, errSettled
			}
			return chunkSettings{size: co.ChunkSize, spool: sp}, nil
		}
	}
	buildStart := time.Now()
	plan, buildErr := build(buildCtx, &opts, files, rep, storeBelow, settle(storeBelow))
	co, err := capability()
	if err != nil {
		return rep, err // the capability error explains a cancelled build better than the build
	}
	if errors.Is(buildErr, errSettled) {
		plan, buildErr = build(ctx, &opts, files, rep, 0, settle(0))
	}
	if buildErr != nil {
		return rep, buildErr
	}
	log.Debug("upload bundle built", "bytes", plan.total, "chunks", len(plan.chunks), "elapsed", time.Since(buildStart).Round(time.Millisecond))
	err = send(ctx, &opts, co, plan, rep, log)
	if err == nil && cache.enabled() {
		entry := &cacheEntry{Checksum: rep.Checksum, DebugID: rep.BundleDebugID, Size: rep.BundleSize,
			ChunkSize: plan.size, Chunks: plan.ids(), Excluded: rep.Excluded}
		if cerr := cache.store(ctx, key, entry); cerr != nil {
			log.Debug("upload cache not written", "err", cerr)
		} else {
			rememberTree()
		}
	}
	return rep, err
}

// fetchCapability starts the capability request and returns a function that waits for its
// answer. A failure cancels the build through cancel: there is no point finishing the bundle.
func fetchCapability(ctx context.Context, client *sentry.Client, org string, cancel context.CancelFunc) func() (*sentry.ChunkOptions, error) {
	type result struct {
		opts *sentry.ChunkOptions
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		co, err := client.ChunkUploadOptions(ctx, org)
		if err != nil {
			cancel()
		}
		ch <- result{co, err}
	}()
	var once sync.Once
	var r result
	return func() (*sentry.ChunkOptions, error) {
		once.Do(func() { r = <-ch })
		return r.opts, r.err
	}
}

// tryCached finishes the upload without building when the cache knows the bundle for these inputs
// and the server already holds all its chunks. done is false when the bundle must be built.
func tryCached(ctx context.Context, opts *Options, cache buildCache, key string, capability func() (*sentry.ChunkOptions, error), rep *Report, log *slog.Logger) (done bool, err error) {
	if opts.BundleOut != "" {
		return false, nil // the bytes are wanted
	}
	e, err := cache.load(ctx, key)
	if err != nil {
		log.Debug("upload cache miss", "key", key[:12], "why", err)
		return false, nil
	}
	// The question to the server needs no capability facts, so it goes out at once; the answer
	// about the chunk size is waited for after.
	req := assembleRequest(opts, e.Checksum, e.Chunks)
	first, err := opts.Client.AssembleArtifactBundle(ctx, opts.Org, req)
	co, cerr := capability()
	if cerr != nil {
		return true, cerr // the capability error says more than the assemble's
	}
	if err != nil {
		return true, err
	}
	if co.ChunkSize != e.ChunkSize {
		log.Debug("upload cache entry has another chunk size", "cached", e.ChunkSize, "server", co.ChunkSize)
		return false, nil
	}
	if len(first.MissingChunks) > 0 {
		log.Debug("upload cache hit, but the server lacks chunks: building", "missing", len(first.MissingChunks))
		return false, nil
	}
	log.Debug("upload cache hit: the server holds every chunk", "checksum", e.Checksum)
	rep.BundleDebugID, rep.BundleSize, rep.Checksum, rep.FromCache = e.DebugID, e.Size, e.Checksum, true
	rep.Excluded = e.Excluded
	rep.Chunks = ChunkReport{Size: e.ChunkSize, Total: len(e.Chunks), Answered: true}
	return true, finish(ctx, opts, co, req, rep, log)
}

// defaultChunkSize is Sentry's chunk size, used to describe a dry run.
const defaultChunkSize = 8 << 20

// validate rejects what the server would reject, before any work (docs/internals/upload-protocol.md §7.1).
func validate(opts *Options) error {
	if !opts.DryRun {
		if opts.Client == nil {
			return errors.New("upload: no server client")
		}
		if opts.Org == "" {
			return &SettingError{"no organization given", "pass --org or set SENTRY_ORG"}
		}
		if len(opts.Projects) == 0 {
			return &SettingError{"no project given", "pass --project (repeatable) or set SENTRY_PROJECT"}
		}
	}
	for _, p := range opts.Projects {
		if strings.TrimSpace(p) == "" {
			return &SettingError{"an empty project slug was given", "remove the empty --project value"}
		}
	}
	r := opts.Release
	if r != "" {
		switch {
		case strings.TrimSpace(r) != r:
			return &SettingError{fmt.Sprintf("release %q has leading or trailing spaces", r), "trim the release name"}
		case r == "." || r == "..":
			return &SettingError{fmt.Sprintf("release %q is not allowed", r), "choose another release name"}
		case strings.ContainsAny(r, "/\n\t\v\f"):
			return &SettingError{fmt.Sprintf("release %q contains '/' or a control character, which Sentry forbids", r), "use e.g. my-app@1.2.3 instead"}
		}
	}
	if d := opts.Dist; d != "" {
		switch {
		case r == "":
			return &SettingError{"a dist (--dist or SENTRY_DIST) needs a release", "pass --release (or set SENTRY_RELEASE) together with the dist"}
		case strings.TrimSpace(d) != d:
			return &SettingError{fmt.Sprintf("dist %q has leading or trailing spaces", d), "trim the dist name"}
		case len(d) > 64:
			return &SettingError{fmt.Sprintf("dist is %d characters long; Sentry allows 64", len(d)), "shorten --dist"}
		}
	}
	if opts.WaitFor < 0 {
		return &SettingError{"--wait-for must not be negative", "pass a number of seconds"}
	}
	return nil
}

// SettingError is a missing or invalid setting, found before any request.
type SettingError struct{ Msg, Hint string }

func (e *SettingError) Error() string { return e.Msg }

// Fix says which flag or variable to set.
func (e *SettingError) Fix() string { return e.Hint }

// UnreadableError is a part of the tree the scan could not read.
type UnreadableError struct{ Path, Reason string }

func (e *UnreadableError) Error() string { return e.Path + ": " + e.Reason }

// Fix says nothing was sent and how to go on.
func (e *UnreadableError) Fix() string {
	return "nothing was uploaded; make it readable, or leave it out with --ignore"
}

// checkDebugIDs applies docs/internals/upload-protocol.md §9 without a release: if no script that has a map carries a debug ID,
// the upload would be useless; if only some lack one, warn.
func checkDebugIDs(scripts []Script, paths []string) (warning string, err error) {
	var with, without []string
	for _, s := range scripts {
		if s.Map == "" && s.SourceMap == "" {
			continue
		}
		if s.DebugID != "" {
			with = append(with, s.Path)
		} else {
			without = append(without, s.Path)
		}
	}
	if len(with) == 0 && len(without) > 0 {
		return "", &NoDebugIDsError{Paths: paths}
	}
	if len(without) > 0 {
		return fmt.Sprintf("%d bundle(s) with a source map have no debug ID and can only be matched by URL (e.g. %s); run 'mapback sourcemaps inject'", len(without), without[0]), nil
	}
	return "", nil
}

// build writes the artifact bundle through a chunker (chunker.go), and to BundleOut when asked, and
// records the bundle's facts in the report. store is StoreBelow (link.go): positive when the chunks
// will be gzipped on the wire; settle gives the chunk settings.
func build(ctx context.Context, opts *Options, files *collection, rep *Report, store int64, settle func() (chunkSettings, error)) (chunkPlan, error) {
	c := newChunker(ctx, settle)
	var w io.Writer = c
	var out *atomicFile
	if opts.BundleOut != "" {
		var err error
		if out, err = createAtomic(ctx, opts.BundleOut); err != nil {
			c.Abort()
			return chunkPlan{}, err
		}
		w = io.MultiWriter(c, out)
	}
	res, err := artifactbundle.Write(ctx, w, files.files, artifactbundle.WriteOptions{
		Org: opts.Org, Projects: opts.Projects, Release: opts.Release, Dist: opts.Dist, Note: opts.Note, Jobs: opts.jobs(),
		Level: opts.level(), StoreBelow: store,
	})
	var plan chunkPlan
	if err == nil {
		plan, err = c.Close()
	} else {
		if cerr := c.failure(); cerr != nil {
			err = cerr // the chunker's own error, not wrapped in the file being written
		}
		c.Abort()
	}
	if err != nil {
		if out != nil {
			out.abort()
		}
		return chunkPlan{}, err
	}
	if out != nil {
		if err := out.commit(); err != nil {
			return chunkPlan{}, err
		}
		rep.BundleOut = opts.BundleOut
	}
	rep.BundleDebugID = res.DebugID
	rep.BundleSize = plan.total
	rep.Checksum = plan.checksum
	rep.Excluded = res.Skipped
	return plan, nil
}

func pathsOrDot(p []string) []string {
	if len(p) == 0 {
		return []string{"."}
	}
	return p
}

func extensionsOrDefault(e []string) []string {
	if len(e) == 0 {
		return DefaultExtensions
	}
	return e
}

// DefaultTimeout bounds an upload when --timeout is not set: long enough for
// a large build over a slow link, short of holding a CI job for hours.
const DefaultTimeout = 30 * time.Minute

// TimeoutError is an upload that ran out of its --timeout.
type TimeoutError struct{ Limit time.Duration }

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("the upload did not finish within %s (--timeout)", e.Limit)
}

// Fix says nothing sent is lost.
func (e *TimeoutError) Fix() string {
	return "run it again: only what the server still lacks is sent; raise --timeout (or MAPBACK_TIMEOUT) for a slow link"
}
