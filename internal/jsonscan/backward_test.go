package jsonscan

import (
	"bytes"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// small makes every array skippable, every string of 8 bytes or more a long
// element, and an array with one taken for the skipped one after 32 bytes,
// for the length of a test.
func small(t testing.TB) {
	oldMin, oldAfter, oldLong := skipMin, guessAfter, longElem
	skipMin, guessAfter, longElem = 1, 32, 8
	t.Cleanup(func() { skipMin, guessAfter, longElem = oldMin, oldAfter, oldLong })
}

func TestLastQuote(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for n := 0; n < 2000; n++ {
		b := make([]byte, rng.Intn(20000))
		for i := range b {
			b[i] = "ab\"\\\x80\xa2"[rng.Intn(6)]
		}
		// Sparse quotes too, so that whole blocks have none.
		if n%2 == 0 {
			for i := range b {
				if b[i] == '"' && rng.Intn(500) != 0 {
					b[i] = 'x'
				}
			}
		}
		if got, want := lastQuote(b), bytes.LastIndexByte(b, '"'); got != want {
			t.Fatalf("len %d: lastQuote %d, want %d", len(b), got, want)
		}
	}
}

// keysAndSpans renders members for comparison.
func keysAndSpans(doc string, ms []Member) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Key+"="+doc[m.ValStart:m.ValEnd])
	}
	return strings.Join(out, "|")
}

func TestDocumentSkipping(t *testing.T) {
	small(t)
	long := `"function f() {\n  return \"]}\\\\\";\n}\n"`
	tests := []struct {
		name, doc string
		unread    bool // the skipped member is left unread
	}{
		{"middle", `{"version":3,"sources":["a.js","b.js"],"sourcesContent":[` + long + `,null,` + long + `],"names":["x","y"],"mappings":"AAAA,CAAC;AACA","x_google_ignoreList":[1]}`, true},
		{"last", `{"version":3,"names":[],"mappings":"AAAA","sourcesContent":[null,` + long + `]}`, true},
		{"first", ` {"sourcesContent":[` + long + `],"version":3,"mappings":"AAAA","sources":["a"],"names":[]} ` + "\n", true},
		{"pretty", "{\n  \"sourcesContent\": [\n    " + long + "\n  ],\n  \"x\": {\"a\": [1, -2.5e+3, true, null, {\"b\": \"}\"}]},\n  \"mappings\": \"AAAA\"\n}\n", true},
		// No long element: the array is read whole, backwards, and the
		// result is Document's.
		{"short", `{"version":3,"sourcesContent":["a",null,"b\"c"],"mappings":"AAAA"}`, false},
		{"empty", `{"sourcesContent":[],"mappings":"AAAA"}`, false},
		// Not an array, or no such member: nothing to skip.
		{"null", `{"sourcesContent":null,"mappings":"AAAAAAAAAAAAAAAA"}`, false},
		{"absent", `{"version":3,"mappings":"AAAAAAAAAAAAAAAA"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, wOpen, wEnd, err := Document([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			got, open, end, err := DocumentSkipping([]byte(tt.doc), "sourcesContent")
			if err != nil {
				t.Fatal(err)
			}
			if open != wOpen || end != wEnd {
				t.Errorf("bounds %d,%d want %d,%d", open, end, wOpen, wEnd)
			}
			if g, w := keysAndSpans(tt.doc, got), keysAndSpans(tt.doc, want); g != w {
				t.Errorf("members\n got %s\nwant %s", g, w)
			}
			unread := false
			for i, m := range got {
				unread = unread || m.Unread
				if m.Unread {
					if m.Elems != nil {
						t.Errorf("%s: unread but has elements", m.Key)
					}
					continue
				}
				if !reflect.DeepEqual(m.Elems, want[i].Elems) || m.KeyStart != want[i].KeyStart || m.KeyEnd != want[i].KeyEnd {
					t.Errorf("%s: %+v, want %+v", m.Key, m, want[i])
				}
			}
			if unread != tt.unread {
				t.Errorf("unread %v, want %v", unread, tt.unread)
			}
		})
	}
}

// A document the backward scan cannot read is scanned forwards, errors
// included.
func TestDocumentSkippingFallsBack(t *testing.T) {
	small(t)
	for _, doc := range []string{
		`{"sourcesContent":["aaaaaaaaaaaa"],"mappings":"AAAA"`,    // no closing brace
		`{"sourcesContent":["aaaaaaaaaaaa"],"mappings":"AAAA"} x`, // trailing data
		`{"sourcesContent":["aaaaaaaaaaaa"] "mappings":"AAAA"}`,   // no comma
		`{"sourcesContent":["aaaaaaaaaaaa"],"mappings":"AAAA",}`,  // trailing comma
		`{"sourcesContent":["aaaaaaaaaaaa"],"mappings":01x}`,      // bad number
		`{"sourcesContent":["aaaaaaaaaaaa"],"m":{"a":1,}}`,        // bad object
	} {
		_, _, _, want := Document([]byte(doc))
		_, _, _, got := DocumentSkipping([]byte(doc), "sourcesContent")
		if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
			t.Errorf("%s: got %v, want %v", doc, got, want)
		}
	}
}

// An array after the skipped one that has a long element but is short is
// read to its key, and the scan goes on to the skipped one. One that is
// longer than guessAfter is taken for the skipped array: the members
// between them are not seen. This is the documented limit of the guess.
func TestDocumentSkippingGuess(t *testing.T) {
	small(t)
	doc := `{"sourcesContent":["aaaaaaaaaaaa","aaaaaaaaaaaaaaaaaaaaaaaaa"],"sourceRoot":"/r","x_other":["bbbbbbbbbbbb"],"mappings":"AAAA"}`
	got, _, _, err := DocumentSkipping([]byte(doc), "sourcesContent")
	if err != nil {
		t.Fatal(err)
	}
	want := `sourcesContent=["aaaaaaaaaaaa","aaaaaaaaaaaaaaaaaaaaaaaaa"]|sourceRoot="/r"|x_other=["bbbbbbbbbbbb"]|mappings="AAAA"`
	if g := keysAndSpans(doc, got); g != want || !got[0].Unread {
		t.Errorf("got %s, want %s", g, want)
	}

	doc = `{"sourcesContent":["aaaaaaaaaaaa"],"sourceRoot":"/r","x_other":["bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"],"mappings":"AAAA"}`
	if got, _, _, err = DocumentSkipping([]byte(doc), "sourcesContent"); err != nil {
		t.Fatal(err)
	}
	want = `sourcesContent=["aaaaaaaaaaaa"],"sourceRoot":"/r","x_other":["bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]|mappings="AAAA"`
	if g := keysAndSpans(doc, got); g != want || !got[0].Unread {
		t.Errorf("got %s, want %s", g, want)
	}
}

func TestArrayReader(t *testing.T) {
	b := []byte(` [ "x,y" , {"a":[1,2]},null ] `)
	r, err := NewArrayReader(b, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		s, e, ok, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, string(b[s:e]))
	}
	if strings.Join(got, "|") != `"x,y"|{"a":[1,2]}|null` || r.End() != len(b)-1 {
		t.Errorf("%q end %d", got, r.End())
	}
	for _, bad := range []string{`[1,]`, `[1 2]`, `["a"`, `[`} {
		r, _ := NewArrayReader([]byte(bad), 0)
		var err error
		for ok := true; ok && err == nil; {
			_, _, ok, err = r.Next()
		}
		if err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// For any document, DocumentSkipping does not panic, and when it reads the
// skipped member (or there is none) it agrees with Document. When it leaves
// it unread, every member it returns is one of Document's.
func FuzzDocumentSkipping(f *testing.F) {
	f.Add([]byte(`{"version":3,"sourcesContent":["long string here",null],"names":["a"],"mappings":"AAAA"}`))
	f.Add([]byte(`{"sourcesContent":["aaaaaaaaaaaa"],"x":{"y":[1,"\\\""]},"z":-1e5}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		small(t)
		got, _, _, err := DocumentSkipping(b, "sourcesContent")
		want, _, _, werr := Document(b)
		if err != nil {
			if werr == nil {
				t.Fatalf("DocumentSkipping failed where Document did not: %v", err)
			}
			return
		}
		if werr != nil {
			// Possible only with the skipped text unread (unchecked).
			for _, m := range got {
				if m.Unread {
					return
				}
			}
			t.Fatalf("DocumentSkipping accepted what Document rejects: %v", werr)
		}
		byKeyStart := map[int]Member{}
		for _, m := range want {
			byKeyStart[m.KeyStart] = m
		}
		unread := false
		for _, m := range got {
			w, ok := byKeyStart[m.KeyStart]
			if !ok || w.Key != m.Key || w.ValStart != m.ValStart {
				t.Fatalf("member %+v is not Document's", m)
			}
			if m.Unread {
				unread = true
				continue
			}
			if w.ValEnd != m.ValEnd || !reflect.DeepEqual(w.Elems, m.Elems) {
				t.Fatalf("member %+v, Document's %+v", m, w)
			}
		}
		if !unread && len(got) != len(want) {
			t.Fatalf("%d members, Document %d", len(got), len(want))
		}
	})
}
