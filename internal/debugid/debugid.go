// Package debugid derives and recognises the debug IDs that tie a JavaScript
// bundle to its source map, exactly as the reference client (sentry-cli 3.8.0)
// does, so the same input gets the same ID whichever tool injected it.
package debugid

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/mapback/mapback/internal/bytesearch"
)

// ID is a debug ID: a UUID (version 5 bits when derived here).
type ID [16]byte

// String formats the ID as lowercase 8-4-4-4-12 hex, the form every consumer
// (SDKs, servers, the //# debugId= comment) uses.
func (id ID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], id[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], id[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], id[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], id[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], id[10:16])
	return string(b[:])
}

// IsZero reports whether id is the zero value.
func (id ID) IsZero() bool { return id == ID{} }

// Parse accepts the hyphenated and the plain 32-hex forms in any case, as the
// reference client does for IDs already present in a map.
func Parse(s string) (ID, error) {
	var id ID
	h := s
	if len(s) == 36 {
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return id, fmt.Errorf("invalid debug ID %q: expected 8-4-4-4-12 hex", s)
		}
		h = s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	}
	if len(h) != 32 {
		return id, fmt.Errorf("invalid debug ID %q: expected 32 hex digits", s)
	}
	if _, err := hex.Decode(id[:], []byte(h)); err != nil {
		return id, fmt.Errorf("invalid debug ID %q: not hex", s)
	}
	return id, nil
}

// FromPair derives the ID of a bundle that has a map without an ID:
// SHA-1("js" ‖ u64le(len js) ‖ js ‖ "sourcemap" ‖ u64le(len map) ‖ map),
// first 16 bytes, with UUID version 5 and RFC 4122 variant bits. js and map
// are the bytes as read, before any edit (an inline map: its decoded bytes).
func FromPair(js, sourceMap []byte) ID {
	h := sha1.New()
	var n [8]byte
	h.Write([]byte("js"))
	binary.LittleEndian.PutUint64(n[:], uint64(len(js)))
	h.Write(n[:])
	h.Write(js)
	h.Write([]byte("sourcemap"))
	binary.LittleEndian.PutUint64(n[:], uint64(len(sourceMap)))
	h.Write(n[:])
	h.Write(sourceMap)
	return fromDigest(h.Sum(nil))
}

// FromJS derives the ID of a bundle without a map: SHA-1(js), first 16
// bytes, version 5 and variant bits.
func FromJS(js []byte) ID {
	d := sha1.Sum(js)
	return fromDigest(d[:])
}

func fromDigest(d []byte) ID {
	var id ID
	copy(id[:], d[:16])
	id[6] = (id[6] & 0x0f) | 0x50
	id[8] = (id[8] & 0x3f) | 0x80
	return id
}

// snippetHead and snippetTail surround the ID in the runtime snippet. The
// snippet is a wire constant: Sentry's SDKs read the _sentryDebugIds global it
// fills, so it must stay byte-exact.
const (
	snippetHead = `!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="`
	snippetTail = `")}catch(e){}}();`
)

// Snippet returns the one-line runtime snippet for id (306 bytes, no line
// break).
func Snippet(id ID) string { return snippetHead + id.String() + snippetTail }

// CommentPrefix starts the comment that names a bundle's debug ID.
const CommentPrefix = "//# debugId="

// Comment returns "//# debugId=<id>".
func Comment(id ID) string { return CommentPrefix + id.String() }

// FindComment returns the ID of the last "//# debugId=<uuid>" comment in js.
// Only the "//# " form counts ("//@ debugId=" does not), and the value must be
// a valid UUID, as for the reference client.
func FindComment(js []byte) (ID, bool) {
	const key = "debugId="
	end := len(js)
	for {
		i := bytesearch.LastIndex(js[:end], []byte(key))
		if i < 0 {
			return ID{}, false
		}
		end = i
		if i < 4 || string(js[i-4:i]) != "//# " {
			continue
		}
		v := js[i+len(key):]
		if j := bytes.IndexAny(v, " \t\r\n"); j >= 0 {
			v = v[:j]
		}
		if id, err := Parse(string(v)); err == nil {
			return id, true
		}
	}
}

// SnippetIndex returns the byte offset of the runtime snippet for id in js,
// or -1.
func SnippetIndex(js []byte, id ID) int {
	return bytes.Index(js, []byte(Snippet(id)))
}

// HasPluginSnippet reports whether js carries the snippet that Sentry's
// bundler plugins emit (it sets _sentryDebugIdIdentifier="sentry-dbid-<id>"),
// so a second snippet is never added.
func HasPluginSnippet(js []byte) bool {
	return bytes.Contains(js, []byte("_sentryDebugIdIdentifier"))
}
