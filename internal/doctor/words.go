package doctor

import (
	"fmt"
	"strings"
)

// The words of findings and fixes: one home for counting nouns and quoting what the user pastes.

// plural is n and the noun for it: "1 bundle", "3 bundles".
func plural(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, noun(n, one, many))
}

// noun is the noun alone for n things.
func noun(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// shellArg quotes p for a fix line the user pastes into a POSIX shell: as is when every character
// is one no shell treats specially, else in single quotes.
func shellArg(p string) string {
	if p != "" && strings.IndexFunc(p, func(r rune) bool {
		safe := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:@=,", r)
		return !safe
	}) < 0 {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}
