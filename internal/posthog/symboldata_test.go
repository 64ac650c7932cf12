package posthog

import (
	"bytes"
	"errors"
	"testing"
)

func TestSymbolData(t *testing.T) {
	src := []byte(Snippet("3f3e2f41-14b7-5006-86a4-e8c3e527f233") + "(()=>{})();\n//# sourceMappingURL=app.js.map\n" + Comment("3f3e2f41-14b7-5006-86a4-e8c3e527f233"))
	m := []byte(`{"version":3,"sources":["a.js"],"names":[],"mappings":"2TAAO","chunk_id":"3f3e2f41-14b7-5006-86a4-e8c3e527f233"}`)
	data := EncodeSymbolData(src, m)
	if !bytes.HasPrefix(data, []byte("posthog_error_tracking\x02\x00\x00\x00\x02\x00\x00\x00\x01")) {
		t.Fatalf("header: %q", data[:31])
	}
	if !bytes.HasPrefix(data[31:], []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		t.Fatalf("the payload is not a zstd frame: % x", data[31:35])
	}
	gotSrc, gotMap, err := DecodeSymbolData(data, 1<<20)
	if err != nil || !bytes.Equal(gotSrc, src) || !bytes.Equal(gotMap, m) {
		t.Fatalf("round trip: %v", err)
	}
	// Version 1: uncompressed, no compression byte.
	v1 := append([]byte("posthog_error_tracking\x01\x00\x00\x00\x02\x00\x00\x00"), 2, 0, 0, 0, 0, 0, 0, 0, 'j', 's', 1, 0, 0, 0, 0, 0, 0, 0, '{')
	if s, mm, err := DecodeSymbolData(v1, 100); err != nil || string(s) != "js" || string(mm) != "{" {
		t.Fatalf("version 1: %q %q %v", s, mm, err)
	}
	for name, bad := range map[string][]byte{
		"trailing":  append(append([]byte{}, v1...), 'x'),
		"truncated": v1[:len(v1)-1],
		"type":      []byte("posthog_error_tracking\x01\x00\x00\x00\x03\x00\x00\x00"),
		"magic":     []byte("posthog_error_trackinX\x01\x00\x00\x00\x02\x00\x00\x00"),
	} {
		if _, _, err := DecodeSymbolData(bad, 100); !errors.Is(err, ErrSymbolData) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A large payload (compressed on every core) reads back, and a bomb
	// stops at the limit.
	big := bytes.Repeat([]byte("0123456789abcdef"), 512<<10)
	if s, mm, err := DecodeSymbolData(EncodeSymbolData(big, big[:1000]), 64<<20); err != nil || !bytes.Equal(s, big) || len(mm) != 1000 {
		t.Fatalf("large payload: %v", err)
	}
	// A bomb stops at the limit.
	bomb := EncodeSymbolData(bytes.Repeat([]byte("a"), 4<<20), nil)
	if _, _, err := DecodeSymbolData(bomb, 1<<20); !errors.Is(err, ErrSymbolData) {
		t.Errorf("bomb: %v", err)
	}
}
