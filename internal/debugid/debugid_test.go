package debugid

import (
	"strings"
	"testing"
)

// Test vectors of docs/internals/inject.md §3, each reproduced with the
// reference client.
func TestDerivationVectors(t *testing.T) {
	tests := []struct {
		name     string
		js, map_ string
		noMap    bool
		want     string
	}{
		{
			name: "external map",
			js:   "function add(a,b){return a+b}\n//# sourceMappingURL=app.min.js.map\n",
			map_: `{"version":3,"file":"app.min.js","sources":["app.js"],"names":["add","a","b"],"mappings":"AAAA,SAASA,IAAIC,EAAEC,GAAG,OAAOD,EAAEC"}`,
			want: "426c2454-0fe6-542f-9eda-01246987e82a",
		},
		{
			name: "inline map hashes the decoded bytes",
			js:   "var x=1;\n//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjozLCJzb3VyY2VzIjpbInguanMiXSwibmFtZXMiOltdLCJtYXBwaW5ncyI6IkFBQUEifQ==\n",
			map_: `{"version":3,"sources":["x.js"],"names":[],"mappings":"AAAA"}`,
			want: "09417d58-a204-5946-be70-beaec140d1cc",
		},
		{
			name:  "no map",
			js:    "#!/usr/bin/env node\n\"use strict\";\nconsole.log(1);\n",
			noMap: true,
			want:  "db233adf-02f8-52df-a396-a3b9d031479e",
		},
		{
			name:  "referenced map missing, CRLF",
			js:    "var q=1;\r\n//# sourceMappingURL=missing.js.map\r\nvar after=2;\r\n",
			noMap: true,
			want:  "f018021d-88a0-519f-9500-76cb1f2f1023",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got ID
			if tt.noMap {
				got = FromJS([]byte(tt.js))
			} else {
				got = FromPair([]byte(tt.js), []byte(tt.map_))
			}
			if got.String() != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	want := "426c2454-0fe6-542f-9eda-01246987e82a"
	for _, in := range []string{want, strings.ToUpper(want), "426c24540fe6542f9eda01246987e82a", "426C24540FE6542F9EDA01246987E82A"} {
		id, err := Parse(in)
		if err != nil || id.String() != want {
			t.Errorf("Parse(%q) = %s, %v", in, id, err)
		}
	}
	for _, bad := range []string{"", "426c2454-0fe6-542f-9eda-01246987e82", "426c2454_0fe6_542f_9eda_01246987e82a", "zz6c2454-0fe6-542f-9eda-01246987e82a", "426c2454-0fe6-542f-9eda-01246987e82a0"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestSnippet(t *testing.T) {
	id, _ := Parse("426c2454-0fe6-542f-9eda-01246987e82a")
	s := Snippet(id)
	if len(s) != 306 || strings.ContainsAny(s, "\r\n") {
		t.Fatalf("snippet is %d bytes (want 306, one line): %s", len(s), s)
	}
	want := `!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="426c2454-0fe6-542f-9eda-01246987e82a")}catch(e){}}();`
	if s != want {
		t.Errorf("snippet differs from the wire constant:\n%s\n%s", s, want)
	}
	if Comment(id) != "//# debugId=426c2454-0fe6-542f-9eda-01246987e82a" {
		t.Errorf("comment = %s", Comment(id))
	}
}

func TestFindComment(t *testing.T) {
	const a, b = "426c2454-0fe6-542f-9eda-01246987e82a", "09417d58-a204-5946-be70-beaec140d1cc"
	tests := []struct {
		js   string
		want string // "" = none
	}{
		{"var x;\n//# debugId=" + a + "\n", a},
		{"var x;\n//# debugId=" + a + "\r\n", a},
		{"var x;\n//# debugId=" + a, a},
		{"//# debugId=" + a + "\n//# debugId=" + b + "\n", b},
		{"//# debugId=" + a + "\n//# debugId=nonsense\n", a},
		{"var x;\n//@ debugId=" + a + "\n", ""},
		{"var x;\n// debugId=" + a + "\n", ""},
		{"var s='debugId=" + a + "';\n", ""},
		{"//# debugId=" + strings.ToUpper(a) + "\n", a},
		{"", ""},
	}
	for _, tt := range tests {
		id, ok := FindComment([]byte(tt.js))
		if got := map[bool]string{true: id.String(), false: ""}[ok]; got != tt.want {
			t.Errorf("FindComment(%q) = %q, want %q", tt.js, got, tt.want)
		}
	}
}

func BenchmarkFromPair(b *testing.B) {
	js := []byte(strings.Repeat("var a=1;", 1<<17))   // 1 MB
	sm := []byte(strings.Repeat("AAAA,CAAC;", 1<<19)) // 5 MB
	b.SetBytes(int64(len(js) + len(sm)))
	for b.Loop() {
		FromPair(js, sm)
	}
}
