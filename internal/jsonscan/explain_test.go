package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
)

// Explain words encoding/json's errors without Go's type names.
func TestExplain(t *testing.T) {
	var obj struct {
		Files map[string]string `json:"files"`
		N     int               `json:"n"`
	}
	var list []string
	cases := []struct {
		in   string
		dst  any
		want string
	}{
		{`{"files":[1]}`, &obj, "m: files is a list, not an object"},
		{`{"n":"x"}`, &obj, "m: n is a string, not a number"},
		{`"x"`, &list, "m is a string, not a list"},
		{`{not`, &obj, "m is not valid JSON: invalid character 'n' looking for beginning of object key string (byte 2)"},
		{`{"n":1`, &obj, "m is not valid JSON: unexpected end of JSON input"},
	}
	for _, c := range cases {
		err := json.Unmarshal([]byte(c.in), c.dst)
		got := Explain(err, "m")
		if !strings.HasPrefix(got, c.want) || strings.Contains(got, "Go ") || strings.Contains(got, "json:") {
			t.Errorf("%s: %q, want %q", c.in, got, c.want)
		}
	}
}
