package config

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mapback/mapback/internal/term"
)

// Environment is everything outside the process arguments that configuration
// depends on. Tests build one by hand; the CLI uses SystemEnvironment.
type Environment struct {
	LookupEnv     func(string) (string, bool)
	WorkDir       string
	UserConfigDir string // e.g. $XDG_CONFIG_HOME; "" to skip the user file
	HomeDir       string // for ~/.sentryclirc; "" to skip it
	UserCacheDir  string // e.g. $XDG_CACHE_HOME, for upload's build cache and dev-server's store; "" for none
}

// SystemEnvironment reads the real process environment.
func SystemEnvironment() Environment {
	env := Environment{LookupEnv: os.LookupEnv}
	env.WorkDir, _ = os.Getwd()
	env.UserConfigDir, _ = os.UserConfigDir() // honours XDG_CONFIG_HOME on Linux
	env.HomeDir, _ = os.UserHomeDir()
	env.UserCacheDir, _ = os.UserCacheDir() // honours XDG_CACHE_HOME on Linux
	return env
}

// Options are the command-line inputs to configuration.
type Options struct {
	// Flags holds only the flags the user set explicitly, by setting key.
	Flags map[Key]string
	// ConfigFile is --config; when set it replaces .mapback.yaml discovery.
	ConfigFile string
	// OnSecret, when set, is called with each secret value as soon as it is
	// known, before any error message could mention it, so the caller can
	// redact it from all output.
	OnSecret func(string)
}

// SourceKind says which layer a value came from.
type SourceKind string

const (
	SourceFlag    SourceKind = "flag"
	SourceEnv     SourceKind = "env"
	SourceFile    SourceKind = "file"
	SourceDefault SourceKind = "default"
	SourceUnset   SourceKind = "unset"
)

// Source is where a value came from: the flag, the environment variable or
// the file that set it.
type Source struct {
	Kind SourceKind `json:"kind"`
	Name string     `json:"name,omitempty"` // "--url", "SENTRY_ORG", a file path
}

func (s Source) String() string {
	switch s.Kind {
	case SourceFlag:
		return "flag " + s.Name
	case SourceEnv:
		return "env " + s.Name
	case SourceFile:
		return "file " + s.Name
	case SourceDefault:
		return "default"
	}
	return "not set"
}

// Value is one resolved setting.
type Value struct {
	Key    Key
	Value  string
	Source Source
	Secret bool
}

// Display returns the value as it may be shown: secrets redacted, and the
// password of a URL with credentials (https://user:pass@host/) hidden.
func (v Value) Display() string {
	if v.Secret {
		return term.Redact(v.Value)
	}
	if pw := urlPassword(v); pw != "" {
		return strings.Replace(v.Value, ":"+pw+"@", ":****@", 1)
	}
	return v.Value
}

func urlPassword(v Value) string {
	if v.Key != KeyURL {
		return ""
	}
	u, err := url.Parse(v.Value)
	if err != nil || u.User == nil {
		return ""
	}
	pw, _ := u.User.Password()
	return pw
}

// Config is the effective configuration.
type Config struct {
	URL       string
	AuthToken string
	Org       string
	Project   string
	Release   string
	Dist      string
	LogLevel  string
	Timeout   time.Duration // 0: the command's default
	Backends  Backends
	// PostHog's credentials (the host has a default).
	PostHogHost, PostHogProject, PostHogKey string

	values []Value
	// Files lists the config files considered, highest precedence first.
	Files []File
	// Warnings are problems that do not stop mapback (unknown keys).
	Warnings []string
}

// Values returns every setting with its source, in display order.
func (c *Config) Values() []Value { return append([]Value(nil), c.values...) }

// Get returns the resolved setting k.
func (c *Config) Get(k Key) Value {
	for _, v := range c.values {
		if v.Key == k {
			return v
		}
	}
	return Value{Key: k, Source: Source{Kind: SourceUnset}}
}

// EnvSecrets returns the secret values present in the environment, so output
// can be redacted before any configuration is loaded.
func EnvSecrets(env Environment) []string {
	var out []string
	for _, s := range settings {
		if !s.secret || env.LookupEnv == nil {
			continue
		}
		for _, name := range s.env {
			if v, ok := env.LookupEnv(name); ok && strings.TrimSpace(v) != "" {
				out = append(out, strings.TrimSpace(v))
			}
		}
	}
	return out
}

// Load resolves every setting: flag > environment > config file > default.
// Within files: --config or the nearest .mapback.yaml, then the user
// config.yaml, then the nearest .sentryclirc, then ~/.sentryclirc.
func Load(ctx context.Context, env Environment, opts Options) (*Config, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if env.LookupEnv == nil {
		env.LookupEnv = func(string) (string, bool) { return "", false }
	}
	explicit, why := opts.ConfigFile, "--config"
	if explicit == "" {
		explicit, _ = env.LookupEnv("MAPBACK_CONFIG")
		why = "MAPBACK_CONFIG"
	}

	cfg := &Config{Files: discoverFiles(env, explicit, why)}
	var layers []fileValues
	for _, f := range cfg.Files {
		if !f.Found {
			continue
		}
		fv, warnings, err := readFile(ctx, f)
		if err != nil {
			return nil, err
		}
		cfg.Warnings = append(cfg.Warnings, warnings...)
		layers = append(layers, fv)
	}

	for _, s := range settings {
		cfg.values = append(cfg.values, resolve(s, env, opts, layers))
	}
	// Hand out secrets before validation can quote any value in an error.
	for _, v := range cfg.values {
		if opts.OnSecret == nil {
			break
		}
		if v.Secret && v.Value != "" {
			opts.OnSecret(v.Value)
		}
		if pw := urlPassword(v); pw != "" {
			opts.OnSecret(pw)
		}
	}
	for _, v := range cfg.values {
		if err := validate(v); err != nil {
			return nil, err
		}
	}
	cfg.Warnings = append(cfg.Warnings, secretWarnings(cfg, layers)...)
	cfg.URL = cfg.Get(KeyURL).Value
	cfg.AuthToken = cfg.Get(KeyAuthToken).Value
	cfg.Org = cfg.Get(KeyOrg).Value
	cfg.Project = cfg.Get(KeyProject).Value
	cfg.Release = cfg.Get(KeyRelease).Value
	cfg.Dist = cfg.Get(KeyDist).Value
	cfg.LogLevel = cfg.Get(KeyLogLevel).Value
	cfg.Timeout, _ = ParseTimeout(cfg.Get(KeyTimeout).Value) // validated above
	cfg.Backends, _ = ParseBackends(cfg.Get(KeyBackends).Value)
	cfg.PostHogHost = cfg.Get(KeyPostHogHost).Value
	cfg.PostHogProject = cfg.Get(KeyPostHogProject).Value
	cfg.PostHogKey = cfg.Get(KeyPostHogKey).Value
	return cfg, nil
}

// resolve walks the layers for one setting from the highest precedence down.
// Empty values count as unset at every layer, so an empty variable in a CI
// template does not hide a value from a file.
func resolve(s setting, env Environment, opts Options, files []fileValues) Value {
	v := Value{Key: s.key, Secret: s.secret}
	if val, ok := opts.Flags[s.key]; ok && val != "" {
		v.Value, v.Source = val, Source{Kind: SourceFlag, Name: "--" + s.flag}
		return v
	}
	for _, name := range s.env {
		if val, ok := env.LookupEnv(name); ok && strings.TrimSpace(val) != "" {
			v.Value, v.Source = strings.TrimSpace(val), Source{Kind: SourceEnv, Name: name}
			return v
		}
	}
	for _, f := range files {
		if val, ok := f.values[s.key]; ok && val != "" {
			v.Value, v.Source = val, Source{Kind: SourceFile, Name: f.file.Path}
			return v
		}
	}
	if s.def != "" {
		v.Value, v.Source = s.def, Source{Kind: SourceDefault}
		return v
	}
	v.Source = Source{Kind: SourceUnset}
	return v
}

// SourceError is a setting whose value is invalid, naming where it came from.
type SourceError struct {
	Value Value
	Msg   string
}

func (e *SourceError) Error() string {
	return fmt.Sprintf("invalid %s %q (from %s): %s", e.Value.Key, e.Value.Display(), e.Value.Source, e.Msg)
}

func validate(v Value) error {
	if v.Value == "" {
		return nil
	}
	switch v.Key {
	case KeyURL:
		u, err := url.Parse(v.Value)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &SourceError{Value: v, Msg: "must be an http:// or https:// URL such as https://sentry.io/"}
		}
	case KeyLogLevel:
		if _, err := term.ParseLogLevel(v.Value); err != nil {
			return &SourceError{Value: v, Msg: "use error, warn, info or debug"}
		}
	case KeyBackends:
		if _, err := ParseBackends(v.Value); err != nil {
			return &SourceError{Value: v, Msg: err.Error()}
		}
	case KeyTimeout:
		if _, err := ParseTimeout(v.Value); err != nil {
			return &SourceError{Value: v, Msg: err.Error()}
		}
	}
	return nil
}

// UserConfigPath is where the user-level config file lives for env.
func UserConfigPath(env Environment) string {
	if env.UserConfigDir == "" {
		return ""
	}
	return filepath.Join(env.UserConfigDir, "mapback", "config.yaml")
}

// ParseTimeout reads a timeout: a Go duration ("90s", "10m", "1h30m") or a
// number of seconds; "" is 0, the command's default.
func ParseTimeout(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, serr := strconv.ParseFloat(s, 64)
		if serr != nil {
			return 0, fmt.Errorf("use a duration such as 90s or 10m")
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d <= 0 {
		return 0, fmt.Errorf("must be positive, such as 90s or 10m")
	}
	return d, nil
}

// Backends are the error trackers mapback works for.
type Backends struct {
	Sentry  bool
	PostHog bool
}

// ParseBackends reads the backends setting: "sentry", "posthog" or both,
// comma-separated, in any case; "" is Sentry alone.
func ParseBackends(s string) (Backends, error) {
	var b Backends
	for _, part := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(part)) {
		case "":
		case "sentry":
			b.Sentry = true
		case "posthog":
			b.PostHog = true
		default:
			return Backends{}, fmt.Errorf("unknown backend %q: use sentry, posthog, or sentry,posthog", strings.TrimSpace(part))
		}
	}
	if !b.Sentry && !b.PostHog {
		b.Sentry = true
	}
	return b, nil
}
