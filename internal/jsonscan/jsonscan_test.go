package jsonscan

import (
	"errors"
	"strings"
	"testing"
)

func TestDocument(t *testing.T) {
	doc := "\xef\xbb\xbf{\n  \"version\": 3,\n  \"sourcesContent\": [\"a \\\"}\\\" b\", null],\n  \"x\\u0041\": {\"n\": [1, {\"m\": true}]},\n  \"mappings\": \"AAAA\"\n}\n"
	members, open, end, err := Document([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if open != 3 || doc[end-1] != '}' {
		t.Errorf("open %d end %d", open, end)
	}
	var keys []string
	for _, m := range members {
		keys = append(keys, m.Key+"="+doc[m.ValStart:m.ValEnd])
		if doc[m.KeyStart] != '"' || doc[m.KeyEnd-1] != '"' {
			t.Errorf("key span of %s", m.Key)
		}
	}
	want := `version=3|sourcesContent=["a \"}\" b", null]|xA={"n": [1, {"m": true}]}|mappings="AAAA"`
	if got := strings.Join(keys, "|"); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// An array member carries its elements' offsets; other members none.
	for _, m := range members {
		var elems []string
		for _, e := range m.Elems {
			elems = append(elems, doc[e[0]:e[1]])
		}
		want := ""
		if m.Key == "sourcesContent" {
			want = `"a \"}\" b"|null`
		}
		if got := strings.Join(elems, "|"); got != want {
			t.Errorf("%s: elements %q, want %q", m.Key, got, want)
		}
	}

	if _, _, _, err := Document([]byte(")]}'\n{\"a\":1}")); err != nil {
		t.Errorf("XSSI prefix: %v", err)
	}
}

func TestArraySpans(t *testing.T) {
	b := []byte(`[ "x,y" , {"a":[1,2]},null ]`)
	spans, end, err := Array(b, 0)
	if err != nil || end != len(b) {
		t.Fatal(err, end)
	}
	var got []string
	for _, s := range spans {
		got = append(got, string(b[s[0]:s[1]]))
	}
	if strings.Join(got, "|") != `"x,y"|{"a":[1,2]}|null` {
		t.Errorf("%q", got)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		msg    string
	}{
		{`{"a":1`, 6, "unexpected end of JSON"},
		{`{"a":1,`, 7, "unexpected end of JSON"},
		{`{"a" 1}`, 5, "expected ':'"},
		{`{"a":1} x`, 8, "unexpected data after the top-level object"},
		{`{"a":"x}`, 5, "unterminated string"},
		{`<html>`, 0, "expected '{'"},
		{`{"a":[1 2]}`, 8, "expected ',' or ']'"},
		{`{"a":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`, 517, "nested too deeply"},
	}
	for _, tt := range tests {
		_, _, _, err := Document([]byte(tt.in))
		var se *SyntaxError
		if !errors.As(err, &se) || se.Offset != tt.offset || se.Msg != tt.msg {
			t.Errorf("Document(%.30q): %v, want %q at %d", tt.in, err, tt.msg, tt.offset)
		}
	}
}

func FuzzDocument(f *testing.F) {
	f.Add([]byte(`{"version":3,"mappings":"AAAA","sources":["a"],"x":{"y":[1,true,null]}}`))
	f.Add([]byte("\xef\xbb\xbf{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		members, open, end, err := Document(b)
		if err != nil {
			return
		}
		if open < 0 || end > len(b) || open >= end {
			t.Fatalf("bad bounds %d %d", open, end)
		}
		for _, m := range members {
			ordered := open < m.KeyStart && m.KeyStart < m.KeyEnd && m.KeyEnd <= m.ValStart && m.ValStart < m.ValEnd && m.ValEnd < end
			if !ordered {
				t.Fatalf("bad member spans %+v in [%d,%d)", m, open, end)
			}
		}
	})
}
