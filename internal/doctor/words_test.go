package doctor

import "testing"

func TestWords(t *testing.T) {
	if plural(1, "map", "maps") != "1 map" || plural(0, "map", "maps") != "0 maps" || noun(2, "map", "maps") != "maps" {
		t.Error("plural or noun")
	}
	for in, want := range map[string]string{
		"dist":                    "dist",
		"http://127.0.0.1:8080":   "http://127.0.0.1:8080",
		"my dist":                 "'my dist'",
		"it's":                    `'it'\''s'`,
		"$HOME/dist":              "'$HOME/dist'",
		"":                        "''",
		"a;rm -rf /":              "'a;rm -rf /'",
		"https://sentry.io/x?y=1": "'https://sentry.io/x?y=1'",
	} {
		if got := shellArg(in); got != want {
			t.Errorf("shellArg(%q) = %s, want %s", in, got, want)
		}
	}
}
