package dist

import (
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// ignorePattern is one line of a gitignore-syntax file.
type ignorePattern struct {
	glob     string // doublestar pattern; braces escaped, a trailing "/**" made "/**/*"
	negate   bool   // "!pattern"
	dirOnly  bool   // "pattern/"
	anchored bool   // a '/' at the start or in the middle: matched against the relative path
}

// ignoreSet is the content of one ignore file. Its patterns are relative to the directory holding the
// file: base for files found while walking (a slash path relative to the walked PATH, "" for the PATH
// itself), absDir for the --ignore-file.
type ignoreSet struct {
	base     string
	absDir   string
	patterns []ignorePattern
}

// parseIgnore parses gitignore syntax: blank lines and "#" comments are skipped, "\#" and "\!" escape
// a leading '#' or '!', trailing spaces are dropped unless escaped, "!" negates, a trailing "/" matches
// directories only, a leading or inner "/" anchors the pattern to the file's directory, "**" spans
// directories. Lines that are not valid patterns are skipped.
func parseIgnore(data []byte) []ignorePattern {
	var out []ignorePattern
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		for strings.HasSuffix(line, " ") && !strings.HasSuffix(line, `\ `) {
			line = line[:len(line)-1]
		}
		if line == "" || line[0] == '#' {
			continue
		}
		var p ignorePattern
		if line[0] == '!' {
			p.negate = true
			line = line[1:]
		}
		if strings.HasSuffix(line, "/") {
			p.dirOnly = true
			line = strings.TrimRight(line, "/")
		}
		if line == "" {
			continue
		}
		if strings.Contains(line, "/") {
			p.anchored = true
			line = strings.TrimPrefix(line, "/")
		}
		if line == "**" {
			// "/**" (anchored) and "**" both mean everything.
			p.anchored = true
		} else if strings.HasSuffix(line, "/**") {
			// git: "abc/**" matches everything inside abc, not abc itself (doublestar would match abc).
			line += "/*"
		}
		p.glob = escapeBraces(line)
		if !doublestar.ValidatePattern(p.glob) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// escapeBraces escapes '{' and '}', which doublestar treats as alternatives and gitignore as literals.
func escapeBraces(s string) string {
	if !strings.ContainsAny(s, "{}") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			b.WriteByte(c)
			i++
			b.WriteByte(s[i])
		case c == '{' || c == '}':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// match reports whether the last pattern of s matching rel (a slash path relative to the set's
// directory) matches, and whether that pattern is a negation.
func (s *ignoreSet) match(rel string, isDir bool) (matched, negate bool) {
	name := path.Base(rel)
	for i := len(s.patterns) - 1; i >= 0; i-- {
		p := &s.patterns[i]
		if p.dirOnly && !isDir {
			continue
		}
		target := name
		if p.anchored {
			target = rel
		}
		if ok, _ := doublestar.Match(p.glob, target); ok {
			return true, p.negate
		}
	}
	return false, false
}

// normalizeGlob prepares a --ignore pattern: "./" prefixes and trailing slashes are dropped.
func normalizeGlob(g string) string {
	for strings.HasPrefix(g, "./") {
		g = g[2:]
	}
	if len(g) > 1 {
		g = strings.TrimRight(g, "/")
	}
	return g
}
