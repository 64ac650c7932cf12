package posthog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Symbol data is what PostHog stores per chunk: one object holding the
// injected bundle and its map (docs/internals/posthog.md):
//
//	"posthog_error_tracking"   22 bytes
//	u32 version = 2            little-endian, as every integer here
//	u32 type    = 2            a JavaScript source and its map
//	u8  compression = 1        zstd
//	zstd( u64 len(src) | src | u64 len(map) | map )
const (
	symbolMagic       = "posthog_error_tracking"
	symbolVersion     = 2
	symbolVersionRaw  = 1 // legacy: uncompressed, no compression byte; still read
	typeSourceAndMap  = 2
	compressionNone   = 0
	compressionZstd   = 1
	symbolHeaderSize  = len(symbolMagic) + 4 + 4 + 1
	symbolHeaderSize1 = len(symbolMagic) + 4 + 4
)

// MaxSymbolData is the largest object PostHog accepts; larger ones are not
// uploaded.
const MaxSymbolData = 100 << 20

var encoders = sync.Pool{New: func() any {
	// Level 3 is zstd's default, what PostHog's CLI uses.
	e, _ := zstd.NewWriter(nil, encoderOptions(1)...)
	return e
}}

// encoderOptions are zstd's level 3, as PostHog's CLI uses, without the
// frame checksum, which its encoder does not write either (and which costs
// a pass over the data).
func encoderOptions(concurrency int) []zstd.EOption {
	return []zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(concurrency), zstd.WithEncoderCRC(false)}
}

// parallelAbove is the payload size from which the compression is split
// over every core (zstd's block-parallel writer): one large map would
// otherwise take one core while the others wait.
const parallelAbove = 4 << 20

// EncodeSymbolData builds the object for a bundle (as injected) and its map.
func EncodeSymbolData(src, sourceMap []byte) []byte {
	var n [8]byte
	size := 16 + len(src) + len(sourceMap)
	out := make([]byte, 0, symbolHeaderSize+size/3)
	out = append(out, symbolMagic...)
	out = binary.LittleEndian.AppendUint32(out, symbolVersion)
	out = binary.LittleEndian.AppendUint32(out, typeSourceAndMap)
	out = append(out, compressionZstd)
	if size < parallelAbove || runtime.GOMAXPROCS(0) == 1 {
		raw := make([]byte, 0, size)
		raw = binary.LittleEndian.AppendUint64(raw, uint64(len(src)))
		raw = append(raw, src...)
		raw = binary.LittleEndian.AppendUint64(raw, uint64(len(sourceMap)))
		raw = append(raw, sourceMap...)
		enc := encoders.Get().(*zstd.Encoder)
		out = enc.EncodeAll(raw, out)
		encoders.Put(enc)
		return out
	}
	buf := bytes.NewBuffer(out)
	// The frame header pledges the content size, as PostHog's CLI does.
	w, _ := zstd.NewWriter(buf, encoderOptions(runtime.GOMAXPROCS(0))...)
	w.ResetContentSize(buf, int64(size))
	binary.LittleEndian.PutUint64(n[:], uint64(len(src)))
	_, _ = w.Write(n[:]) // writes to a bytes.Buffer do not fail
	_, _ = w.Write(src)
	binary.LittleEndian.PutUint64(n[:], uint64(len(sourceMap)))
	_, _ = w.Write(n[:])
	_, _ = w.Write(sourceMap)
	_ = w.Close()
	return buf.Bytes()
}

// ErrSymbolData marks bytes that are not a source-and-map symbol data object.
var ErrSymbolData = errors.New("not PostHog symbol data")

// DecodeSymbolData reads an object back, versions 1 and 2, refusing other
// types and trailing bytes as PostHog's reader does. limit bounds the
// decompressed size.
func DecodeSymbolData(data []byte, limit int64) (src, sourceMap []byte, err error) {
	if len(data) < symbolHeaderSize1 || string(data[:len(symbolMagic)]) != symbolMagic {
		return nil, nil, fmt.Errorf("%w: no magic", ErrSymbolData)
	}
	p := data[len(symbolMagic):]
	version, typ := binary.LittleEndian.Uint32(p), binary.LittleEndian.Uint32(p[4:])
	p = p[8:]
	if typ != typeSourceAndMap {
		return nil, nil, fmt.Errorf("%w: type %d, not a JavaScript source and map", ErrSymbolData, typ)
	}
	var body []byte
	switch version {
	case symbolVersionRaw:
		body = p
	case symbolVersion:
		if len(p) < 1 {
			return nil, nil, fmt.Errorf("%w: no compression byte", ErrSymbolData)
		}
		switch p[0] {
		case compressionNone:
			body = p[1:]
		case compressionZstd:
			dec, err := zstd.NewReader(bytes.NewReader(p[1:]), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(limit)))
			if err != nil {
				return nil, nil, err
			}
			defer dec.Close()
			body, err = io.ReadAll(io.LimitReader(dec, limit+1))
			if err != nil {
				return nil, nil, fmt.Errorf("%w: %v", ErrSymbolData, err)
			}
			if int64(len(body)) > limit {
				return nil, nil, fmt.Errorf("%w: more than %d bytes decompressed", ErrSymbolData, limit)
			}
		default:
			return nil, nil, fmt.Errorf("%w: compression %d", ErrSymbolData, p[0])
		}
	default:
		return nil, nil, fmt.Errorf("%w: version %d", ErrSymbolData, version)
	}
	take := func() ([]byte, error) {
		if len(body) < 8 {
			return nil, fmt.Errorf("%w: truncated", ErrSymbolData)
		}
		n := binary.LittleEndian.Uint64(body)
		body = body[8:]
		if n > uint64(len(body)) {
			return nil, fmt.Errorf("%w: truncated", ErrSymbolData)
		}
		v := body[:n]
		body = body[n:]
		return v, nil
	}
	if src, err = take(); err != nil {
		return nil, nil, err
	}
	if sourceMap, err = take(); err != nil {
		return nil, nil, err
	}
	if len(body) != 0 {
		return nil, nil, fmt.Errorf("%w: %d trailing bytes", ErrSymbolData, len(body))
	}
	return src, sourceMap, nil
}
