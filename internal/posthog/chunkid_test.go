package posthog

import (
	"testing"
)

func TestChunkID(t *testing.T) {
	// The byte-level example of docs/internals/posthog.md: esbuild's app.js,
	// whose chunk ID plugin-utils' createStableChunkId and Python's uuid5 agree on.
	js := "(()=>{function o(r){return r+r}function e(r){if(r>2)throw new Error(\"boom \"+o(r));return o(r)*2}e(1);})();\n//# sourceMappingURL=app.js.map\n"
	if got, want := ChunkIDFromJS([]byte(js)).String(), "3f3e2f41-14b7-5006-86a4-e8c3e527f233"; got != want {
		t.Errorf("ChunkIDFromJS = %s, want %s", got, want)
	}
	if n := len(Snippet("3f3e2f41-14b7-5006-86a4-e8c3e527f233")); n != 309 {
		t.Errorf("snippet is %d bytes, want 309", n)
	}
	for _, tc := range []struct {
		js, want string
		ok       bool
	}{
		{"a\n//# chunkId=abc", "abc", true},
		{"a\n//# chunkId=abc\n//# chunkId=def\n", "def", true},
		{"var s='//# chunkId=abc';", "", false},
		{"//# chunkId=first\nx", "first", true},
		{"a\n//# chunkId=\n", "", false},
	} {
		got, ok := FindChunkID([]byte(tc.js))
		if got != tc.want || ok != tc.ok {
			t.Errorf("FindChunkID(%q) = %q, %v; want %q, %v", tc.js, got, ok, tc.want, tc.ok)
		}
	}
}
