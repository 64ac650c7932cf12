package artifactbundle

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
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

// ErrZip64 is returned when a bundle would need zip64 records (an entry or offset of 4 GiB or more, or
// 65535 entries or more, manifest.json included). Sentry refuses files over 2 GiB anyway (maxFileSize), so mapback does not write
// zip64; split the upload instead.
var ErrZip64 = errors.New("artifact bundle too large: zip64 is not supported (split the upload)")

// Zip record constants (APPNOTE.TXT 4.3.7, 4.3.12, 4.3.16) with the values of docs/internals/upload-protocol.md §10.2.
const (
	localSig      = 0x04034b50
	centralSig    = 0x02014b50
	endSig        = 0x06054b50
	localLen      = 30
	centralLen    = 46
	endLen        = 22
	madeBy        = 0x0314 // Unix, spec 2.0
	needVersion   = 20
	methodStore   = 0
	methodDeflate = 8
	dosTime       = 0
	dosDate       = 0x0021 // 1980-01-01
	externalAttrs = 0o100644 << 16
	flagUTF8      = 1 << 11 // set by the reference's zip crate only for non-ASCII names
	maxUint32     = 1<<32 - 1
	// maxZip32Entries is the largest entry count of a plain end record (0xffff means "see zip64").
	maxZip32Entries = 1<<16 - 2
	// compressChunk is how much is deflated between two looks at the context, so cancelling a large map
	// takes effect within milliseconds.
	compressChunk = 1 << 20
)

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
	slots := make(chan struct{}, jobs)
	budget := opts.WindowBytes
	if budget <= 0 {
		budget = DefaultWindowBytes
	}
	bytesInFlight := semaphore.NewWeighted(budget)
	weights := make([]int64, len(sorted))
	results := make([]chan *packed, len(sorted))
	for i := range results {
		results[i] = make(chan *packed, 1)
	}
	pool := &sync.Pool{}
	g.Go(func() error {
		for i := range sorted {
			select {
			case slots <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			// A file larger than the budget takes all of it: it waits for the files before it to be
			// written, then goes alone. A file that cannot be stat'ed weighs nothing; its read fails.
			if fi, err := os.Stat(sorted[i].Path); err == nil {
				weights[i] = min(fi.Size(), budget)
			}
			if err := bytesInFlight.Acquire(gctx, weights[i]); err != nil {
				<-slots
				return err
			}
			g.Go(func() error {
				// The error travels with the result, so the one reported is the first in URL order
				// whatever the timing; the writer is at most jobs files behind, so it still fails fast.
				results[i] <- pack(gctx, sorted[i], level, opts.StoreBelow, pool)
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
			p.release(pool)
			bytesInFlight.Release(weights[i])
			<-slots
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
// URL and the path. The content itself is not kept: the writer reads it again, from the page cache,
// for the debug_id hash, and the CRC tells it that it read the same bytes.
func pack(ctx context.Context, f SourceFile, level int, storeBelow int64, pool *sync.Pool) *packed {
	p := &packed{method: methodDeflate}
	if err := ctx.Err(); err != nil {
		p.err = err
		return p
	}
	fh, err := os.Open(f.Path)
	if err != nil {
		p.err = fmt.Errorf("bundling %s: %w", f.URL, err) // *PathError names the path and the problem
		return p
	}
	defer func() { _ = fh.Close() }()
	buf, _ := pool.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	var out interface {
		io.Writer
		Close() error
	}
	if fi, err := fh.Stat(); err == nil && fi.Size() < storeBelow {
		p.method = methodStore
		buf.Grow(int(fi.Size()))
		out = nopCloser{buf}
	} else {
		if err == nil {
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
		p.release(pool)
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

func (p *packed) release(pool *sync.Pool) {
	if p.released {
		return
	}
	p.released = true
	if p.compBuf != nil {
		p.comp = nil
		pool.Put(p.compBuf)
	}
}

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
// The content is read again here, in URL order, rather than kept in memory since the worker read it;
// the page cache makes the second read cheap, and its CRC must match the worker's, so a file that
// changed in between fails the bundle instead of giving it a debug_id that does not match its bytes.
func hashFile(ctx context.Context, h io.Writer, f SourceFile, p *packed) error {
	_, _ = io.WriteString(h, f.URL) // hash.Hash writes never fail
	fh, err := os.Open(f.Path)
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

// zipWriter writes the zip records of §10.2 with absolute offsets (the SYSB header counts).
type zipWriter struct {
	w       io.Writer
	off     int64
	central []byte
	count   int
}

func (z *zipWriter) write(b []byte) error {
	n, err := z.w.Write(b)
	z.off += int64(n)
	if err != nil {
		return fmt.Errorf("writing artifact bundle: %w", err)
	}
	return nil
}

func (z *zipWriter) header() error {
	var h [HeaderSize]byte
	copy(h[:], Magic)
	binary.LittleEndian.PutUint32(h[4:], FormatVersion)
	return z.write(h[:])
}

// entry writes a local header (CRC and sizes in it, no data descriptor) and the compressed bytes, and
// remembers the central directory record.
func (z *zipWriter) entry(name string, method uint16, crc uint32, size int64, comp []byte) error {
	if size >= maxUint32 || int64(len(comp)) >= maxUint32 || z.off >= maxUint32 {
		return fmt.Errorf("%w: %d bytes (%d compressed) at offset %d", ErrZip64, size, len(comp), z.off)
	}
	if len(name) > 0xffff {
		return fmt.Errorf("zip entry name of %d bytes is too long", len(name))
	}
	var flags uint16
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			flags = flagUTF8
			break
		}
	}
	le := binary.LittleEndian
	var lh [localLen]byte
	le.PutUint32(lh[0:], localSig)
	le.PutUint16(lh[4:], needVersion)
	le.PutUint16(lh[6:], flags)
	le.PutUint16(lh[8:], method)
	le.PutUint16(lh[10:], dosTime)
	le.PutUint16(lh[12:], dosDate)
	le.PutUint32(lh[14:], crc)
	le.PutUint32(lh[18:], uint32(len(comp)))
	le.PutUint32(lh[22:], uint32(size))
	le.PutUint16(lh[26:], uint16(len(name)))
	// lh[28:30] extra length 0

	var ch [centralLen]byte
	le.PutUint32(ch[0:], centralSig)
	le.PutUint16(ch[4:], madeBy)
	copy(ch[6:30], lh[4:28]) // version needed … name length: same as the local header
	// ch[30:42]: extra, comment, disk number, internal attributes: 0
	le.PutUint32(ch[38:], externalAttrs)
	le.PutUint32(ch[42:], uint32(z.off))
	z.central = append(z.central, ch[:]...)
	z.central = append(z.central, name...)
	z.count++

	if err := z.write(lh[:]); err != nil {
		return err
	}
	if err := z.write([]byte(name)); err != nil {
		return err
	}
	return z.write(comp)
}

// finish writes the central directory and the end record (no comment).
func (z *zipWriter) finish() error {
	if z.count > maxZip32Entries || z.off+int64(len(z.central)) >= maxUint32 {
		return fmt.Errorf("%w: %d entries, central directory at offset %d", ErrZip64, z.count, z.off)
	}
	cdOff := z.off
	if err := z.write(z.central); err != nil {
		return err
	}
	le := binary.LittleEndian
	var e [endLen]byte
	le.PutUint32(e[0:], endSig)
	le.PutUint16(e[8:], uint16(z.count))
	le.PutUint16(e[10:], uint16(z.count))
	le.PutUint32(e[12:], uint32(len(z.central)))
	le.PutUint32(e[16:], uint32(cdOff))
	return z.write(e[:])
}

// BundlePath returns the path of a URL's file inside the bundle's "files/" directory, as the reference
// client computes it (sentry-cli url_to_bundle_path, docs/internals/upload-protocol.md §10.3): the URL is parsed like a WHATWG URL
// against the base "http://~" ("~/x" is relative), then
//
//	host "~"       → "_/_/" + path
//	a host         → scheme + "/" + host + "/" + path  (lower-cased host, no userinfo, no port)
//	no host        → scheme + "/_/" + path
//
// where path has its leading "/" removed, dot segments resolved, characters of the WHATWG path
// percent-encode set escaped, the query dropped and "#" + fragment kept; hosts of special schemes are
// percent-decoded, lower-cased, punycoded when not ASCII, and IP addresses written canonically. What it
// does not do that a full WHATWG parser does: the UTS #46 mapping beyond lower-casing (NFC, deviations),
// file: drive-letter quirks, and failing: where the reference refuses a URL, BundlePath still answers.
func BundlePath(rawURL string) string {
	u := parseURL(rawURL)
	p := u.path
	if u.hasFragment {
		p += "#" + u.fragment
	}
	p = strings.TrimPrefix(p, "/")
	switch {
	case u.host == "~":
		return "_/_/" + p
	case u.host != "":
		return u.scheme + "/" + u.host + "/" + p
	default:
		return u.scheme + "/_/" + p
	}
}

type parsedURL struct {
	scheme, host, path, fragment string
	hasFragment                  bool
}

// specialSchemes are the WHATWG special schemes (their paths treat "\" as "/").
var specialSchemes = map[string]bool{"http": true, "https": true, "ws": true, "wss": true, "ftp": true, "file": true}

// parseURL parses s against the base http://~/ the way the reference's url crate does for the shapes an
// artifact URL takes.
func parseURL(s string) parsedURL {
	s = strings.TrimPrefix(s, "~/")
	// WHATWG: trim C0 controls and spaces at both ends, drop every tab and newline.
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)

	u := parsedURL{scheme: "http", host: "~"}
	rest, frag, hasFrag := strings.Cut(s, "#")
	if hasFrag {
		u.hasFragment, u.fragment = true, percentEncode(frag, inFragmentSet)
	}
	rest, _, _ = strings.Cut(rest, "?") // the query is dropped

	special := true
	if scheme, after, ok := cutScheme(rest); ok {
		u.scheme = scheme
		special = specialSchemes[scheme]
		switch {
		case scheme == "http" && !startsWithSlash(after, true):
			rest = after // "http:x" is relative to the http base
		case scheme == "file":
			// file: has an authority only after exactly two slashes; "file:///C:/x" has an empty host.
			u.host, rest = "", after
			if len(after) >= 2 && startsWithSlash(after, true) && startsWithSlash(after[1:], true) {
				u.host, rest = splitAuthority(after[2:], true)
				if u.host == "localhost" {
					u.host = "" // WHATWG: file://localhost/x is file:///x
				}
			}
		case special || strings.HasPrefix(after, "//"):
			if special {
				rest = strings.TrimLeft(after, `/\`) // special schemes ignore any number of slashes here
			} else {
				rest = after[2:]
			}
			u.host, rest = splitAuthority(rest, special)
		case strings.HasPrefix(after, "/"):
			u.host, rest = "", after
		default:
			// An opaque path ("custom:foo"): only controls and non-ASCII are escaped.
			u.host, u.path = "", percentEncode(after, inControlSet)
			return u
		}
	} else if startsWithSlash(rest, true) && len(rest) > 1 && (rest[1] == '/' || rest[1] == '\\') {
		u.host, rest = splitAuthority(rest[2:], true) // "//host/x": scheme-relative
	}
	u.path = normalizePath(rest, special)
	return u
}

// cutScheme splits "scheme:rest" when s starts with a valid scheme (ALPHA *( ALPHA / DIGIT / "+" / "-" /
// "." )), lower-casing it.
func cutScheme(s string) (scheme, rest string, ok bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return strings.ToLower(s[:i]), s[i+1:], true
		default:
			return "", "", false
		}
	}
	return "", "", false
}

func startsWithSlash(s string, special bool) bool {
	return strings.HasPrefix(s, "/") || special && strings.HasPrefix(s, `\`)
}

// splitAuthority takes the authority off the front of s and returns its host (no userinfo, no port,
// ASCII lower-cased for special schemes) and the remaining path.
func splitAuthority(s string, special bool) (host, path string) {
	end := len(s)
	for i := 0; i < len(s); i++ {
		if s[i] == '/' || special && s[i] == '\\' {
			end = i
			break
		}
	}
	host, path = s[:end], s[end:]
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	if special {
		host = specialHost(host)
	} else {
		host = percentEncode(host, inControlSet) // an opaque host keeps its case
	}
	return host, path
}

// specialHost is the WHATWG host parser for special schemes, minus its failure cases (where the reference
// refuses the URL, the host is kept as written): IPv6 and IPv4 addresses in canonical form, domains
// percent-decoded, lower-cased and, when not ASCII, punycoded label by label.
func specialHost(h string) string {
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		if a, err := netip.ParseAddr(h[1 : len(h)-1]); err == nil && a.Is6() && a.Zone() == "" {
			return "[" + ipv6String(a.As16()) + "]"
		}
		return h
	}
	if d, err := url.PathUnescape(h); err == nil {
		h = d
	}
	if ip, ok := parseIPv4(h); ok {
		return ip
	}
	labels := strings.Split(h, ".")
	for i, l := range labels {
		if isASCII(l) {
			labels[i] = strings.ToLower(l)
		} else {
			labels[i] = "xn--" + punycode(strings.ToLower(l))
		}
	}
	return strings.Join(labels, ".")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// parseIPv4 is the WHATWG IPv4 parser: a host whose last label is a number is an address of one to four
// decimal, octal (leading 0) or hex (0x) parts, the last filling the remaining bytes ("0x7f.1" is
// 127.0.0.1).
func parseIPv4(h string) (string, bool) {
	parts := strings.Split(h, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	last := parts[len(parts)-1]
	if _, ok := ipv4Number(last); !ok || len(parts) > 4 {
		return "", false
	}
	var addr uint64
	for i, p := range parts {
		n, ok := ipv4Number(p)
		if !ok {
			return "", false
		}
		if i < len(parts)-1 {
			if n > 255 {
				return "", false
			}
			addr |= n << (8 * (3 - i))
		} else {
			if n >= 1<<(8*(5-len(parts))) {
				return "", false
			}
			addr |= n
		}
	}
	return fmt.Sprintf("%d.%d.%d.%d", addr>>24, addr>>16&0xff, addr>>8&0xff, addr&0xff), true
}

func ipv4Number(p string) (uint64, bool) {
	base := 10
	switch {
	case len(p) >= 2 && (p[:2] == "0x" || p[:2] == "0X"):
		p, base = p[2:], 16
		if p == "" {
			return 0, true
		}
	case len(p) > 1 && p[0] == '0':
		p, base = p[1:], 8
	}
	if p == "" {
		return 0, false
	}
	n, err := strconv.ParseUint(p, base, 64)
	if err != nil || n > 1<<32 {
		return 0, false
	}
	return n, true
}

// ipv6String serialises an address the WHATWG way: lower-case hex pieces, the first longest run of two or
// more zero pieces as "::", no dotted IPv4 tail ("::ffff:102:304").
func ipv6String(b [16]byte) string {
	var pieces [8]uint16
	for i := range pieces {
		pieces[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	start, length := -1, 1
	for i := 0; i < 8; {
		j := i
		for j < 8 && pieces[j] == 0 {
			j++
		}
		if j-i > length {
			start, length = i, j-i
		}
		i = max(j, i+1)
	}
	var sb strings.Builder
	for i := 0; i < 8; i++ {
		if i == start {
			sb.WriteString("::")
			i += length - 1
			continue
		}
		if i > 0 && i != start+length {
			sb.WriteByte(':')
		}
		sb.WriteString(strconv.FormatUint(uint64(pieces[i]), 16))
	}
	return sb.String()
}

// punycode encodes a label (RFC 3492), without the "xn--" prefix.
func punycode(s string) string {
	const base, tmin, tmax, skew, damp = 36, 1, 26, 38, 700
	runes := []rune(s)
	var out []byte
	for _, r := range runes {
		if r < utf8.RuneSelf {
			out = append(out, byte(r))
		}
	}
	b := len(out)
	if b > 0 {
		out = append(out, '-')
	}
	digit := func(d int) byte {
		if d < 26 {
			return byte('a' + d)
		}
		return byte('0' + d - 26)
	}
	adapt := func(delta, points int, first bool) int {
		if first {
			delta /= damp
		} else {
			delta /= 2
		}
		delta += delta / points
		k := 0
		for delta > (base-tmin)*tmax/2 {
			delta /= base - tmin
			k += base
		}
		return k + (base-tmin+1)*delta/(delta+skew)
	}
	n, delta, bias := 128, 0, 72
	for h := b; h < len(runes); {
		m := rune(utf8.MaxRune)
		for _, r := range runes {
			if int(r) >= n && r < m {
				m = r
			}
		}
		delta += (int(m) - n) * (h + 1)
		n = int(m)
		for _, r := range runes {
			if int(r) < n {
				delta++
			}
			if int(r) == n {
				q := delta
				for k := base; ; k += base {
					t := min(max(k-bias, tmin), tmax)
					if q < t {
						break
					}
					out = append(out, digit(t+(q-t)%(base-t)))
					q = (q - t) / (base - t)
				}
				out = append(out, digit(q))
				bias = adapt(delta, h+1, h == b)
				delta = 0
				h++
			}
		}
		delta++
		n++
	}
	return string(out)
}

// normalizePath resolves "." and ".." segments (also written %2e) and percent-encodes each segment; the
// result starts with "/".
func normalizePath(p string, special bool) string {
	if special {
		p = strings.ReplaceAll(p, `\`, "/")
	}
	p = strings.TrimPrefix(p, "/")
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs))
	for i, seg := range segs {
		last := i == len(segs)-1
		switch strings.ToLower(seg) {
		case "..", ".%2e", "%2e.", "%2e%2e":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		case ".", "%2e":
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, percentEncode(seg, inPathSet))
		}
	}
	return "/" + strings.Join(out, "/")
}

// The WHATWG percent-encode sets (C0 controls and everything above "~" are in all of them).
func inControlSet(c byte) bool  { return c < 0x20 || c > 0x7e }
func inFragmentSet(c byte) bool { return inControlSet(c) || strings.IndexByte(" \"<>`", c) >= 0 }
func inPathSet(c byte) bool     { return inControlSet(c) || strings.IndexByte(" \"#<>?`{}", c) >= 0 }

// percentEncode escapes the bytes of s that are in set as %XX (upper-case hex); an existing "%" is kept.
func percentEncode(s string, in func(byte) bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if in(c) {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
