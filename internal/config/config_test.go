package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mapback/mapback/internal/testkit"
)

// sandbox is a fake machine: a home directory with a user config dir and a
// project whose subdirectory is the working directory.
type sandbox struct {
	t                        *testing.T
	home, userCfg, proj, cwd string
	vars                     map[string]string
	dry                      bool // write nothing (see carries)
}

func newSandbox(t *testing.T) *sandbox {
	root := t.TempDir()
	sb := &sandbox{
		t:       t,
		home:    filepath.Join(root, "home"),
		userCfg: filepath.Join(root, "home", ".config"),
		proj:    filepath.Join(root, "home", "proj"),
		cwd:     filepath.Join(root, "home", "proj", "web", "dist"),
		vars:    map[string]string{},
	}
	if err := os.MkdirAll(sb.cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	return sb
}

func (sb *sandbox) write(path, content string) string {
	if sb.dry {
		return path
	}
	sb.t.Helper()
	testkit.WriteFile(sb.t, path, content)
	return path
}

func (sb *sandbox) env() Environment {
	return Environment{
		LookupEnv:     func(k string) (string, bool) { v, ok := sb.vars[k]; return v, ok },
		WorkDir:       sb.cwd,
		UserConfigDir: sb.userCfg,
		HomeDir:       sb.home,
	}
}

func (sb *sandbox) load(opts Options) (*Config, error) {
	return Load(context.Background(), sb.env(), opts)
}

// layer is one place a value can come from, in precedence order (highest
// first). set puts value for key into that layer; ok=false when the layer
// cannot carry that key (e.g. release has no flag and no .sentryclirc key).
type layer struct {
	name   string
	set    func(sb *sandbox, opts *Options, k Key, value string) bool
	source func(sb *sandbox) Source
}

func yamlFile(path func(sb *sandbox) string) func(*sandbox, *Options, Key, string) bool {
	return func(sb *sandbox, _ *Options, k Key, v string) bool {
		sb.write(path(sb), fmt.Sprintf("%s: %q\n", k, v))
		return true
	}
}

func iniFile(path func(sb *sandbox) string) func(*sandbox, *Options, Key, string) bool {
	return func(sb *sandbox, _ *Options, k Key, v string) bool {
		s, _ := lookupSetting(k)
		if s.ini.key == "" {
			return false
		}
		sb.write(path(sb), fmt.Sprintf("; written by the test\n[%s]\n%s = %s\n", s.ini.section, s.ini.key, v))
		return true
	}
}

func envVar(index int) func(*sandbox, *Options, Key, string) bool {
	return func(sb *sandbox, _ *Options, k Key, v string) bool {
		names := EnvVars(k)
		if index >= len(names) {
			return false
		}
		sb.vars[names[index]] = v
		return true
	}
}

func projectYAML(sb *sandbox) string { return filepath.Join(sb.proj, ".mapback.yaml") }
func userYAML(sb *sandbox) string    { return filepath.Join(sb.userCfg, "mapback", "config.yaml") }
func projectRC(sb *sandbox) string   { return filepath.Join(sb.proj, ".sentryclirc") }
func homeRC(sb *sandbox) string      { return filepath.Join(sb.home, ".sentryclirc") }

var layers = []layer{
	{"flag", func(_ *sandbox, o *Options, k Key, v string) bool {
		if FlagName(k) == "" {
			return false
		}
		o.Flags[k] = v
		return true
	}, nil},
	{"MAPBACK_ env", envVar(0), nil},
	{"SENTRY_ env", envVar(1), nil},
	{"project .mapback.yaml", yamlFile(projectYAML), func(sb *sandbox) Source { return Source{SourceFile, projectYAML(sb)} }},
	{"user config.yaml", yamlFile(userYAML), func(sb *sandbox) Source { return Source{SourceFile, userYAML(sb)} }},
	{"project .sentryclirc", iniFile(projectRC), func(sb *sandbox) Source { return Source{SourceFile, projectRC(sb)} }},
	{"home .sentryclirc", iniFile(homeRC), func(sb *sandbox) Source { return Source{SourceFile, homeRC(sb)} }},
}

// carries reports whether layer l can hold key k at all.
func carries(l layer, k Key) bool {
	return l.set(newDrySandbox(), &Options{Flags: map[Key]string{}}, k, "probe")
}

// newDrySandbox accepts values without touching the file system: only the
// answer of set matters.
func newDrySandbox() *sandbox {
	return &sandbox{vars: map[string]string{}, dry: true}
}

func expectedSource(l layer, sb *sandbox, k Key) Source {
	switch l.name {
	case "flag":
		return Source{SourceFlag, "--" + FlagName(k)}
	case "MAPBACK_ env":
		return Source{SourceEnv, EnvVars(k)[0]}
	case "SENTRY_ env":
		return Source{SourceEnv, EnvVars(k)[1]}
	}
	return l.source(sb)
}

// valueFor gives each layer a distinct valid value for key k.
func valueFor(k Key, layerIndex int) string {
	switch k {
	case KeyURL:
		return fmt.Sprintf("https://layer%d.example.com/", layerIndex)
	case KeyLogLevel:
		return []string{"error", "warn", "info", "debug"}[layerIndex%4]
	case KeyAuthToken:
		return fmt.Sprintf("sntrys_token_from_layer_%d_xyz", layerIndex)
	case KeyTimeout:
		return fmt.Sprintf("%ds", 10+layerIndex)
	case KeyBackends:
		return []string{"sentry", "posthog", "sentry,posthog", "posthog,sentry"}[layerIndex%4]
	}
	return fmt.Sprintf("%s-layer%d", k, layerIndex)
}

// TestPrecedencePairs sets every pair of layers for every key they can both
// carry and checks that the higher layer wins and is reported as the source.
func TestPrecedencePairs(t *testing.T) {
	pairs := 0
	for _, k := range Keys() {
		for hi := range layers {
			for lo := hi + 1; lo < len(layers); lo++ {
				// Log levels repeat every 4 layers; skip pairs that would tie.
				if (k == KeyLogLevel || k == KeyBackends) && valueFor(k, hi) == valueFor(k, lo) {
					continue
				}
				if !carries(layers[hi], k) || !carries(layers[lo], k) {
					continue // e.g. release has no flag and no .sentryclirc key
				}
				pairs++
				name := fmt.Sprintf("%s/%s>%s", k, layers[hi].name, layers[lo].name)
				t.Run(name, func(t *testing.T) {
					sb := newSandbox(t)
					opts := Options{Flags: map[Key]string{}}
					if !layers[hi].set(sb, &opts, k, valueFor(k, hi)) || !layers[lo].set(sb, &opts, k, valueFor(k, lo)) {
						t.Fatalf("%s: a layer refused a key carries() accepted", k)
					}
					cfg, err := sb.load(opts)
					if err != nil {
						t.Fatal(err)
					}
					got := cfg.Get(k)
					if got.Value != valueFor(k, hi) {
						t.Errorf("value = %q, want %q", got.Value, valueFor(k, hi))
					}
					if want := expectedSource(layers[hi], sb, k); got.Source != want {
						t.Errorf("source = %v, want %v", got.Source, want)
					}
				})
			}
		}
	}
	// A change that made most combinations inapplicable would hollow this test out.
	if pairs < 100 {
		t.Fatalf("only %d precedence pairs were exercised", pairs)
	}
}

func TestEachLayerAloneAndDefaults(t *testing.T) {
	sb := newSandbox(t)
	cfg, err := sb.load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v := cfg.Get(KeyURL); v.Value != DefaultURL || v.Source.Kind != SourceDefault {
		t.Errorf("url = %+v, want default %s", v, DefaultURL)
	}
	if v := cfg.Get(KeyLogLevel); v.Value != "warn" || v.Source.Kind != SourceDefault {
		t.Errorf("log_level = %+v", v)
	}
	if v := cfg.Get(KeyOrg); v.Value != "" || v.Source.Kind != SourceUnset || v.Source.String() != "not set" {
		t.Errorf("org = %+v", v)
	}
}

func TestEmptyValuesDoNotHideLowerLayers(t *testing.T) {
	sb := newSandbox(t)
	sb.vars["MAPBACK_ORG"] = ""
	sb.vars["SENTRY_ORG"] = "  "
	sb.write(projectYAML(sb), "org:\nproject: web\n")
	sb.write(homeRC(sb), "[defaults]\norg = acme\n")
	cfg, err := sb.load(Options{Flags: map[Key]string{KeyOrg: ""}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Org != "acme" || cfg.Get(KeyOrg).Source != (Source{SourceFile, homeRC(sb)}) {
		t.Errorf("org = %+v", cfg.Get(KeyOrg))
	}
	if cfg.Project != "web" {
		t.Errorf("project = %q", cfg.Project)
	}
}

func TestExplicitConfigFile(t *testing.T) {
	sb := newSandbox(t)
	sb.write(projectYAML(sb), "org: from-project\n")
	sb.write(userYAML(sb), "project: from-user\n")
	custom := sb.write(filepath.Join(sb.home, "ci.yaml"), "org: from-ci\n")
	sb.write(homeRC(sb), "[defaults]\nproject = from-rc\n")

	for _, how := range []string{"flag", "MAPBACK_CONFIG"} {
		t.Run(how, func(t *testing.T) {
			opts := Options{}
			sb.vars = map[string]string{}
			if how == "flag" {
				opts.ConfigFile = "../../../ci.yaml" // relative to the working directory
			} else {
				sb.vars["MAPBACK_CONFIG"] = custom
			}
			cfg, err := sb.load(opts)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Org != "from-ci" {
				t.Errorf("org = %q, want from-ci", cfg.Org)
			}
			// The explicit file replaces .mapback.yaml discovery, but
			// .sentryclirc still applies beneath it.
			if cfg.Project != "from-rc" {
				t.Errorf("project = %q, want from-rc", cfg.Project)
			}
		})
	}

	_, err := sb.load(Options{ConfigFile: filepath.Join(sb.home, "missing.yaml")})
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "missing.yaml") || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing --config file: err = %v", err)
	}
}

func TestNearestFilesWin(t *testing.T) {
	sb := newSandbox(t)
	near := sb.write(filepath.Join(sb.cwd, "..", ".mapback.yaml"), "org: near\n")
	sb.write(projectYAML(sb), "org: far\nproject: far\n")
	cfg, err := sb.load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Org != "near" || cfg.Get(KeyOrg).Source.Name != filepath.Clean(near) {
		t.Errorf("org = %+v", cfg.Get(KeyOrg))
	}
	// Only the nearest .mapback.yaml is read: files do not stack upwards.
	if cfg.Project != "" {
		t.Errorf("project = %q, want unset", cfg.Project)
	}
}

func TestUnknownKeysWarn(t *testing.T) {
	sb := newSandbox(t)
	p := sb.write(projectYAML(sb), "org: acme\nprojcet: web\nupload:\n  concurrency: 4\n")
	cfg, err := sb.load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 2 {
		t.Fatalf("warnings = %q", cfg.Warnings)
	}
	want := fmt.Sprintf("config file %s: unknown key \"projcet\" (ignored); did you mean \"project\"?", p)
	if cfg.Warnings[0] != want {
		t.Errorf("warning = %q\nwant      %q", cfg.Warnings[0], want)
	}
	if !strings.Contains(cfg.Warnings[1], `"upload.concurrency"`) {
		t.Errorf("nested key warning = %q", cfg.Warnings[1])
	}
	// The reference client's own sections in .sentryclirc are not ours to judge.
	sb.write(homeRC(sb), "[defaults]\norg = x\n[http]\nmax_retries = 3\n")
	cfg, err = sb.load(Options{})
	if err != nil || len(cfg.Warnings) != 2 {
		t.Fatalf("err=%v warnings=%q", err, cfg.Warnings)
	}
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name, file, content string
		wantLine            int
		wantMsg             string
	}{
		// yaml.v3 reports the line where an unclosed construct opens.
		{"yaml unterminated quote", ".mapback.yaml", "org: acme\nproject: \"web\nurl: x\n", 2, "unexpected end of stream"},
		{"yaml duplicate key", ".mapback.yaml", "org: a\nproject: b\norg: c\n", 3, `mapping key "org" already defined at line 1`},
		{"yaml bad indentation", ".mapback.yaml", "org: acme\n  project: web\n", 2, "mapping values are not allowed"},
		{"yaml list value", ".mapback.yaml", "org:\n  - a\n  - b\n", 1, `key "org" must be a single value, not a list`},
		{"yaml mapping value", ".mapback.yaml", "url: https://x.example/\nauth_token:\n  a: x\n", 2, `key "auth_token" must be a single value, not a mapping`},
		{"yaml top-level list", ".mapback.yaml", "- org\n", 1, ""},
		{"ini garbage line", ".sentryclirc", "[defaults]\norg = acme\nthis is not ini\n", 3, `expected "key = value"`},
		{"ini unclosed section", ".sentryclirc", "[auth\ntoken = x\n", 1, "section header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := newSandbox(t)
			path := sb.write(filepath.Join(sb.proj, tt.file), tt.content)
			_, err := sb.load(Options{})
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *ParseError", err)
			}
			if pe.Path != path || pe.Line != tt.wantLine || !strings.Contains(pe.Msg, tt.wantMsg) {
				t.Errorf("got %q (path %s line %d), want line %d containing %q", err, pe.Path, pe.Line, tt.wantLine, tt.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), "config file "+path) {
				t.Errorf("message does not start with the file: %q", err)
			}
		})
	}
}

func TestSentryclircDetails(t *testing.T) {
	sb := newSandbox(t)
	sb.write(homeRC(sb), "\ufeff# global\r\n[defaults]\r\nurl=https://self-hosted.example.com/\r\nORG : acme\r\n[auth]\r\ntoken = sntrys_secret_token_value_1234\r\n[log]\r\nlevel = trace\r\n")
	cfg, err := sb.load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.URL != "https://self-hosted.example.com/" || cfg.Org != "acme" || cfg.AuthToken != "sntrys_secret_token_value_1234" || cfg.LogLevel != "trace" {
		t.Errorf("got %+v", cfg)
	}
}

func TestInvalidValuesNameTheirSource(t *testing.T) {
	sb := newSandbox(t)
	sb.vars["SENTRY_URL"] = "sentry.example.com"
	_, err := sb.load(Options{})
	if err == nil || !strings.Contains(err.Error(), "env SENTRY_URL") || !strings.Contains(err.Error(), "https://") {
		t.Fatalf("err = %v", err)
	}
	sb.vars = map[string]string{}
	_, err = sb.load(Options{Flags: map[Key]string{KeyLogLevel: "loud"}})
	if err == nil || !strings.Contains(err.Error(), "flag --log-level") {
		t.Fatalf("err = %v", err)
	}
}

func TestSecretsAreRedactedForDisplay(t *testing.T) {
	sb := newSandbox(t)
	const token = "sntrys_eyJpYXQiOjE3MDAwMDAwMDB9_abcd"
	sb.vars["SENTRY_AUTH_TOKEN"] = token
	var secrets []string
	cfg, err := sb.load(Options{OnSecret: func(s string) { secrets = append(secrets, s) }})
	if err != nil {
		t.Fatal(err)
	}
	v := cfg.Get(KeyAuthToken)
	if v.Display() != "****abcd" || !v.Secret {
		t.Errorf("display = %q", v.Display())
	}
	if len(secrets) != 1 || secrets[0] != token {
		t.Errorf("OnSecret got %q", secrets)
	}
	// Secrets are reported even when validation then fails.
	secrets = nil
	sb.vars["MAPBACK_URL"] = "not a url"
	if _, err := sb.load(Options{OnSecret: func(s string) { secrets = append(secrets, s) }}); err == nil || len(secrets) != 1 {
		t.Errorf("err = %v, secrets = %q", err, secrets)
	}
	// A SourceError about a secret must not print it either.
	if msg := (&SourceError{Value: v, Msg: "x"}).Error(); strings.Contains(msg, token) {
		t.Errorf("error leaks the token: %s", msg)
	}
}

func TestURLPasswordIsASecret(t *testing.T) {
	sb := newSandbox(t)
	sb.vars["MAPBACK_URL"] = "https://ci:s3cr3t-pass@sentry.example.com/"
	var secrets []string
	cfg, err := sb.load(Options{OnSecret: func(s string) { secrets = append(secrets, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Get(KeyURL).Display(); got != "https://ci:****@sentry.example.com/" {
		t.Errorf("display = %q", got)
	}
	if len(secrets) != 1 || secrets[0] != "s3cr3t-pass" {
		t.Errorf("secrets = %q", secrets)
	}
}

func TestExplicitFileSaysWhereItCameFrom(t *testing.T) {
	sb := newSandbox(t)
	p := sb.write(filepath.Join(sb.home, "ci.yaml"), "org: x\n")
	sb.vars["MAPBACK_CONFIG"] = p
	cfg, err := sb.load(Options{})
	if err != nil || cfg.Files[0].Why != "MAPBACK_CONFIG" {
		t.Fatalf("err=%v files=%+v", err, cfg.Files)
	}
	cfg, err = sb.load(Options{ConfigFile: p})
	if err != nil || cfg.Files[0].Why != "--config" {
		t.Fatalf("err=%v files=%+v", err, cfg.Files)
	}
}

// TestForeignFilesGiveOneErrorWithoutContent: MAPBACK_CONFIG pointed at a
// file that is not a mapback config (/etc/shadow once printed every line as
// an "unknown key") fails with one error that quotes none of it, and a file
// that never ends (/dev/zero) is not read to the end.
func TestForeignFilesGiveOneErrorWithoutContent(t *testing.T) {
	sb := newSandbox(t)
	const secret = "s3cr3t-hash"
	files := map[string]string{
		"shadow": "root:" + secret + ":20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\nbin:*:20228:0:99999:7:::\n",
		"passwd": "root:x:0:0:" + secret + ":/root:/bin/bash\n",
		"env":    "TOKEN=" + secret + "\n",
		"list":   "- " + secret + "\n",
		"binary": "org: x\x00" + secret,
		"huge":   "org: x\n#" + strings.Repeat(secret, 100000) + "\n",
	}
	for name, content := range files {
		t.Run(name, func(t *testing.T) {
			p := sb.write(filepath.Join(sb.home, name), content)
			sb.vars = map[string]string{"MAPBACK_CONFIG": p}
			cfg, err := sb.load(Options{})
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (warnings %q), want one *ParseError", err, warningsOf(cfg))
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "root") {
				t.Errorf("the error quotes the file: %q", err)
			}
			if !strings.HasPrefix(err.Error(), "config file "+p+": ") {
				t.Errorf("the error does not name the file first: %q", err)
			}
		})
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		sb.vars = map[string]string{"MAPBACK_CONFIG": "/dev/zero"}
		if _, err := sb.load(Options{}); err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") {
			t.Errorf("/dev/zero: %v", err)
		}
	}
	// One misspelt key alone is still a config file with a typo.
	p := sb.write(filepath.Join(sb.home, "typo.yaml"), "orgg: acme\n")
	sb.vars = map[string]string{"MAPBACK_CONFIG": p}
	cfg, err := sb.load(Options{})
	if err != nil || len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], `did you mean "org"?`) {
		t.Errorf("a lone typo: err %v, warnings %q", err, warningsOf(cfg))
	}
}

func warningsOf(cfg *Config) []string {
	if cfg == nil {
		return nil
	}
	return cfg.Warnings
}
