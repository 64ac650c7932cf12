package config

import (
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/mapback/mapback/internal/term"
)

// TokenShaped reports whether s has the shape of an API token mapback knows
// (docs/internals/upload-protocol.md §2, docs/posthog.md): Sentry organization tokens
// (sntrys_…), user tokens (sntryu_ and 64 hex, or a bare 64 hex), PostHog
// personal and project API keys (phx_…, phc_…). An argument of that shape
// is never echoed: it was pasted in the wrong place.
func TokenShaped(s string) bool {
	for _, prefix := range []string{"sntrys_", "sntryu_", "phx_", "phc_"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok && len(rest) >= 16 && !strings.ContainsAny(rest, "/\\ ") {
			return true
		}
	}
	return isHex64(s)
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20 // ASCII lower case
		if (s[i] < '0' || s[i] > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// secretFlags take a token as their value: the one place a token belongs
// on a command line.
var secretFlags = []string{"--auth-token", "--token", "--posthog-api-key"}

// TokenShapedArgs returns the command-line arguments, or the values of
// --flag=value arguments, that look like tokens, wherever they are.
func TokenShapedArgs(args []string) []string {
	var out []string
	for _, a := range args {
		if TokenShaped(a) {
			out = append(out, a)
		} else if _, v, ok := strings.Cut(a, "="); ok && TokenShaped(v) {
			out = append(out, v)
		}
	}
	return out
}

// MisplacedToken returns the first argument shaped like a token that is not
// the value of a flag taking one: a token pasted where a path or a name
// belongs, which any report or error would then print.
func MisplacedToken(args []string) (string, bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			continue
		}
		name, value, hasValue := strings.Cut(a, "=")
		if slices.Contains(secretFlags, name) {
			if !hasValue {
				i++ // the next argument is the flag's value
			}
			continue
		}
		if TokenShaped(a) {
			return a, true
		}
		if hasValue && strings.HasPrefix(name, "-") && TokenShaped(value) {
			return value, true
		}
	}
	return "", false
}

// secretWarnings are the load-time warnings about how a secret is kept: too
// short to hide from messages, or in a file others may read.
func secretWarnings(cfg *Config, layers []fileValues) []string {
	var out []string
	for _, v := range cfg.values {
		if !v.Secret || v.Value == "" {
			continue
		}
		if len(v.Value) < term.MinSecretLen {
			out = append(out, fmt.Sprintf("%s from %s is only %d characters long: too short to hide from messages without garbling them, so it is not hidden (real tokens are much longer)", v.Key, v.Source, len(v.Value)))
		}
		if v.Source.Kind != SourceFile || runtime.GOOS == "windows" {
			continue
		}
		for _, l := range layers {
			if l.file.Path == v.Source.Name && l.mode&0o077 != 0 {
				out = append(out, fmt.Sprintf("config file %s holds %s and others may read it (mode %04o): chmod 600 %s", l.file.Path, v.Key, uint32(l.mode.Perm()), l.file.Path))
			}
		}
	}
	return out
}
