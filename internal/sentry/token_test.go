package sentry

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestParseToken(t *testing.T) {
	const (
		// Shaped like a token Sentry issues: sntrys_ + standard base64 of
		// the JSON claims (with padding) + _ + a URL-safe secret.
		orgPadded  = "sntrys_eyJpYXQiOjE3MzE1ODU1MTIuMDk0NDE3LCJ1cmwiOiJodHRwczovL3NlbnRyeS5pbyIsInJlZ2lvbl91cmwiOiJodHRwczovL3VzLnNlbnRyeS5pbyIsIm9yZyI6ImFjbWUifQ==_Xk3p9Q2wLr7TzV1yB8cN4mH6jD0fS5aG2eK9uR_oq1E"
		selfHosted = "sntrys_eyJpYXQiOiAxNzMxNTg1NTEyLjA5NDQxNywgInVybCI6ICJodHRwOi8vbG9jYWxob3N0OjkwMDAiLCAicmVnaW9uX3VybCI6ICJodHRwOi8vbG9jYWxob3N0OjkwMDAiLCAib3JnIjogInNlbnRyeSJ9_secret"
	)
	claims := `{"iat":1,"url":"https://sentry.example.com","region_url":"https://de.sentry.example.com","org":"o-1"}`
	rawStd := base64.RawStdEncoding.EncodeToString([]byte(claims))
	// ">>>" encodes to "Pj4-" in the URL alphabet: a payload only that
	// alphabet decodes.
	rawURL := base64.RawURLEncoding.EncodeToString([]byte(strings.TrimSuffix(claims, "}") + `,"x":">>>"}`))
	if !strings.Contains(rawURL, "-") {
		t.Fatalf("%s does not exercise the URL alphabet", rawURL)
	}
	hex64 := strings.Repeat("0123456789abcdef", 4)
	example := TokenInfo{Kind: "org", URL: "https://sentry.example.com", RegionURL: "https://de.sentry.example.com", Org: "o-1"}
	for _, tc := range []struct {
		name, tok string
		want      TokenInfo
	}{
		{"org token, padded", orgPadded, TokenInfo{Kind: "org", URL: "https://sentry.io", RegionURL: "https://us.sentry.io", Org: "acme"}},
		{"org token, self-hosted", selfHosted, TokenInfo{Kind: "org", URL: "http://localhost:9000", RegionURL: "http://localhost:9000", Org: "sentry"}},
		{"org token, no padding", "sntrys_" + rawStd + "_abc", example},
		{"org token, URL alphabet", "sntrys_" + rawURL + "_abc", example},
		{"org token, secret with underscores", "sntrys_" + rawStd + "_a_b_c", example},
		{"org token without secret", "sntrys_" + rawStd, TokenInfo{Kind: "unknown"}},
		{"org token, payload not base64", "sntrys_!!!_abc", TokenInfo{Kind: "unknown"}},
		{"org token, payload not JSON", "sntrys_" + base64.StdEncoding.EncodeToString([]byte("hello")) + "_abc", TokenInfo{Kind: "unknown"}},
		{"org token, empty", "sntrys_", TokenInfo{Kind: "unknown"}},
		{"user token", "sntryu_" + hex64, TokenInfo{Kind: "user"}},
		{"user token, short", "sntryu_" + hex64[:63], TokenInfo{Kind: "unknown"}},
		{"legacy", hex64, TokenInfo{Kind: "legacy"}},
		{"legacy upper case", strings.ToUpper(hex64), TokenInfo{Kind: "legacy"}},
		{"legacy, not hex", strings.Repeat("g", 64), TokenInfo{Kind: "unknown"}},
		{"something else", "my-proxy-token", TokenInfo{Kind: "unknown"}},
		{"empty", "", TokenInfo{Kind: "unknown"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseToken(tc.tok); got != tc.want {
				t.Errorf("ParseToken(%q) = %+v, want %+v", tc.tok, got, tc.want)
			}
		})
	}
}

func FuzzParseToken(f *testing.F) {
	f.Add("sntrys_eyJ1cmwiOiJ4In0=_s")
	f.Add("sntryu_" + strings.Repeat("a", 64))
	f.Fuzz(func(t *testing.T, tok string) {
		if k := ParseToken(tok).Kind; k != "org" && k != "user" && k != "legacy" && k != "unknown" {
			t.Errorf("kind %q", k)
		}
	})
}

func TestInsecureTokenWarning(t *testing.T) {
	for _, tc := range []struct {
		url  string
		warn bool
	}{
		{"http://localhost", false},
		{"http://localhost:9000/", false},
		{"http://LOCALHOST.", false},
		{"http://sentry.localhost:8000", false},
		{"http://127.0.0.1:8080", false},
		{"http://127.1.2.3", false},
		{"http://[::1]", false},
		{"http://[::1]:9000", false},
		{"https://sentry.io", false},
		{"https://sentry.example.com", false},
		{"http://sentry.example.com", true},
		{"http://10.0.0.5:9000", true},
		{"http://[2001:db8::1]", true},
		{"http://localhost.example.com", true},
		{"not a url", false},
	} {
		got := InsecureTokenWarning(tc.url)
		if (got != "") != tc.warn {
			t.Errorf("InsecureTokenWarning(%q) = %q, want a warning: %v", tc.url, got, tc.warn)
		}
		if got != "" && !strings.Contains(got, "https") {
			t.Errorf("warning %q does not say to use https", got)
		}
	}
}

// TestIsLoopbackURL: the one rule upload (token needed?), doctor (token check) and resolve --server
// share; they disagreed on letter case before (doctor said "no token needed" for LOCALHOST while
// upload refused to run without one).
func TestIsLoopbackURL(t *testing.T) {
	for raw, want := range map[string]bool{
		"http://localhost:8080":        true,
		"http://LOCALHOST:8080":        true,
		"http://localhost.:8080":       true,
		"http://dev.localhost":         true,
		"http://127.0.0.1:9000":        true,
		"http://127.8.9.10":            true,
		"http://[::1]:8080":            true,
		" http://127.0.0.1 ":           true,
		"https://sentry.io":            false,
		"http://localhost.example.com": false,
		"http://10.0.0.1:8080":         false,
		"http://[::2]":                 false,
		"localhost:8080":               false, // no scheme: not a URL a client can use
		"":                             false,
		"http://%zz":                   false,
	} {
		if got := IsLoopbackURL(raw); got != want {
			t.Errorf("IsLoopbackURL(%q) = %v, want %v", raw, got, want)
		}
	}
}
