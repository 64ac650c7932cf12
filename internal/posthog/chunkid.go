// Package posthog holds PostHog error tracking's formats: the chunk ID a
// bundle and its map share (the runtime snippet that registers it and the
// comment that names it), as PostHog's CLI writes them
// (docs/internals/posthog.md).
package posthog

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"

	"github.com/mapback/mapback/internal/debugid"
)

// chunkNamespace is the UUIDv5 namespace of content-derived chunk IDs,
// PostHog's own: the same bundle gets the same ID from either tool.
var chunkNamespace = [16]byte{0x0e, 0x9b, 0x3c, 0x7a, 0x5d, 0x1f, 0x42, 0xa8, 0xb6, 0xc4, 0xe2, 0xd0, 0xf8, 0xa1, 0x75, 0x93}

// ChunkIDFromJS derives a bundle's chunk ID from its bytes as read from
// disk (its sourceMappingURL line included, its map not): UUIDv5 in
// PostHog's namespace.
func ChunkIDFromJS(js []byte) debugid.ID {
	h := sha1.New()
	h.Write(chunkNamespace[:])
	h.Write(js)
	var id debugid.ID
	copy(id[:], h.Sum(nil)[:16])
	id[6] = (id[6] & 0x0f) | 0x50
	id[8] = (id[8] & 0x3f) | 0x80
	return id
}

// The runtime snippet around the JSON-encoded chunk ID: a wire constant,
// since PostHog's SDK reads the _posthogChunkIds global it fills and
// PostHog's CLI removes the snippet by exact match.
const (
	snippetHead = `!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._posthogChunkIds=e._posthogChunkIds||{},e._posthogChunkIds[n]=`
	snippetTail = `)}catch(e){}}();`
)

// Snippet returns the one-line runtime snippet for chunk ID id (no line
// break).
func Snippet(id string) string {
	quoted, _ := json.Marshal(id) // a string always encodes
	return snippetHead + string(quoted) + snippetTail
}

// CommentPrefix starts the line that names a bundle's chunk ID.
const CommentPrefix = "//# chunkId="

// Comment is what is appended to a bundle: a line break and the comment,
// with no line break after it, as PostHog's CLI writes it.
func Comment(id string) string { return "\n" + CommentPrefix + id }

// maxChunkID bounds a chunk ID read from a file, as PostHog's tools do.
const maxChunkID = 128

// FindChunkID returns the chunk ID of the last line that starts with
// "//# chunkId=": the value up to the first white space. A line that merely
// contains the marker (a string in bundled code) does not count, as for
// PostHog's CLI.
func FindChunkID(js []byte) (string, bool) {
	marker := []byte(CommentPrefix)
	for end := len(js); ; {
		i := bytes.LastIndex(js[:end], marker)
		if i < 0 {
			return "", false
		}
		end = i
		if i > 0 && js[i-1] != '\n' {
			continue
		}
		v := js[i+len(marker):]
		if j := bytes.IndexAny(v, " \t\r\n"); j >= 0 {
			v = v[:j]
		}
		if len(v) == 0 || len(v) > maxChunkID {
			continue
		}
		return string(v), true
	}
}
