package artifactbundle

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/mapback/mapback/internal/rawfile"
)

// DefaultLevel is the deflate level Write uses when WriteOptions.Level is 0. The reference client's level
// is unknown (docs/internals/upload-protocol.md §15; its streams match no zlib level), so it was chosen by measurement on the bench
// corpus (.cache/bench/corpus: 1954 .js/.mjs/.cjs/.map files, 441 MB, from six npm packages), one core,
// output as a share of the input; "deflate" is klauspost/compress/flate alone (best of 3 runs, files in
// memory), "Write" is BenchmarkLevels (read + CRC + SHA-1 + deflate + zip, Jobs 1, one run, a shared
// machine):
//
//	level  size     deflate MB/s  Write MB/s
//	1      27.60%   237           142
//	2      26.30%   229           124
//	3      25.78%   214           160
//	4      24.59%   147           147
//	5      23.28%   143           133
//	6      22.84%   132           124
//	7      22.32%    76            61
//	8      22.01%                  35
//	9      21.79%                  14
//	compress/flate (standard library): level 1 27.78% at 142 MB/s, level 6 21.98% at 36 MB/s.
//
// Level 6 is the knee: 1.9% smaller than 5 for about 8% more time, while 7 costs 40% more time for 2% less.
// The bundle is uploaded next, and at any realistic upload speed the bytes saved outweigh the CPU spent,
// which Jobs spreads over all cores anyway (132 MB/s per core is far above a typical uplink).
const DefaultLevel = 6

// SourceFile is one file to bundle. Upload decides URL, type and headers; the writer only packs.
type SourceFile struct {
	URL     string            // artifact URL, e.g. "~/assets/main.js"
	Type    string            // TypeMinifiedSource, TypeSourceMap, TypeSource or TypeIndexedRAMBundle
	Headers map[string]string // lowercase manifest header names: "debug-id", "sourcemap"; empty values omitted
	Path    string            // file on disk to read the bytes from (bytes are bundled exactly as on disk)
}

// WriteOptions are the bundle's attributes and the writer's tuning.
type WriteOptions struct {
	Org      string
	Projects []string // manifest "project" only when exactly one
	Release  string
	Dist     string
	Note     string
	Jobs     int // parallel deflate workers; <=0 means runtime.GOMAXPROCS(0)
	Level    int // deflate level 1–9; 0 means DefaultLevel
	// StoreBelow, when positive, stores files smaller than this many bytes (and the manifest, if
	// smaller) without compression, for a transport that compresses the whole stream: one gzip
	// stream over many small files finds what they share (a code-split build's chunks repeat
	// each other), which per-file deflate cannot. Only for servers that accept gzip chunks.
	StoreBelow int64
	// WindowBytes bounds the total size of the files in flight (read, being compressed, or
	// waiting for their turn to be written); <=0 means DefaultWindowBytes. With it, Jobs can
	// exceed the number of cores (reads then overlap compression) without a few large maps in
	// flight at once multiplying the memory.
	WindowBytes int64
}

// storedPerJob is how many stored files may be in flight per job (see Write).
const storedPerJob = 16

// DefaultWindowBytes is the default budget of file bytes in flight, counted as the files' sizes.
// Files are streamed, so what stays in memory is their compressed output, a quarter to a third of
// that: 192 MiB of maps in flight hold about 50 MB.
const DefaultWindowBytes = 192 << 20

// WrittenFile is one bundled file, in zip order.
type WrittenFile struct {
	URL     string
	ZipPath string // "files/…", with ".1", ".2"… when the bundle path was taken
	Type    string
	Size    int64 // uncompressed
}

// SkippedFile is a file that was not bundled (the reference client skips non-UTF-8 files, §10.2).
type SkippedFile struct {
	URL    string
	Path   string
	Reason string
}

// WriteResult describes a written bundle.
type WriteResult struct {
	DebugID  string // bundle debug_id (§10.5)
	Manifest Manifest
	Files    []WrittenFile
	Skipped  []SkippedFile
	Size     int64 // bytes written including the 8-byte header
}

// typeNames are the reference client's Debug names of its file types, which feed the bundle debug_id
// (§10.5).
var typeNames = map[string]string{
	TypeMinifiedSource:   "MinifiedSource",
	TypeSourceMap:        "SourceMap",
	TypeSource:           "Source",
	TypeIndexedRAMBundle: "IndexedRamBundle",
}

// packed is one file read, checked and compressed by a worker.
type packed struct {
	size     int64  // uncompressed size
	method   uint16 // methodDeflate, or methodStore below WriteOptions.StoreBelow
	comp     []byte // the entry's data (a raw deflate stream, or the file itself); nil when skipped
	crc      uint32 // CRC-32 of the content, for the zip and to see the file did not change
	skip     string // reason when not bundled
	err      error
	compBuf  *bytes.Buffer
	pool     *sync.Pool // where compBuf goes back
	released bool
}

// readBufs recycles the buffers files are streamed through (readChunk bytes each).
var readBufs = sync.Pool{New: func() any { b := make([]byte, readChunk); return &b }}

// readChunk is how much of a file is read, checked and compressed at a time. Files are streamed
// rather than held whole: a worker keeps only the compressed output (a quarter of a map's size), so
// many files can be in flight, and their reads overlap compression, within little memory.
const readChunk = 1 << 20

// Write writes an artifact bundle of files to w: the SYSB header, then a deterministic zip laid out as the
// reference client does (§10.2), entries in ascending URL byte order and manifest.json last. Files are read
// and deflated by opts.Jobs workers, at most Jobs files in memory at once, and written to w in order.
// Non-UTF-8 files are skipped and listed in the result, as the reference does. On error, what was written to
// w is not a valid bundle.
func Write(ctx context.Context, w io.Writer, files []SourceFile, opts WriteOptions) (*WriteResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	level := opts.Level
	if level == 0 {
		level = DefaultLevel
	}
	if level < flate.BestSpeed || level > flate.BestCompression {
		return nil, fmt.Errorf("artifact bundle: deflate level %d out of range 1–9", level)
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	sorted, err := sortFiles(files)
	if err != nil {
		return nil, err
	}
	if len(sorted)+1 > maxZip32Entries {
		return nil, fmt.Errorf("%w: %d files", ErrZip64, len(sorted))
	}

	zw := &zipWriter{w: w}
	res := &WriteResult{Manifest: Manifest{Files: map[string]FileEntry{}}}
	hash := sha1.New()
	if err := zw.header(); err != nil {
		return nil, err
	}

	g, gctx := errgroup.WithContext(ctx)
	// slots bounds the files in flight (being read, compressed, or waiting to be written) to jobs; the
	// writer frees a slot once a file is on w, so memory stays at about jobs files whatever their order.
	// Files stored as they are (under StoreBelow) cost a read and a CRC, not a compressor: they have
	// slots of their own, many more, so the thousands of small chunks of a code-split build keep both
	// cores busy rather than waiting on each other's hand-offs (on the scale bench build 4 → 64 in
	// flight took an upload from 511 to 446 ms), at most storedPerJob × jobs × StoreBelow bytes.
	slots := make(chan struct{}, jobs)
	storedSlots := make(chan struct{}, storedPerJob*jobs)
	budget := opts.WindowBytes
	if budget <= 0 {
		budget = DefaultWindowBytes
	}
	bytesInFlight := semaphore.NewWeighted(budget)
	weights := make([]int64, len(sorted))
	kind := make([]chan struct{}, len(sorted)) // the slots each file holds
	results := make([]chan *packed, len(sorted))
	for i := range results {
		results[i] = make(chan *packed, 1)
	}
	pools := &bufPools{}
	g.Go(func() error {
		for i := range sorted {
			// A file larger than the budget takes all of it: it waits for the files before it to be
			// written, then goes alone. A file that cannot be stat'ed weighs nothing; its read fails.
			kind[i] = slots
			if fi, err := os.Stat(sorted[i].Path); err == nil {
				weights[i] = min(fi.Size(), budget)
				if fi.Size() < opts.StoreBelow {
					kind[i] = storedSlots
				}
			}
			select {
			case kind[i] <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			if err := bytesInFlight.Acquire(gctx, weights[i]); err != nil {
				<-kind[i]
				return err
			}
			g.Go(func() error {
				// The error travels with the result, so the one reported is the first in URL order
				// whatever the timing; the writer is at most jobs files behind, so it still fails fast.
				results[i] <- pack(gctx, sorted[i], level, opts.StoreBelow, pools)
				return nil
			})
		}
		return nil
	})
	g.Go(func() error {
		used := map[string]bool{}
		for i, f := range sorted {
			// Checked first so a cancel stops the bundle even when the next file is already packed.
			if err := gctx.Err(); err != nil {
				return err
			}
			var p *packed
			select {
			case p = <-results[i]:
			case <-gctx.Done():
				return gctx.Err()
			}
			if p.err != nil {
				return p.err
			}
			if err := hashFile(gctx, hash, f, p); err != nil {
				return err
			}
			if p.skip != "" {
				res.Skipped = append(res.Skipped, SkippedFile{URL: f.URL, Path: f.Path, Reason: p.skip})
			} else {
				name := uniquePath("files/"+BundlePath(f.URL), used)
				used[name] = true
				if err := zw.entry(name, p.method, p.crc, p.size, p.comp); err != nil {
					return fmt.Errorf("bundling %s (%s): %w", f.URL, f.Path, err)
				}
				res.Manifest.Files[name] = fileEntryOf(f)
				res.Files = append(res.Files, WrittenFile{URL: f.URL, ZipPath: name, Type: f.Type, Size: p.size})
			}
			p.release()
			bytesInFlight.Release(weights[i])
			<-kind[i]
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}

	res.DebugID = debugIDFromSum(hash.Sum(nil))
	m := &res.Manifest
	m.DebugID, m.Org, m.Release, m.Dist, m.Note = res.DebugID, opts.Org, opts.Release, opts.Dist, opts.Note
	if len(opts.Projects) == 1 {
		m.Project = opts.Projects[0]
	}
	mdata, err := encodeManifest(*m)
	if err != nil {
		return nil, err
	}
	method, comp := uint16(methodStore), mdata
	if int64(len(mdata)) >= opts.StoreBelow {
		method = methodDeflate
		if comp, err = deflate(ctx, mdata, level, nil); err != nil {
			return nil, err
		}
	}
	if err := zw.entry(ManifestName, method, crc32.ChecksumIEEE(mdata), int64(len(mdata)), comp); err != nil {
		return nil, fmt.Errorf("bundling %s: %w", ManifestName, err)
	}
	if err := zw.finish(); err != nil {
		return nil, err
	}
	res.Size = zw.off
	return res, nil
}

// sortFiles copies files in ascending URL byte order (the reference keeps them in a map keyed by URL, so
// both the zip order and the debug_id hash follow it) and checks what the writer relies on.
func sortFiles(files []SourceFile) ([]SourceFile, error) {
	sorted := make([]SourceFile, len(files))
	copy(sorted, files)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].URL < sorted[j].URL })
	for i, f := range sorted {
		if f.URL == "" {
			return nil, fmt.Errorf("artifact bundle: %s: empty URL", f.Path)
		}
		if _, ok := typeNames[f.Type]; !ok {
			return nil, fmt.Errorf("artifact bundle: %s: unknown type %q", f.Path, f.Type)
		}
		if i > 0 && sorted[i-1].URL == f.URL {
			// The reference cannot have two files under one URL; the server would index only one.
			return nil, fmt.Errorf("artifact bundle: %s and %s have the same URL %q", sorted[i-1].Path, f.Path, f.URL)
		}
	}
	return sorted, nil
}

// pack streams one file through a UTF-8 check, a CRC-32 and the compressor. Its error names the
// URL and the path. The content of a deflated entry is not kept: the writer reads it again, from the
// page cache, for the debug_id hash, and the CRC tells it that it read the same bytes. A stored
// entry is the content, and is hashed as it is.
func pack(ctx context.Context, f SourceFile, level int, storeBelow int64, pools *bufPools) *packed {
	p := &packed{method: methodDeflate}
	if err := ctx.Err(); err != nil {
		p.err = err
		return p
	}
	fh, err := rawfile.Open(f.Path)
	if err != nil {
		p.err = fmt.Errorf("bundling %s: %w", f.URL, err) // *PathError names the path and the problem
		return p
	}
	defer func() { _ = fh.Close() }()
	fi, statErr := fh.Stat()
	stored := statErr == nil && fi.Size() < storeBelow
	// Stored and deflated entries keep separate buffers: a small file given a buffer grown by a
	// large one would hold that memory while many small files are in flight (Write's storedSlots).
	p.pool = &pools.deflated
	if stored {
		p.pool = &pools.stored
	}
	buf, _ := p.pool.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	var out interface {
		io.Writer
		Close() error
	}
	if stored {
		p.method = methodStore
		buf.Grow(int(fi.Size()))
		out = nopCloser{buf}
	} else {
		if statErr == nil {
			buf.Grow(int(fi.Size()/3) + 64)
		}
		fw := flateWriter(level, buf)
		defer flateWriters[level].Put(fw)
		out = fw
	}
	p.compBuf = buf
	rb := readBufs.Get().(*[]byte)
	defer readBufs.Put(rb)
	crc := crc32.NewIEEE()
	valid := true
	carry := 0 // bytes of an incomplete UTF-8 sequence kept at the front of the buffer
	for {
		if err := ctx.Err(); err != nil {
			p.err = err
			return p
		}
		n, rerr := fh.Read((*rb)[carry:])
		fresh := (*rb)[carry : carry+n]
		_, _ = crc.Write(fresh) // hash writes never fail
		if valid {
			if _, err := out.Write(fresh); err != nil {
				p.err = fmt.Errorf("bundling %s (%s): %w", f.URL, f.Path, err)
				return p
			}
		}
		p.size += int64(n)
		data := (*rb)[:carry+n]
		cut := len(data)
		if rerr == nil {
			cut = completeRunes(data)
		}
		if valid && !utf8.Valid(data[:cut]) {
			valid = false // still read to the end: the debug_id hashes the whole file either way
		}
		carry = copy(*rb, data[cut:])
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			p.err = fmt.Errorf("bundling %s: %w", f.URL, &os.PathError{Op: "read", Path: f.Path, Err: rerr})
			return p
		}
	}
	p.crc = crc.Sum32()
	if !valid {
		p.skip = "not valid UTF-8"
		p.release()
		return p
	}
	if err := out.Close(); err != nil {
		p.err = fmt.Errorf("bundling %s (%s): %w", f.URL, f.Path, err)
		return p
	}
	p.comp = buf.Bytes()
	return p
}

// nopCloser is a stored entry's "compressor".
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// completeRunes returns how much of data ends on a whole UTF-8 sequence: the length minus an
// incomplete sequence at the end (at most three bytes), which the next read completes.
func completeRunes(data []byte) int {
	for k := 1; k <= utf8.UTFMax-1 && k <= len(data); k++ {
		c := data[len(data)-k]
		if c < utf8.RuneSelf {
			return len(data) // ASCII: nothing pending
		}
		if utf8.RuneStart(c) {
			if utf8.FullRune(data[len(data)-k:]) {
				return len(data)
			}
			return len(data) - k
		}
	}
	return len(data) // continuation bytes only: let utf8.Valid judge them
}

func (p *packed) release() {
	if p.released {
		return
	}
	p.released = true
	if p.compBuf != nil {
		p.comp = nil
		p.pool.Put(p.compBuf)
	}
}

// bufPools recycle the entries' buffers of one Write, stored and deflated apart.
type bufPools struct{ stored, deflated sync.Pool }

// flateWriter returns a pooled compressor at level writing to w.
func flateWriter(level int, w io.Writer) *flate.Writer {
	if fw, _ := flateWriters[level].Get().(*flate.Writer); fw != nil {
		fw.Reset(w)
		return fw
	}
	fw, _ := flate.NewWriter(w, level) // the level is checked by Write
	return fw
}

var flateWriters [flate.BestCompression + 1]sync.Pool

// compressChunk is how much is deflated between two looks at the context, so cancelling a large map
// takes effect within milliseconds.
const compressChunk = 1 << 20

// deflate compresses data at level into buf (a new buffer when nil), checking ctx between chunks.
func deflate(ctx context.Context, data []byte, level int, buf *bytes.Buffer) ([]byte, error) {
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Grow(len(data)/3 + 64)
	fw, _ := flateWriters[level].Get().(*flate.Writer)
	if fw == nil {
		var err error
		if fw, err = flate.NewWriter(buf, level); err != nil {
			return nil, err
		}
	} else {
		fw.Reset(buf)
	}
	defer flateWriters[level].Put(fw)
	for len(data) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(len(data), compressChunk)
		if _, err := fw.Write(data[:n]); err != nil {
			return nil, err
		}
		data = data[n:]
	}
	if err := fw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// hashFile feeds one file into the bundle debug_id hash (§10.5): URL ‖ content ‖ type name ‖ headers by
// internal key. Non-UTF-8 files count too: the reference hashes every file it was given, before its bundle
// writer skips some (checked against testdata/reference-3.8.0-dups.bundle).
//
// A stored entry's content is the bytes the worker read. A deflated one is read again here, in URL
// order, rather than kept in memory since the worker read it; the page cache makes the second read
// cheap, and its CRC must match the worker's, so a file that changed in between fails the bundle
// instead of giving it a debug_id that does not match its bytes.
func hashFile(ctx context.Context, h io.Writer, f SourceFile, p *packed) error {
	_, _ = io.WriteString(h, f.URL) // hash.Hash writes never fail
	if p.method == methodStore && p.comp != nil {
		// A stored entry is the file itself, already read and checked: no second read.
		_, _ = h.Write(p.comp)
		hashTail(h, f)
		return nil
	}
	fh, err := rawfile.Open(f.Path)
	if err != nil {
		return fmt.Errorf("bundling %s: %w", f.URL, err)
	}
	defer func() { _ = fh.Close() }()
	rb := readBufs.Get().(*[]byte)
	defer readBufs.Put(rb)
	crc := crc32.NewIEEE()
	var size int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := fh.Read(*rb)
		_, _ = h.Write((*rb)[:n])
		_, _ = crc.Write((*rb)[:n])
		size += int64(n)
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("bundling %s: %w", f.URL, &os.PathError{Op: "read", Path: f.Path, Err: rerr})
		}
	}
	if size != p.size || crc.Sum32() != p.crc {
		return fmt.Errorf("bundling %s: %s changed while it was being bundled; run again", f.URL, f.Path)
	}
	hashTail(h, f)
	return nil
}

// hashTail feeds the part of a file's debug_id input after its content: type name and headers.
func hashTail(h io.Writer, f SourceFile) {
	_, _ = io.WriteString(h, typeNames[f.Type])
	type kv struct{ k, v string }
	var hs []kv
	for k, v := range f.Headers {
		if v == "" {
			continue
		}
		hs = append(hs, kv{internalHeaderKey(k), v})
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].k < hs[j].k })
	for _, e := range hs {
		_, _ = io.WriteString(h, e.k)
		_, _ = io.WriteString(h, e.v)
	}
}

// internalHeaderKey is the reference client's in-memory header name: it sets "Sourcemap" with a capital S
// (lower-cased only when written to the manifest) and "debug-id" as is, and hashes the in-memory names.
func internalHeaderKey(k string) string {
	if strings.EqualFold(k, HeaderSourceMap) {
		return "Sourcemap"
	}
	return strings.ToLower(k)
}

// fileEntryOf is the manifest entry of a bundled file: type, url, non-empty headers with lowercase names.
func fileEntryOf(f SourceFile) FileEntry {
	e := FileEntry{Type: f.Type, URL: f.URL}
	for k, v := range f.Headers {
		if v == "" {
			continue
		}
		if e.Headers == nil {
			e.Headers = map[string]string{}
		}
		e.Headers[strings.ToLower(k)] = v
	}
	return e
}

// debugIDFromSum turns a SHA-1 digest into a version-5-style UUID string (§10.5 step 3).
func debugIDFromSum(sum []byte) string {
	var b [16]byte
	copy(b[:], sum)
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// uniquePath returns p, or p with a counter when p is taken, exactly as the reference's bundle writer does
// (symbolic SourceBundleWriter::unique_path): the first duplicate gets ".1"; later ones trim trailing digits
// and append ".N", which leaves the dot of ".1" in place: "x", "x.1", "x..2", "x...3". Observed with
// sentry-cli 3.8.0 (testdata/reference-3.8.0-dups.bundle); docs/internals/upload-protocol.md §10.2's ".1, .2, …" is the intent, not the
// bytes.
func uniquePath(p string, used map[string]bool) string {
	for n := 1; used[p]; n++ {
		if n == 1 {
			p += ".1"
			continue
		}
		p = strings.TrimRightFunc(p, isNumeric) + fmt.Sprintf(".%d", n)
	}
	return p
}

// isNumeric is Rust's char::is_numeric for the characters a bundle path can hold: bundle paths are ASCII
// except for hosts, whose non-ASCII digits would be an odd corner indeed.
func isNumeric(r rune) bool { return '0' <= r && r <= '9' }

// encodeManifest encodes a manifest as the reference does: compact, keys in §10.4 order, no HTML escaping,
// no trailing newline, and U+2028/U+2029 raw (serde_json does not escape them; encoding/json does).
func encodeManifest(m Manifest) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("artifact bundle: %s: %w", ManifestName, err)
	}
	return unescapeLineSeparators(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// unescapeLineSeparators replaces the escapes \u2028 and \u2029 in JSON text with the raw characters,
// leaving an escaped backslash followed by "u2028" alone.
func unescapeLineSeparators(b []byte) []byte {
	if !bytes.Contains(b, []byte(`\u202`)) {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		if b[i+1] == 'u' && i+6 <= len(b) && (string(b[i+2:i+6]) == "2028" || string(b[i+2:i+6]) == "2029") {
			out = utf8.AppendRune(out, rune(0x2028+int(b[i+5]-'8')))
			i += 5
			continue
		}
		out = append(out, b[i], b[i+1]) // any other escape: copy both bytes so "\\" is never re-read
		i++
	}
	return out
}
