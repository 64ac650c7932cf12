//go:build conformance

package conformance

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"regexp"
	"strings"
)

var injBOMBytes = []byte("\xef\xbb\xbf")

// The runtime snippet, copied from docs/internals/inject.md §4 rather than
// from mapback's code, so the test is an independent oracle.
const injSnippetTemplate = `!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="__SENTRY_DEBUG_ID__")}catch(e){}}();`

func injSnippet(id string) []byte {
	return []byte(strings.Replace(injSnippetTemplate, "__SENTRY_DEBUG_ID__", id, 1))
}

var injCommentRE = regexp.MustCompile(`//# debugId=([0-9a-fA-F-]{32,36})`)

// injJSID returns the value of the last //# debugId= comment, as written.
func injJSID(js []byte) string {
	i := bytes.LastIndex(js, []byte("//# debugId="))
	if i < 0 {
		return ""
	}
	m := injCommentRE.FindSubmatch(js[i:])
	if m == nil {
		return ""
	}
	return string(m[1])
}

// injNormID makes IDs comparable: lowercase, no hyphens.
func injNormID(id string) string {
	return strings.ReplaceAll(strings.ToLower(id), "-", "")
}

// injContentID is the reference's ID for a bundle without a map (see
// docs/internals/inject.md §3): SHA-1 of the bytes, first 16 bytes, UUID version 5 bits.
func injContentID(js []byte) string {
	sum := sha1.Sum(js)
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// injEndLayout is the reference's output for an LF bundle without a map (see
// docs/internals/inject.md §5.4): the last sourceMappingURL line moves below the snippet.
func injEndLayout(o []byte, id string) []byte {
	body := o
	var urlLine []byte
	i := max(bytes.LastIndex(o, []byte("//# sourceMappingURL=")), bytes.LastIndex(o, []byte("//@ sourceMappingURL=")))
	if i >= 0 {
		start := bytes.LastIndexByte(o[:i], '\n') + 1
		end := len(o)
		next := len(o)
		if j := bytes.IndexByte(o[i:], '\n'); j >= 0 {
			end, next = i+j, i+j+1
		}
		urlLine = o[start:end]
		body = append(append([]byte(nil), o[:start]...), o[next:]...)
	}
	out := append([]byte(nil), body...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	out = append(append(out, injSnippet(id)...), '\n')
	if urlLine != nil {
		out = append(append(out, urlLine...), '\n')
	}
	return append(out, "//# debugId="+id+"\n"...)
}

// injIsTopLayout reports whether a is o with "\n"+snippet+"\n" inserted once
// and "\n//# debugId=<id>\n" appended (docs/internals/inject.md §5.1).
func injIsTopLayout(o, a []byte, id string) bool {
	ins := append(append([]byte{'\n'}, injSnippet(id)...), '\n')
	p := bytes.Index(a, ins)
	if p < 0 || p > len(o) || !bytes.Equal(a[:p], o[:p]) {
		return false
	}
	return bytes.Equal(a[p+len(ins):], append(append([]byte(nil), o[p:]...), "\n//# debugId="+id+"\n"...))
}
