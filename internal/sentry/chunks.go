package sentry

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/http"
	"runtime"
	"sync"
	"time"

	// klauspost/compress rather than compress/gzip: 10× faster at level 1
	// on already-deflated data, plus stateless and Huffman-only modes, so a
	// level chosen through UploadOptions.Level costs little; the default,
	// store, is about as fast in both. Measurements at DefaultGzipLevel.
	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"
)

// Chunk is one slice of an artifact bundle. Its bytes travel as Data, or already compressed as
// Gzipped when the caller compressed them ahead (GzipMember) and the server takes gzip.
type Chunk struct {
	ID   string // SHA-1 of the chunk's bytes, 40 lowercase hex
	Data []byte // the chunk's bytes; may be nil when Gzipped is set
	// Gzipped is the chunk as one gzip member (GzipMember), sent as is when UploadOptions.Gzip.
	Gzipped []byte
	// Len is the chunk's length when Data is nil.
	Len int64
}

// Size is the chunk's uncompressed length.
func (c Chunk) Size() int64 {
	if c.Data != nil {
		return int64(len(c.Data))
	}
	return c.Len
}

// UploadOptions shape one chunk POST.
type UploadOptions struct {
	// Gzip sends each chunk as its own gzip member in a file_gzip part
	// (ChunkOptions.Gzip); otherwise raw file parts.
	Gzip bool
	// Level is a klauspost/compress/gzip level: gzip.StatelessCompression
	// (-3), gzip.HuffmanOnly (-2), gzip.DefaultCompression (-1),
	// gzip.NoCompression (0, the default: see DefaultGzipLevel), 1–9.
	Level int
	// OnProgress, when set, gets increments of the chunks' uncompressed bytes
	// as the request body goes out, in proportion to the body sent, and the
	// rest once the server has accepted the request: the increments add up
	// to the chunks' size exactly. A retried request reports nothing until it
	// has sent more than the attempt before, so the total never runs ahead.
	OnProgress func(n int64)
}

// DefaultGzipLevel is the level used when UploadOptions.Level is 0: store
// (gzip framing around stored deflate blocks), which is also what the
// reference client ends up sending (65536 → 65574 B, §5).
//
// The chunks are slices of a zip whose entries are already deflated, so no
// level saves more than a fraction of a percent, and every level costs CPU
// time before the first byte is sent. BenchmarkGzipLevels (one 8 MiB chunk
// of deflated synthetic JavaScript, -cpu 1, Go 1.26, klauspost/compress
// 1.20.3, AMD EPYC shared with other jobs: best of 10 runs; medians were
// 1.2–3× lower, in the same order); size is output minus input:
//
//	level                   MB/s   size
//	0 NoCompression (store) 6300   +83 B/MiB (+0.008 %)
//	1 BestSpeed             4600   +83 B/MiB (detects incompressible input and stores it)
//	-1 DefaultCompression   4200   +83 B/MiB
//	-3 StatelessCompression 1700   +217 B/MiB
//	-2 HuffmanOnly           840   +162 B/MiB
//	9 BestCompression        140   +162 B/MiB
//	compress/gzip store     8400   +84 B/MiB
//	compress/gzip level 1    410   +84 B/MiB
//
// On a real zip (64 MiB of monaco-editor 0.52.2 .js and .map files, deflated
// by archive/zip) the sizes were: store +0.01 %, BestSpeed +0.01 %,
// DefaultCompression −0.04 %, StatelessCompression −0.05 %, BestCompression
// −0.27 %. The best cheap saving, 0.05 % of a 32 MiB request, is 1.3 ms of
// sending at 100 Mbit/s against ~15 ms more CPU than storing: store wins on
// any link faster than about 10 Mbit/s. (compress/gzip stores faster still,
// but is 10× slower than klauspost at level 1, which Level may select.)
const DefaultGzipLevel = gzip.NoCompression

// UploadChunks sends chunks in one multipart POST to url (the capability
// URL), one part per chunk in the order given (docs/internals/upload-protocol.md §5). The
// body is built, and compressed, before the first attempt so that a retry
// resends the same bytes. An empty list sends nothing.
func (c *Client) UploadChunks(ctx context.Context, url string, chunks []Chunk, opts UploadOptions) error {
	if len(chunks) == 0 {
		return nil
	}
	u, err := c.resolveURL(url)
	if err != nil {
		return err
	}
	body, contentType, err := buildMultipart(ctx, chunks, opts)
	if err != nil {
		return err
	}
	req := request{method: http.MethodPost, url: u, body: body, contentType: contentType}
	var p *progressMeter
	if opts.OnProgress != nil {
		var data, framed int64
		for _, ch := range chunks {
			data += ch.Size()
		}
		for _, seg := range body {
			framed += int64(len(seg))
		}
		p = &progressMeter{report: opts.OnProgress, total: data, body: framed}
		req.onSent = p.sent
	}
	if err := c.do(ctx, req); err != nil {
		return err
	}
	if p != nil {
		p.done()
	}
	return nil
}

// progressMeter turns body bytes sent (per attempt) into chunk bytes reported, never reporting a
// byte twice across retries.
type progressMeter struct {
	mu       sync.Mutex
	report   func(int64)
	total    int64 // chunk bytes: what the caller's progress counts
	body     int64 // framed body bytes: what the transport reads
	reported int64
}

// sent is called with the body bytes this attempt has sent so far.
func (p *progressMeter) sent(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v := p.total
	if p.body > 0 {
		v = min(p.total, n*p.total/p.body)
	}
	if v > p.reported {
		p.report(v - p.reported)
		p.reported = v
	}
}

// done reports whatever the body counts left out, once the server has accepted the request.
func (p *progressMeter) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.total > p.reported {
		p.report(p.total - p.reported)
		p.reported = p.total
	}
}

// buildMultipart frames chunks as a multipart/form-data body. It returns
// the body as segments (part headers, chunk bytes, boundaries) so raw chunks
// are sent without being copied.
func buildMultipart(ctx context.Context, chunks []Chunk, opts UploadOptions) (body [][]byte, contentType string, err error) {
	for i, ch := range chunks {
		if !isHex(ch.ID, 40, false) {
			return nil, "", fmt.Errorf("chunk %d: id %q is not a lowercase SHA-1 hex digest", i, sanitise(ch.ID, 60))
		}
		if ch.Data == nil && (!opts.Gzip || ch.Gzipped == nil) && ch.Len > 0 {
			return nil, "", fmt.Errorf("chunk %d (%s): its bytes were not kept for this server", i, ch.ID)
		}
	}
	level := opts.Level
	if level < gzip.StatelessCompression || level > gzip.BestCompression {
		return nil, "", fmt.Errorf("gzip level %d is not in %d–%d", level, gzip.StatelessCompression, gzip.BestCompression)
	}

	data := make([][][]byte, len(chunks)) // each part's body, as segments
	name := "file"
	switch {
	case opts.Gzip && level == gzip.NoCompression:
		// Store needs no compressor: the gzip framing is written around slices of the chunk, so a
		// request holds no copy of its chunks (8 × 32 MiB requests in flight would otherwise double
		// an upload's memory).
		name = "file_gzip"
		for i, ch := range chunks {
			if ch.Gzipped != nil {
				data[i] = [][]byte{ch.Gzipped}
			} else {
				data[i] = storedGzip(ch.Data)
			}
		}
	case opts.Gzip:
		name = "file_gzip"
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(runtime.GOMAXPROCS(0))
		for i, ch := range chunks {
			if ch.Gzipped != nil {
				data[i] = [][]byte{ch.Gzipped}
				continue
			}
			g.Go(func() error {
				if err := gctx.Err(); err != nil {
					return err
				}
				member, err := GzipMember(ch.Data, level)
				data[i] = [][]byte{member}
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, "", fmt.Errorf("compressing chunks: %w", err)
		}
	default:
		for i, ch := range chunks {
			data[i] = [][]byte{ch.Data}
		}
	}

	boundary := newBoundary()
	body = make([][]byte, 0, 2*len(chunks)+1)
	for i, ch := range chunks {
		var h bytes.Buffer
		if i > 0 {
			h.WriteString("\r\n")
		}
		fmt.Fprintf(&h, "--%s\r\nContent-Disposition: form-data; name=%q; filename=%q\r\nContent-Type: application/octet-stream\r\n\r\n",
			boundary, name, ch.ID)
		body = append(body, h.Bytes())
		body = append(body, data[i]...)
	}
	body = append(body, []byte("\r\n--"+boundary+"--\r\n"))
	return body, "multipart/form-data; boundary=" + boundary, nil
}

// newBoundary makes a boundary shaped like the reference client's: 24 dashes
// and 22 random alphanumerics. The random part is what keeps it out of the
// chunk bytes.
func newBoundary() string {
	const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := []byte("------------------------0123456789012345678901")
	r := make([]byte, 22)
	_, _ = rand.Read(r) // crypto/rand.Read never fails
	for i, x := range r {
		b[24+i] = alnum[int(x)%len(alnum)]
	}
	return string(b)
}

// gzipHeader is the member header the reference client sends (§5): CM 8, no flags, MTIME 0, XFL 0,
// OS 255.
var gzipHeader = []byte{0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff}

// maxStoredBlock is the largest stored deflate block (RFC 1951 §3.2.4: LEN is 16 bits).
const maxStoredBlock = 65535

// storedGzip frames data as one gzip member of stored deflate blocks, as segments that point into
// data: header, then per block its 5-byte header (BFINAL/BTYPE 00, LEN, NLEN) and the slice, then
// the CRC-32 and size trailer (RFC 1952). Byte for byte what a store-level compressor writes, without
// copying data.
func storedGzip(data []byte) [][]byte {
	n := (len(data) + maxStoredBlock - 1) / maxStoredBlock
	if n == 0 {
		n = 1 // an empty chunk is one empty final block
	}
	headers := make([]byte, 5*n)
	segs := make([][]byte, 0, 2*n+2)
	segs = append(segs, gzipHeader)
	for i := 0; i < n; i++ {
		block := data[min(i*maxStoredBlock, len(data)):min((i+1)*maxStoredBlock, len(data))]
		h := headers[5*i : 5*i+5]
		if i == n-1 {
			h[0] = 1 // BFINAL; BTYPE 00 (stored) and the padding to the byte boundary are zero
		}
		binary.LittleEndian.PutUint16(h[1:], uint16(len(block)))
		binary.LittleEndian.PutUint16(h[3:], ^uint16(len(block)))
		segs = append(segs, h)
		if len(block) > 0 {
			segs = append(segs, block)
		}
	}
	trailer := make([]byte, 8)
	binary.LittleEndian.PutUint32(trailer, crc32.ChecksumIEEE(data))
	binary.LittleEndian.PutUint32(trailer[4:], uint32(len(data)))
	return append(segs, trailer)
}

// gzipWriters pools writers per level: a writer at the higher levels
// allocates several hundred KiB of state.
var gzipWriters [gzip.BestCompression - gzip.StatelessCompression + 1]sync.Pool

// GzipMember compresses data as one complete gzip member whose header is
// exactly 1f 8b 08 00 00000000 00 ff (§5): no name, no mtime, OS unknown.
// level is a klauspost/compress/gzip level, as in UploadOptions.
func GzipMember(data []byte, level int) ([]byte, error) {
	m, err := NewMemberWriter(level, len(data))
	if err != nil {
		return nil, err
	}
	if _, err := m.Write(data); err != nil {
		return nil, err
	}
	return m.Close()
}

// MemberWriter builds a gzip member as GzipMember does, from data given in pieces: a chunk can be
// compressed as it is produced, without holding its bytes.
type MemberWriter struct {
	zw    *gzip.Writer
	buf   *bytes.Buffer
	level int
}

// memberBufs recycles MemberWriter's output buffers.
var memberBufs sync.Pool

// NewMemberWriter starts a member at level; sizeHint is the expected input size.
func NewMemberWriter(level, sizeHint int) (*MemberWriter, error) {
	if level < gzip.StatelessCompression || level > gzip.BestCompression {
		return nil, fmt.Errorf("gzip level %d is not in %d–%d", level, gzip.StatelessCompression, gzip.BestCompression)
	}
	// Compressed into a recycled buffer sized from sizeHint (GzipMember passes the worst case: a
	// deflated input does not shrink, so room for stored-block framing), then copied out at its size
	// by Close: a member kept until its chunk is sent must not pin a chunk-sized buffer (on the scale
	// bench build, 13 × 8 MiB for 7 MB of output).
	buf, _ := memberBufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	buf.Grow(sizeHint + sizeHint/1024 + 64)
	zw, _ := gzipWriters[level-gzip.StatelessCompression].Get().(*gzip.Writer)
	if zw == nil {
		var err error
		if zw, err = gzip.NewWriterLevel(buf, level); err != nil {
			memberBufs.Put(buf)
			return nil, err
		}
	} else {
		zw.Reset(buf)
	}
	// The zero ModTime would be written as uint32 of year 1's Unix time
	// (88 6e 09 00 … in the header): klauspost, unlike compress/gzip, does
	// not treat it as "no time".
	zw.ModTime = time.Unix(0, 0)
	return &MemberWriter{zw: zw, buf: buf, level: level}, nil
}

func (m *MemberWriter) Write(p []byte) (int, error) { return m.zw.Write(p) }

// Close ends the member and returns it; the writer must not be used after.
func (m *MemberWriter) Close() ([]byte, error) {
	defer memberBufs.Put(m.buf)
	if err := m.zw.Close(); err != nil {
		return nil, err
	}
	gzipWriters[m.level-gzip.StatelessCompression].Put(m.zw)
	out := bytes.Clone(m.buf.Bytes())
	// The writer records levels 1 and 9 in the XFL byte (4 and 2); the
	// reference always sends 0. XFL is informational and not covered by a
	// checksum, so clearing it keeps the member valid.
	out[8] = 0
	return out, nil
}
