package sentry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
)

// maxJSONReply bounds a JSON reply held in memory; the largest legitimate
// one (an artifact lookup listing many bundles) is far smaller.
const maxJSONReply = 32 << 20

// doJSON sends r and decodes a 2xx JSON reply into out. what names the
// reply in errors ("chunk-upload", "assemble", "artifact-lookup"); array says
// whether the reply must be a JSON array rather than an object. A reply of
// the wrong shape fails with a plain message that names the request and
// the server, never a Go type.
func (c *Client) doJSON(ctx context.Context, r request, what string, array bool, out any) error {
	var buf bytes.Buffer
	r.sink = &limitedWriter{w: &buf, n: maxJSONReply}
	r.restartSink = buf.Reset
	r.small = true
	if err := c.do(ctx, r); err != nil {
		return err
	}
	return c.decodeJSON(buf.Bytes(), r, what, array, out)
}

// decodeJSON is doJSON's decoding half.
func (c *Client) decodeJSON(data []byte, r request, what string, array bool, out any) error {
	want, open := "object", byte('{')
	if array {
		want, open = "array", '['
	}
	notSentry := fmt.Sprintf("is %s a Sentry server?", redactURL(c.base))
	trimmed := bytes.TrimSpace(data)
	if !json.Valid(trimmed) {
		return fmt.Errorf("the %s reply (%s %s) is not JSON: %s", what, r.method, redactURL(r.url), notSentry)
	}
	if trimmed[0] != open {
		return fmt.Errorf("the %s reply (%s %s) is not a JSON %s but %s: %s",
			what, r.method, redactURL(r.url), want, jsonKind(trimmed[0]), notSentry)
	}
	err := json.Unmarshal(trimmed, out)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "an element"
		} else {
			field = fmt.Sprintf("field %q", sanitise(field, 80))
		}
		return fmt.Errorf("the %s reply (%s %s) has %s of the wrong type (%s where %s is expected): %s",
			what, r.method, redactURL(r.url), field, sanitise(te.Value, 40), goKind(te.Type.Kind()), notSentry)
	}
	return fmt.Errorf("the %s reply (%s %s) could not be read: %s: %s",
		what, r.method, redactURL(r.url), c.scrub(sanitise(err.Error(), maxExcerpt)), notSentry)
}

// jsonKind names the JSON value that starts with b (valid JSON assumed).
func jsonKind(b byte) string {
	switch b {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// goKind names, in JSON terms, what a Go type decodes from.
func goKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another type"
}

type limitedWriter struct {
	w io.Writer
	n int64
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		return 0, fmt.Errorf("reply larger than %d bytes", maxJSONReply)
	}
	l.n -= int64(len(p))
	return l.w.Write(p)
}
