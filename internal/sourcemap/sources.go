package sourcemap

import (
	"net/url"
	"path"
	"strings"
)

// ResolveSource returns source i resolved as docs/internals/sourcemap-format.md says:
//
//   - a non-empty sourceRoot is prefixed to relative sources (with a "/"
//     unless it ends with one); absolute sources (scheme or leading "/")
//     ignore it;
//   - webpack://ns/./x, webpack:///./x, webpack-internal:///./x?query become
//     the project-relative path "x" (scheme, namespace, "./" and query
//     dropped); turbopack:///[project]/x becomes "x";
//   - file:// URLs become paths (file:///C:/x → C:/x);
//   - remaining relative sources are resolved against the map's location
//     mapURLorPath (a path or a URL; for an inline data: map pass the
//     minified file's location instead);
//   - dot segments are normalised.
//
// For an index map the section's own sourceRoot applies. It returns "" when
// i is out of range or the source is null: the map does not name it, and
// resolving "" against the map's location would name the map's directory.
func (m *Map) ResolveSource(mapURLorPath string, i int) string {
	sm, li, ok := m.sourceOwner(i)
	if !ok || sm.sources.Null(li) {
		return ""
	}
	base := mapURLorPath
	if sm.loadedFrom != "" {
		base = resolveSource(mapURLorPath, "", sm.loadedFrom)
	}
	return resolveSource(base, sm.sourceRoot, sm.sources.At(li))
}

// SourceRoot is the map's own sourceRoot ("" when absent; an index map's
// sections have their own).
func (m *Map) SourceRoot() string { return m.sourceRoot }

// ResolveSourceWithoutRoot is ResolveSource with the map's sourceRoot left
// out: for a sourceRoot known to be relative to something other than the
// map (wrangler writes its --outdir there, relative to the project).
func (m *Map) ResolveSourceWithoutRoot(mapURLorPath string, i int) string {
	sm, li, ok := m.sourceOwner(i)
	if !ok || sm.sources.Null(li) {
		return ""
	}
	base := mapURLorPath
	if sm.loadedFrom != "" {
		base = resolveSource(mapURLorPath, "", sm.loadedFrom)
	}
	return resolveSource(base, "", sm.sources.At(li))
}

// hasScheme reports whether s starts with a URL scheme ("x:" with a
// one-letter scheme is a Windows drive, not a scheme).
func hasScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case c == ':' && i > 1:
			return true
		default:
			return false
		}
	}
	return false
}

func isWindowsAbs(s string) bool {
	return len(s) >= 3 && s[1] == ':' && (s[2] == '/' || s[2] == '\\') &&
		(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z')
}

func isAbsSource(s string) bool {
	return strings.HasPrefix(s, "/") || hasScheme(s) || isWindowsAbs(s)
}

func resolveSource(base, root, src string) string {
	if root != "" && !isAbsSource(src) {
		if strings.HasSuffix(root, "/") {
			src = root + src
		} else {
			src = root + "/" + src
		}
	}
	if p, ok := bundlerPath(src); ok {
		return p
	}
	if strings.HasPrefix(src, "file:") {
		return filePath(src)
	}
	if hasScheme(src) {
		return cleanURL(src)
	}
	if isWindowsAbs(src) {
		return cleanPath(strings.ReplaceAll(src, "\\", "/"))
	}
	if base == "" || strings.HasPrefix(base, "data:") {
		return cleanPath(src)
	}
	if strings.HasPrefix(base, "file:") {
		base = filePath(base)
	}
	if hasScheme(base) {
		u, err := url.Parse(base)
		if err != nil {
			return cleanPath(src)
		}
		u.RawQuery, u.Fragment, u.RawFragment, u.RawPath = "", "", "", ""
		if strings.HasPrefix(src, "/") {
			u.Path = path.Clean(src)
		} else {
			u.Path = path.Join(path.Dir(u.Path), src)
		}
		return u.String()
	}
	if strings.HasPrefix(src, "/") {
		return path.Clean(src)
	}
	base = strings.ReplaceAll(base, "\\", "/")
	return path.Join(path.Dir(base), src)
}

// bundlerPath normalises webpack://, webpack-internal:// and turbopack://
// sources to project-relative paths.
func bundlerPath(s string) (string, bool) {
	var rest string
	switch {
	case strings.HasPrefix(s, "webpack://"):
		rest = s[len("webpack://"):]
	case strings.HasPrefix(s, "webpack-internal://"):
		rest = s[len("webpack-internal://"):]
	case strings.HasPrefix(s, "turbopack://"):
		rest = strings.TrimPrefix(s[len("turbopack://"):], "/")
		rest = strings.TrimPrefix(rest, "[project]/")
		return cleanPath(rest), true
	default:
		return "", false
	}
	// drop the namespace (empty for webpack:///)
	if k := strings.IndexByte(rest, '/'); k >= 0 {
		rest = rest[k+1:]
	} else {
		rest = ""
	}
	if k := strings.IndexByte(rest, '?'); k >= 0 {
		rest = rest[:k]
	}
	return cleanPath(rest), true
}

func cleanPath(p string) string {
	if p == "" {
		return ""
	}
	return path.Clean(p)
}

func filePath(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return cleanPath(strings.TrimPrefix(strings.TrimPrefix(s, "file:"), "//"))
	}
	p := u.Path
	if len(p) >= 3 && p[0] == '/' && isWindowsAbs(p[1:]) {
		p = p[1:]
	}
	if u.Host != "" && u.Host != "localhost" {
		return "//" + u.Host + path.Clean(p)
	}
	return cleanPath(p)
}

func cleanURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.Path == "" {
		return s
	}
	u.Path = path.Clean(u.Path)
	u.RawPath = ""
	return u.String()
}
