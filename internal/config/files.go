package config

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/viper"
)

// FileKind says how a config file is read.
type FileKind string

const (
	// FileMapback is a .mapback.yaml or the user's config.yaml.
	FileMapback FileKind = "mapback"
	// FileSentryclirc is the reference client's INI file.
	FileSentryclirc FileKind = "sentryclirc"
	// FilePostHog is PostHog CLI's ~/.posthog/credentials.json.
	FilePostHog FileKind = "posthog-credentials"
)

// File is a config file mapback looked at, in precedence order.
type File struct {
	Path  string   `json:"path"`
	Kind  FileKind `json:"kind"`
	Found bool     `json:"found"`
	// Why explains how the path was chosen ("--config", "nearest to the
	// working directory", "user config dir", "home directory").
	Why string `json:"why"`
}

// ParseError is a config file that could not be read, with the line when known.
type ParseError struct {
	Path string
	Line int // 1-based; 0 when unknown
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("config file %s: line %d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("config file %s: %s", e.Path, e.Msg)
}

// fileValues are the settings one file provides.
type fileValues struct {
	file   File
	values map[Key]string
	mode   fs.FileMode // the file's permissions, to warn when others may read a secret
}

// discoverFiles lists the files to read, highest precedence first:
// the --config file or the nearest .mapback.yaml, the user's config.yaml, the
// nearest .sentryclirc, then ~/.sentryclirc.
func discoverFiles(env Environment, explicit, explicitWhy string) []File {
	var files []File
	if explicit != "" {
		// An explicit file replaces discovery of mapback files; it must exist.
		files = append(files, File{Path: absFrom(env.WorkDir, explicit), Kind: FileMapback, Found: true, Why: explicitWhy})
	} else {
		if p := findUpwards(env.WorkDir, ".mapback.yaml", ".mapback.yml"); p != "" {
			files = append(files, File{Path: p, Kind: FileMapback, Found: true, Why: "nearest to the working directory"})
		}
		if p := UserConfigPath(env); p != "" {
			files = append(files, File{Path: p, Kind: FileMapback, Found: isFile(p), Why: "user config dir"})
		}
	}
	if p := findUpwards(env.WorkDir, ".sentryclirc"); p != "" {
		files = append(files, File{Path: p, Kind: FileSentryclirc, Found: true, Why: "nearest to the working directory"})
	}
	if env.HomeDir != "" {
		p := filepath.Join(env.HomeDir, ".sentryclirc")
		if !containsPath(files, p) {
			files = append(files, File{Path: p, Kind: FileSentryclirc, Found: isFile(p), Why: "home directory"})
		}
		p = filepath.Join(env.HomeDir, ".posthog", "credentials.json")
		files = append(files, File{Path: p, Kind: FilePostHog, Found: isFile(p), Why: "PostHog CLI's login"})
	}
	return files
}

func absFrom(dir, p string) string {
	if filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

func containsPath(files []File, p string) bool {
	for _, f := range files {
		if f.Path == p {
			return true
		}
	}
	return false
}

// findUpwards returns the first of names found in dir or its ancestors.
func findUpwards(dir string, names ...string) string {
	if dir == "" {
		return ""
	}
	for {
		for _, n := range names {
			if p := filepath.Join(dir, n); isFile(p) {
				return p
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// readFile reads one config file; warnings are returned for unknown keys.
func readFile(ctx context.Context, f File) (fileValues, []string, error) {
	fv := fileValues{file: f, values: map[Key]string{}}
	if err := ctx.Err(); err != nil {
		return fv, nil, err
	}
	data, mode, err := readCapped(f.Path)
	if err != nil {
		return fv, nil, err
	}
	fv.mode = mode
	switch f.Kind {
	case FileSentryclirc:
		fv.values, err = parseSentryclirc(f.Path, string(data))
		return fv, nil, err
	case FilePostHog:
		fv.values, err = parsePostHogCredentials(f.Path, data)
		return fv, nil, err
	}
	warnings, err := parseMapbackYAML(f.Path, data, fv.values)
	return fv, warnings, err
}

// maxConfigSize bounds what is read of a config file: real ones are a few
// hundred bytes, and a path such as /dev/zero must not fill the memory.
const maxConfigSize = 1 << 20

// readCapped reads a config file of at most maxConfigSize bytes of text. Its
// errors never quote the content: the path may name any file on the machine.
func readCapped(path string) ([]byte, fs.FileMode, error) {
	// Opening a named pipe would wait for a writer: look first.
	if st, err := os.Stat(path); err == nil && st.Mode()&(fs.ModeNamedPipe|fs.ModeSocket) != 0 {
		return nil, 0, &ParseError{Path: path, Msg: "is a named pipe or socket, not a config file"}
	}
	fh, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, &ParseError{Path: path, Msg: "file does not exist"}
		}
		return nil, 0, &ParseError{Path: path, Msg: unwrapPathError(err)}
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, 0, &ParseError{Path: path, Msg: unwrapPathError(err)}
	}
	if st.IsDir() {
		return nil, 0, &ParseError{Path: path, Msg: "is a directory, not a config file"}
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxConfigSize+1))
	if err != nil {
		return nil, 0, &ParseError{Path: path, Msg: unwrapPathError(err)}
	}
	if len(data) > maxConfigSize {
		return nil, 0, &ParseError{Path: path, Msg: "larger than 1 MiB: not a config file"}
	}
	if bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		return nil, 0, &ParseError{Path: path, Msg: "binary data: not a config file"}
	}
	return data, st.Mode().Perm(), nil
}

func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

var yamlLine = regexp.MustCompile(`line (\d+):?\s*`)

// parseMapbackYAML reads .mapback.yaml through viper and checks every key.
func parseMapbackYAML(path string, data []byte, into map[Key]string) ([]string, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(strings.NewReader(string(data))); err != nil {
		var pe viper.ConfigParseError
		if errors.As(err, &pe) {
			err = pe.Unwrap()
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
		msg = strings.TrimSpace(msg)
		line := 0
		if m := yamlLine.FindStringSubmatchIndex(msg); m != nil {
			line, _ = strconv.Atoi(msg[m[2]:m[3]])
			msg = msg[:m[0]] + msg[m[1]:]
		}
		return nil, &ParseError{Path: path, Line: line, Msg: yamlMessage(msg)}
	}

	var warnings, unknown []string
	known := 0
	keys := v.AllKeys()
	sort.Strings(keys)
	for _, raw := range keys {
		// viper flattens mappings to "a.b": "auth_token: {a: x}" arrives as
		// "auth_token.a", which is a wrongly shaped known key, not an unknown one.
		top, _, nested := strings.Cut(raw, ".")
		if _, known := lookupSetting(Key(top)); known && nested {
			return nil, &ParseError{Path: path, Line: lineOfKey(data, top), Msg: fmt.Sprintf("key %q must be a single value, not a mapping", top)}
		}
		k := Key(raw)
		if _, isKnown := lookupSetting(k); !isKnown {
			unknown = append(unknown, raw)
			warnings = append(warnings, unknownKeyWarning(path, raw))
			continue
		}
		known++
		switch val := v.Get(raw).(type) {
		case nil: // "org:" with no value: not set by this file
		case string:
			into[k] = val
		case bool, int, int64, float64, uint64:
			into[k] = fmt.Sprint(val)
		default:
			return nil, &ParseError{Path: path, Line: lineOfKey(data, raw), Msg: fmt.Sprintf("key %q must be a single value, not a list", raw)}
		}
	}
	// A file without one mapback key is some other file (MAPBACK_CONFIG set
	// to the wrong path, or to /etc/shadow): listing its keys would print its
	// lines. A lone misspelt key keeps its "did you mean".
	if known == 0 && len(unknown) > 0 && (len(unknown) > 1 || closestKey(unknown[0]) == "") {
		return nil, &ParseError{Path: path, Msg: fmt.Sprintf("not a mapback config file: none of its %d keys is a mapback setting (see mapback config --help)", len(unknown))}
	}
	return warnings, nil
}

// yamlQuoted is a value the YAML parser quotes in its messages.
var yamlQuoted = regexp.MustCompile("`[^`]*`")

// yamlMessage rewords a YAML parser error without the file's content, which
// the parser quotes ("cannot unmarshal !!str `root:x:...`").
func yamlMessage(msg string) string {
	if strings.Contains(msg, "cannot unmarshal") && strings.Contains(msg, "into map") {
		return "not a mapback config file: it is not a mapping of keys to values (key: value lines)"
	}
	return strings.TrimSpace(yamlQuoted.ReplaceAllString(msg, "a value"))
}

// lineOfKey finds the 1-based line where a top-level key is defined, for
// errors about its value; 0 when not found.
func lineOfKey(data []byte, key string) int {
	re := regexp.MustCompile(`^["']?` + regexp.QuoteMeta(key) + `["']?\s*:`)
	for i, line := range strings.Split(string(data), "\n") {
		if re.MatchString(line) {
			return i + 1
		}
	}
	return 0
}

func unknownKeyWarning(path, key string) string {
	w := fmt.Sprintf("config file %s: unknown key %q (ignored)", path, key)
	if s := closestKey(key); s != "" {
		w += fmt.Sprintf("; did you mean %q?", s)
	}
	return w
}

// closestKey suggests a known key within two edits of a misspelt one.
func closestKey(key string) string {
	best, bestDist := "", 3
	for _, s := range settings {
		if d := editDistance(key, string(s.key)); d < bestDist {
			best, bestDist = string(s.key), d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// parseSentryclirc reads the keys mapback shares with the reference client
// from its INI file. Other sections and keys belong to the reference client
// and are skipped without a warning.
func parseSentryclirc(path, text string) (map[Key]string, error) {
	values := map[Key]string{}
	section := ""
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if i == 0 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line == "" || line[0] == ';' || line[0] == '#' {
			continue
		}
		if line[0] == '[' {
			if !strings.HasSuffix(line, "]") {
				return nil, &ParseError{Path: path, Line: i + 1, Msg: "section header must end with ']'"}
			}
			section = strings.ToLower(strings.TrimSpace(line[1 : len(line)-1]))
			continue
		}
		sep := strings.IndexAny(line, "=:")
		if sep <= 0 {
			// The line is not quoted back: it may hold the token.
			return nil, &ParseError{Path: path, Line: i + 1, Msg: `expected "key = value" or "[section]"`}
		}
		name := strings.ToLower(strings.TrimSpace(line[:sep]))
		value := strings.TrimSpace(line[sep+1:])
		for _, s := range settings {
			if s.ini == (iniKey{section, name}) && value != "" {
				values[s.key] = value
			}
		}
	}
	return values, nil
}

// parsePostHogCredentials reads what PostHog CLI's login writes:
// {"host": "...", "token": "phx_...", "env_id": "2"}.
func parsePostHogCredentials(path string, data []byte) (map[Key]string, error) {
	var c struct {
		Host  string          `json:"host"`
		Token string          `json:"token"`
		EnvID json.RawMessage `json:"env_id"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, &ParseError{Path: path, Msg: "not the JSON object PostHog's CLI writes ({\"host\", \"token\", \"env_id\"})"}
	}
	values := map[Key]string{}
	if c.Host != "" {
		values[KeyPostHogHost] = c.Host
	}
	if c.Token != "" {
		values[KeyPostHogKey] = c.Token
	}
	if id := strings.Trim(string(c.EnvID), `"`); id != "" && id != "null" {
		values[KeyPostHogProject] = id
	}
	return values, nil
}
