package artifactbundle

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// BundlePath returns the path of a URL's file inside the bundle's "files/" directory, as the reference
// client computes it (sentry-cli url_to_bundle_path, docs/internals/upload-protocol.md §10.3): the URL is parsed like a WHATWG URL
// against the base "http://~" ("~/x" is relative), then
//
//	host "~"       → "_/_/" + path
//	a host         → scheme + "/" + host + "/" + path  (lower-cased host, no userinfo, no port)
//	no host        → scheme + "/_/" + path
//
// where path has its leading "/" removed, dot segments resolved, characters of the WHATWG path
// percent-encode set escaped, the query dropped and "#" + fragment kept; hosts of special schemes are
// percent-decoded, lower-cased, punycoded when not ASCII, and IP addresses written canonically. What it
// does not do that a full WHATWG parser does: the UTS #46 mapping beyond lower-casing (NFC, deviations),
// file: drive-letter quirks, and failing: where the reference refuses a URL, BundlePath still answers.
func BundlePath(rawURL string) string {
	u := parseURL(rawURL)
	p := u.path
	if u.hasFragment {
		p += "#" + u.fragment
	}
	p = strings.TrimPrefix(p, "/")
	switch {
	case u.host == "~":
		return "_/_/" + p
	case u.host != "":
		return u.scheme + "/" + u.host + "/" + p
	default:
		return u.scheme + "/_/" + p
	}
}

type parsedURL struct {
	scheme, host, path, fragment string
	hasFragment                  bool
}

// specialSchemes are the WHATWG special schemes (their paths treat "\" as "/").
var specialSchemes = map[string]bool{"http": true, "https": true, "ws": true, "wss": true, "ftp": true, "file": true}

// parseURL parses s against the base http://~/ the way the reference's url crate does for the shapes an
// artifact URL takes.
func parseURL(s string) parsedURL {
	s = strings.TrimPrefix(s, "~/")
	// WHATWG: trim C0 controls and spaces at both ends, drop every tab and newline.
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)

	u := parsedURL{scheme: "http", host: "~"}
	rest, frag, hasFrag := strings.Cut(s, "#")
	if hasFrag {
		u.hasFragment, u.fragment = true, percentEncode(frag, inFragmentSet)
	}
	rest, _, _ = strings.Cut(rest, "?") // the query is dropped

	special := true
	if scheme, after, ok := cutScheme(rest); ok {
		u.scheme = scheme
		special = specialSchemes[scheme]
		switch {
		case scheme == "http" && !startsWithSlash(after, true):
			rest = after // "http:x" is relative to the http base
		case scheme == "file":
			// file: has an authority only after exactly two slashes; "file:///C:/x" has an empty host.
			u.host, rest = "", after
			if len(after) >= 2 && startsWithSlash(after, true) && startsWithSlash(after[1:], true) {
				u.host, rest = splitAuthority(after[2:], true)
				if u.host == "localhost" {
					u.host = "" // WHATWG: file://localhost/x is file:///x
				}
			}
		case special || strings.HasPrefix(after, "//"):
			if special {
				rest = strings.TrimLeft(after, `/\`) // special schemes ignore any number of slashes here
			} else {
				rest = after[2:]
			}
			u.host, rest = splitAuthority(rest, special)
		case strings.HasPrefix(after, "/"):
			u.host, rest = "", after
		default:
			// An opaque path ("custom:foo"): only controls and non-ASCII are escaped.
			u.host, u.path = "", percentEncode(after, inControlSet)
			return u
		}
	} else if startsWithSlash(rest, true) && len(rest) > 1 && (rest[1] == '/' || rest[1] == '\\') {
		u.host, rest = splitAuthority(rest[2:], true) // "//host/x": scheme-relative
	}
	u.path = normalizePath(rest, special)
	return u
}

// cutScheme splits "scheme:rest" when s starts with a valid scheme (ALPHA *( ALPHA / DIGIT / "+" / "-" /
// "." )), lower-casing it.
func cutScheme(s string) (scheme, rest string, ok bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return strings.ToLower(s[:i]), s[i+1:], true
		default:
			return "", "", false
		}
	}
	return "", "", false
}

func startsWithSlash(s string, special bool) bool {
	return strings.HasPrefix(s, "/") || special && strings.HasPrefix(s, `\`)
}

// splitAuthority takes the authority off the front of s and returns its host (no userinfo, no port,
// ASCII lower-cased for special schemes) and the remaining path.
func splitAuthority(s string, special bool) (host, path string) {
	end := len(s)
	for i := 0; i < len(s); i++ {
		if s[i] == '/' || special && s[i] == '\\' {
			end = i
			break
		}
	}
	host, path = s[:end], s[end:]
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	if special {
		host = specialHost(host)
	} else {
		host = percentEncode(host, inControlSet) // an opaque host keeps its case
	}
	return host, path
}

// specialHost is the WHATWG host parser for special schemes, minus its failure cases (where the reference
// refuses the URL, the host is kept as written): IPv6 and IPv4 addresses in canonical form, domains
// percent-decoded, lower-cased and, when not ASCII, punycoded label by label.
func specialHost(h string) string {
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		if a, err := netip.ParseAddr(h[1 : len(h)-1]); err == nil && a.Is6() && a.Zone() == "" {
			return "[" + ipv6String(a.As16()) + "]"
		}
		return h
	}
	if d, err := url.PathUnescape(h); err == nil {
		h = d
	}
	if ip, ok := parseIPv4(h); ok {
		return ip
	}
	labels := strings.Split(h, ".")
	for i, l := range labels {
		if isASCII(l) {
			labels[i] = strings.ToLower(l)
		} else {
			labels[i] = "xn--" + punycode(strings.ToLower(l))
		}
	}
	return strings.Join(labels, ".")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// parseIPv4 is the WHATWG IPv4 parser: a host whose last label is a number is an address of one to four
// decimal, octal (leading 0) or hex (0x) parts, the last filling the remaining bytes ("0x7f.1" is
// 127.0.0.1).
func parseIPv4(h string) (string, bool) {
	parts := strings.Split(h, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	last := parts[len(parts)-1]
	if _, ok := ipv4Number(last); !ok || len(parts) > 4 {
		return "", false
	}
	var addr uint64
	for i, p := range parts {
		n, ok := ipv4Number(p)
		if !ok {
			return "", false
		}
		if i < len(parts)-1 {
			if n > 255 {
				return "", false
			}
			addr |= n << (8 * (3 - i))
		} else {
			if n >= 1<<(8*(5-len(parts))) {
				return "", false
			}
			addr |= n
		}
	}
	return fmt.Sprintf("%d.%d.%d.%d", addr>>24, addr>>16&0xff, addr>>8&0xff, addr&0xff), true
}

func ipv4Number(p string) (uint64, bool) {
	base := 10
	switch {
	case len(p) >= 2 && (p[:2] == "0x" || p[:2] == "0X"):
		p, base = p[2:], 16
		if p == "" {
			return 0, true
		}
	case len(p) > 1 && p[0] == '0':
		p, base = p[1:], 8
	}
	if p == "" {
		return 0, false
	}
	n, err := strconv.ParseUint(p, base, 64)
	if err != nil || n > 1<<32 {
		return 0, false
	}
	return n, true
}

// ipv6String serialises an address the WHATWG way: lower-case hex pieces, the first longest run of two or
// more zero pieces as "::", no dotted IPv4 tail ("::ffff:102:304").
func ipv6String(b [16]byte) string {
	var pieces [8]uint16
	for i := range pieces {
		pieces[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	start, length := -1, 1
	for i := 0; i < 8; {
		j := i
		for j < 8 && pieces[j] == 0 {
			j++
		}
		if j-i > length {
			start, length = i, j-i
		}
		i = max(j, i+1)
	}
	var sb strings.Builder
	for i := 0; i < 8; i++ {
		if i == start {
			sb.WriteString("::")
			i += length - 1
			continue
		}
		if i > 0 && i != start+length {
			sb.WriteByte(':')
		}
		sb.WriteString(strconv.FormatUint(uint64(pieces[i]), 16))
	}
	return sb.String()
}

// punycode encodes a label (RFC 3492), without the "xn--" prefix.
func punycode(s string) string {
	const base, tmin, tmax, skew, damp = 36, 1, 26, 38, 700
	runes := []rune(s)
	var out []byte
	for _, r := range runes {
		if r < utf8.RuneSelf {
			out = append(out, byte(r))
		}
	}
	b := len(out)
	if b > 0 {
		out = append(out, '-')
	}
	digit := func(d int) byte {
		if d < 26 {
			return byte('a' + d)
		}
		return byte('0' + d - 26)
	}
	adapt := func(delta, points int, first bool) int {
		if first {
			delta /= damp
		} else {
			delta /= 2
		}
		delta += delta / points
		k := 0
		for delta > (base-tmin)*tmax/2 {
			delta /= base - tmin
			k += base
		}
		return k + (base-tmin+1)*delta/(delta+skew)
	}
	n, delta, bias := 128, 0, 72
	for h := b; h < len(runes); {
		m := rune(utf8.MaxRune)
		for _, r := range runes {
			if int(r) >= n && r < m {
				m = r
			}
		}
		delta += (int(m) - n) * (h + 1)
		n = int(m)
		for _, r := range runes {
			if int(r) < n {
				delta++
			}
			if int(r) == n {
				q := delta
				for k := base; ; k += base {
					t := min(max(k-bias, tmin), tmax)
					if q < t {
						break
					}
					out = append(out, digit(t+(q-t)%(base-t)))
					q = (q - t) / (base - t)
				}
				out = append(out, digit(q))
				bias = adapt(delta, h+1, h == b)
				delta = 0
				h++
			}
		}
		delta++
		n++
	}
	return string(out)
}

// normalizePath resolves "." and ".." segments (also written %2e) and percent-encodes each segment; the
// result starts with "/".
func normalizePath(p string, special bool) string {
	if special {
		p = strings.ReplaceAll(p, `\`, "/")
	}
	p = strings.TrimPrefix(p, "/")
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs))
	for i, seg := range segs {
		last := i == len(segs)-1
		switch strings.ToLower(seg) {
		case "..", ".%2e", "%2e.", "%2e%2e":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		case ".", "%2e":
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, percentEncode(seg, inPathSet))
		}
	}
	return "/" + strings.Join(out, "/")
}

// The WHATWG percent-encode sets (C0 controls and everything above "~" are in all of them).
func inControlSet(c byte) bool  { return c < 0x20 || c > 0x7e }
func inFragmentSet(c byte) bool { return inControlSet(c) || strings.IndexByte(" \"<>`", c) >= 0 }
func inPathSet(c byte) bool     { return inControlSet(c) || strings.IndexByte(" \"#<>?`{}", c) >= 0 }

// percentEncode escapes the bytes of s that are in set as %XX (upper-case hex); an existing "%" is kept.
func percentEncode(s string, in func(byte) bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if in(c) {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
