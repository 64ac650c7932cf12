package jsonscan

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// Explain words an error of encoding/json for a user, without Go's type
// names: "exception is a string, not an object", or the syntax error with
// its byte offset. what names the value that was decoded.
func Explain(err error, what string) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("%s: %s is %s, not %s", what, te.Field, kindName(te.Value), typeName(te.Type))
		}
		return fmt.Sprintf("%s is %s, not %s", what, kindName(te.Value), typeName(te.Type))
	case errors.As(err, &se):
		return fmt.Sprintf("%s is not valid JSON: %s (byte %d)", what, se.Error(), se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return what + " is not valid JSON: it ends too early (truncated)"
	}
	return what + ": " + err.Error()
}

// kindName names the JSON value kinds encoding/json reports ("string",
// "number …", "array", "object", "bool").
func kindName(v string) string {
	switch {
	case v == "array":
		return "a list"
	case v == "object":
		return "an object"
	case v == "bool":
		return "a boolean"
	case strings.HasPrefix(v, "number"):
		return "a number"
	case v == "string":
		return "a string"
	}
	return v
}

// typeName names what a Go type expects, in JSON's words.
func typeName(t reflect.Type) string {
	if t == nil {
		return "what was expected"
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return typeName(t.Elem())
	}
	return "an object"
}
