package artifactbundle

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

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
)

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
