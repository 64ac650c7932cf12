package sentry

import (
	"bytes"
	stdgzip "compress/gzip"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// TestStoredGzip: the zero-copy framing is a valid gzip member with the §5 header, decodes to the
// chunk, and is no larger than what the store-level compressor it replaces writes (that one ends
// with an empty fixed-Huffman block, so the bytes differ while both are valid).
func TestStoredGzip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 100, maxStoredBlock - 1, maxStoredBlock, maxStoredBlock + 1, 3*maxStoredBlock + 17, 1 << 20} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.UintN(256))
		}
		got := bytes.Join(storedGzip(data), nil)
		want, err := GzipMember(data, gzip.NoCompression)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > len(want)+3 { // +3: an empty input costs one empty stored block instead of a fixed one
			t.Errorf("%d bytes: %d bytes framed, the store-level compressor writes %d", n, len(got), len(want))
		}
		if !bytes.HasPrefix(got, gzipHeader) {
			t.Errorf("%d bytes: header % x", n, got[:10])
		}
		zr, err := stdgzip.NewReader(bytes.NewReader(got))
		if err != nil {
			t.Fatal(err)
		}
		zr.Multistream(false)
		out, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(out, data) {
			t.Errorf("%d bytes: gunzip gave %d bytes, err %v", n, len(out), err)
		}
	}
}
