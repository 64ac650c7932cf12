package term

import (
	"bytes"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := map[string]string{
		"":                                "",
		"short":                           "****",
		"sntrys_eyJpYXQiOjE3MDAwMDAwMDB9": "****MDB9",
	}
	for in, want := range tests {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactingWriterAcrossWrites(t *testing.T) {
	const secret = "sntrys_abcdefghijklmnop1234"
	text := "token=" + secret + " and again " + secret + "\n"
	// Every way of cutting the text into two writes must hide the secret.
	for cut := 0; cut <= len(text); cut++ {
		var out bytes.Buffer
		w := NewRedactingWriter(&out)
		w.Add(secret)
		if _, err := w.Write([]byte(text[:cut])); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(text[cut:])); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		want := "token=****1234 and again ****1234\n"
		if out.String() != want {
			t.Fatalf("cut %d: got %q, want %q", cut, out.String(), want)
		}
	}
}

func TestRedactingWriterByteByByte(t *testing.T) {
	const secret = "abcdefghijklmnop"
	var out bytes.Buffer
	w := NewRedactingWriter(&out)
	w.Add(secret, "x") // "x" is too short to be treated as a secret
	text := "abcabcdefghijklmnopx abcdefghijklmno"
	for i := range len(text) {
		w.Write([]byte{text[i]})
	}
	w.Flush()
	if strings.Contains(out.String(), secret) {
		t.Fatalf("secret leaked: %q", out.String())
	}
	if want := "abc****mnopx abcdefghijklmno"; out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}

// TestStreamsRedact: logs and errors (stderr) are redacted; results (stdout)
// are never rewritten, so a short or unlucky token cannot garble them.
func TestStreamsRedact(t *testing.T) {
	s, _, out, errOut := Test()
	s.Redact("")
	s.Redact("my-secret-token-value", "test")
	s.Out.Write([]byte(`{"test": "testdata/app.js"}` + "\n"))
	s.ErrOut.Write([]byte("err my-secret-token-value in test\n"))
	s.Flush()
	if strings.Contains(errOut.String(), "my-secret-token-value") || errOut.String() != "err ****alue in test\n" {
		t.Fatalf("stderr: %q", errOut)
	}
	if out.String() != `{"test": "testdata/app.js"}`+"\n" {
		t.Fatalf("stdout was rewritten: %q", out)
	}
}
