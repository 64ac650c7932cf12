package artifactbundle

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
)

// zipRecord is one central directory record with its local header, parsed at byte level.
type zipRecord struct {
	name                            string
	madeBy, need, flags, method     uint16
	time, date                      uint16
	crc                             uint32
	csize, usize                    uint32
	extraLen, commentLen            int
	disk, internal                  uint16
	external                        uint32
	offset                          int64
	localFlags, localExtra, localNm int
	data                            []byte // compressed bytes as stored
}

// parseZip parses a bundle's zip structures strictly (no comment, plain end record, local headers where
// the central directory says) and fails the test on anything malformed.
func parseZip(t *testing.T, b []byte) []zipRecord {
	t.Helper()
	le := binary.LittleEndian
	if len(b) < HeaderSize+endLen || string(b[:4]) != Magic || le.Uint32(b[4:]) != FormatVersion {
		t.Fatalf("no SYSB v2 header: % x", b[:min(len(b), 8)])
	}
	e := b[len(b)-endLen:]
	if le.Uint32(e) != endSig {
		t.Fatal("no end record in the last 22 bytes (comment or trailing data?)")
	}
	if le.Uint16(e[4:]) != 0 || le.Uint16(e[6:]) != 0 || le.Uint16(e[8:]) != le.Uint16(e[10:]) || le.Uint16(e[20:]) != 0 {
		t.Errorf("end record: % x", e)
	}
	n, cdSize, cdOff := int(le.Uint16(e[10:])), int(le.Uint32(e[12:])), int(le.Uint32(e[16:]))
	if cdOff+cdSize != len(b)-endLen {
		t.Fatalf("central directory at %d+%d does not end at the end record (%d): offsets not absolute", cdOff, cdSize, len(b)-endLen)
	}
	var recs []zipRecord
	next := int64(HeaderSize) // local headers follow each other without gaps from offset 8
	for p := cdOff; p < cdOff+cdSize; {
		h := b[p:]
		if le.Uint32(h) != centralSig {
			t.Fatalf("bad central record at %d", p)
		}
		r := zipRecord{
			madeBy: le.Uint16(h[4:]), need: le.Uint16(h[6:]), flags: le.Uint16(h[8:]), method: le.Uint16(h[10:]),
			time: le.Uint16(h[12:]), date: le.Uint16(h[14:]), crc: le.Uint32(h[16:]), csize: le.Uint32(h[20:]),
			usize: le.Uint32(h[24:]), extraLen: int(le.Uint16(h[30:])), commentLen: int(le.Uint16(h[32:])),
			disk: le.Uint16(h[34:]), internal: le.Uint16(h[36:]), external: le.Uint32(h[38:]), offset: int64(le.Uint32(h[42:])),
		}
		nameLen := int(le.Uint16(h[28:]))
		r.name = string(h[46 : 46+nameLen])
		p += centralLen + nameLen + r.extraLen + r.commentLen
		if r.offset != next {
			t.Errorf("%s: local header at %d, want %d", r.name, r.offset, next)
		}
		l := b[r.offset:]
		if le.Uint32(l) != localSig {
			t.Fatalf("%s: no local header at absolute offset %d", r.name, r.offset)
		}
		// The local header repeats the central record's fields: CRC and sizes are there, not in a data
		// descriptor.
		if !bytes.Equal(l[4:26], h[6:28]) {
			t.Errorf("%s: local header fields % x differ from central % x", r.name, l[4:26], h[6:28])
		}
		r.localFlags, r.localNm, r.localExtra = int(le.Uint16(l[6:])), int(le.Uint16(l[26:])), int(le.Uint16(l[28:]))
		if string(l[localLen:localLen+r.localNm]) != r.name {
			t.Errorf("%s: local name %q", r.name, l[localLen:localLen+r.localNm])
		}
		start := r.offset + localLen + int64(r.localNm+r.localExtra)
		r.data = b[start : start+int64(r.csize)]
		next = start + int64(r.csize)
		recs = append(recs, r)
	}
	if next != int64(cdOff) {
		t.Errorf("entries end at %d, central directory starts at %d", next, cdOff)
	}
	if len(recs) != n {
		t.Errorf("end record counts %d entries, central directory has %d", n, len(recs))
	}
	return recs
}

// checkLayout asserts the §10.2 facts on every record.
func checkLayout(t *testing.T, recs []zipRecord) {
	t.Helper()
	for _, r := range recs {
		if r.madeBy != 0x0314 || r.need != 20 || r.flags != 0 || r.localFlags != 0 || r.method != 8 ||
			r.time != 0 || r.date != 0x0021 || r.extraLen != 0 || r.localExtra != 0 || r.commentLen != 0 ||
			r.disk != 0 || r.internal != 0 || r.external != 0o100644<<16 {
			t.Errorf("%s: %+v", r.name, r)
		}
	}
	if len(recs) == 0 || recs[len(recs)-1].name != ManifestName {
		t.Errorf("manifest.json is not the last entry")
	}
}

// TestWriteTooManyEntries: more entries than a plain end record can count is refused before any byte is
// written (zip64 is not supported).
func TestWriteTooManyEntries(t *testing.T) {
	files := make([]SourceFile, 65535)
	for i := range files {
		files[i] = SourceFile{URL: fmt.Sprintf("~/%05d.js", i), Type: TypeMinifiedSource, Path: "unused"}
	}
	var w countWriter
	_, err := Write(context.Background(), &w, files, WriteOptions{})
	if !errors.Is(err, ErrZip64) || w.n != 0 {
		t.Errorf("err %v after %d bytes", err, w.n)
	}
}
