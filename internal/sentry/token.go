package sentry

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// TokenInfo is what the shape of an auth token says (docs/internals/upload-protocol.md §2).
type TokenInfo struct {
	// Kind is "org" (sntrys_…, an organization token), "user" (sntryu_ and
	// 64 hex), "legacy" (64 hex, an older user token) or "unknown" (still
	// sent; the server decides).
	Kind string
	// URL, RegionURL and Org come from an org token's payload; the caller
	// lets them override --url and --org, with a warning.
	URL, RegionURL, Org string
}

// ParseToken classifies tok. It never fails: a token that fits no known
// shape is "unknown".
func ParseToken(tok string) TokenInfo {
	switch {
	case strings.HasPrefix(tok, "sntrys_"):
		// sntrys_<base64 JSON>_<secret>. Standard base64 has no '_', so the
		// payload ends at the first one.
		payload, _, ok := strings.Cut(strings.TrimPrefix(tok, "sntrys_"), "_")
		if !ok {
			return TokenInfo{Kind: "unknown"}
		}
		var claims struct {
			URL       string `json:"url"`
			RegionURL string `json:"region_url"`
			Org       string `json:"org"`
		}
		raw, err := decodeBase64(payload)
		if err != nil || json.Unmarshal(raw, &claims) != nil {
			return TokenInfo{Kind: "unknown"}
		}
		return TokenInfo{Kind: "org", URL: claims.URL, RegionURL: claims.RegionURL, Org: claims.Org}
	case strings.HasPrefix(tok, "sntryu_") && isHex(strings.TrimPrefix(tok, "sntryu_"), 64, true):
		return TokenInfo{Kind: "user"}
	case isHex(tok, 64, true):
		return TokenInfo{Kind: "legacy"}
	}
	return TokenInfo{Kind: "unknown"}
}

// decodeBase64 accepts the payload with or without padding, in the standard
// or the URL alphabet.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawURLEncoding.DecodeString(s)
}

// isHex reports whether s is n hex digits; upper allows A–F as well.
func isHex(s string, n int, upper bool) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case upper && 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// InsecureTokenWarning returns a warning when a token sent to baseURL would
// cross the network unencrypted: plain http to a host that is not loopback.
// It returns "" otherwise, also for a URL that does not parse (New reports
// that).
func InsecureTokenWarning(baseURL string) string {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return ""
	}
	host := u.Hostname()
	if isLoopback(host) {
		return ""
	}
	return insecureTokenMessage(host)
}

func insecureTokenMessage(host string) string {
	return fmt.Sprintf("the auth token will be sent unencrypted over http to %s; use an https:// URL", host)
}

// IsLoopbackURL reports a server URL on this machine: localhost, *.localhost, 127.0.0.0/8 or ::1, in
// any letter case. Such a server (mapback dev-server) needs no token, and a token sent to it over
// plain http never leaves the machine. upload, doctor and resolve --server all ask this one rule.
func IsLoopbackURL(raw string) bool {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return false
	}
	return isLoopback(u.Hostname())
}

func isLoopback(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
