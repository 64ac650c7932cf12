package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mapback/mapback/internal/config"
	"github.com/mapback/mapback/internal/term"
	"github.com/mapback/mapback/internal/testkit"
)

// fakeEnv is an isolated machine: no real config files, no real variables.
type fakeEnv struct {
	dir  string
	vars map[string]string
}

func newFakeEnv(t *testing.T) *fakeEnv {
	dir := t.TempDir()
	for _, d := range []string{"home/.config", "home/proj"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &fakeEnv{dir: dir, vars: map[string]string{}}
}

func (f *fakeEnv) env() config.Environment {
	return config.Environment{
		LookupEnv:     func(k string) (string, bool) { v, ok := f.vars[k]; return v, ok },
		WorkDir:       filepath.Join(f.dir, "home/proj"),
		UserConfigDir: filepath.Join(f.dir, "home/.config"),
		HomeDir:       filepath.Join(f.dir, "home"),
		UserCacheDir:  filepath.Join(f.dir, "home/.cache"),
	}
}

func (f *fakeEnv) write(t *testing.T, rel, content string) {
	t.Helper()
	testkit.WriteFile(t, filepath.Join(f.dir, rel), content)
}

type result struct {
	code        int
	stdout, err string
}

func run(t *testing.T, f *fakeEnv, args ...string) result {
	t.Helper()
	return runCtx(t, context.Background(), f, args...)
}

func runCtx(t *testing.T, ctx context.Context, f *fakeEnv, args ...string) result {
	t.Helper()
	streams, _, out, errOut := term.Test()
	code := Run(ctx, args, streams, f.env())
	return result{code: code, stdout: out.String(), err: errOut.String()}
}

func TestEveryCommandHasExamples(t *testing.T) {
	streams, _, _, _ := term.Test()
	root := newRootCmd(newApp(streams, config.Environment{}))
	var walk func(c *cobra.Command)
	count := 0
	walk = func(c *cobra.Command) {
		if !c.Hidden {
			count++
			if strings.TrimSpace(c.Example) == "" {
				t.Errorf("%q has no examples in --help", c.CommandPath())
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if count < 8 { // root, version, config, help, completion and its four shells
		t.Fatalf("walked only %d commands", count)
	}
}

func TestExitCodes(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		ctx      context.Context
		setup    func(t *testing.T, f *fakeEnv)
		args     []string
		wantCode int
		wantErr  string
	}{
		{"help", nil, nil, []string{"--help"}, ExitOK, ""},
		{"no arguments shows help", nil, nil, nil, ExitOK, ""},
		{"version", nil, nil, []string{"version"}, ExitOK, ""},
		{"unknown command with suggestion", nil, nil, []string{"cofnig"}, ExitUsage, `did you mean "config"?`},
		{"unknown flag", nil, nil, []string{"config", "--bogus"}, ExitUsage, "unknown flag: --bogus"},
		{"surplus argument", nil, nil, []string{"version", "extra"}, ExitUsage, "takes no arguments"},
		{"invalid log level flag", nil, nil, []string{"--log-level", "loud", "config"}, ExitUsage, "flag --log-level"},
		{"invalid url from the environment is not a usage error", nil, func(t *testing.T, f *fakeEnv) {
			f.vars["MAPBACK_URL"] = "sentry.example.com"
		}, []string{"config"}, ExitFailure, "env MAPBACK_URL"},
		{"surplus argument to a cobra built-in", nil, nil, []string{"completion", "bash", "extra"}, ExitUsage, "Run 'mapback completion bash --help'"},
		{"unknown shell", nil, nil, []string{"completion", "tcsh"}, ExitUsage, `unknown shell "tcsh"`},
		{"unknown help topic", nil, nil, []string{"help", "nosuch"}, ExitUsage, `unknown help topic "nosuch"`},
		{"help topic", nil, nil, []string{"help", "config"}, ExitOK, ""},
		{"broken config does not stop bare mapback", nil, func(t *testing.T, f *fakeEnv) {
			f.write(t, "home/proj/.mapback.yaml", "org: [\n")
		}, nil, ExitOK, ""},
		{"broken config does not stop TAB completion", nil, func(t *testing.T, f *fakeEnv) {
			f.write(t, "home/proj/.mapback.yaml", "org: [\n")
		}, []string{"__complete", "con"}, ExitOK, ""},
		{"broken config file", nil, func(t *testing.T, f *fakeEnv) {
			f.write(t, "home/proj/.mapback.yaml", "org: a\n\tproject: b\n")
		}, []string{"config"}, ExitFailure, ".mapback.yaml: line 2:"},
		{"broken config does not stop version", nil, func(t *testing.T, f *fakeEnv) {
			f.write(t, "home/proj/.mapback.yaml", "org: [\n")
		}, []string{"version"}, ExitOK, ""},
		{"interrupted", cancelled, nil, []string{"config"}, ExitInterrupted, "interrupted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEnv(t)
			if tt.setup != nil {
				tt.setup(t, f)
			}
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			r := runCtx(t, ctx, f, tt.args...)
			if r.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstderr: %s", r.code, tt.wantCode, r.err)
			}
			if !strings.Contains(r.err, tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", r.err, tt.wantErr)
			}
		})
	}
}

func TestExitCodeFunction(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	bg := context.Background()
	tests := []struct {
		ctx  context.Context
		err  error
		want int
	}{
		{bg, nil, ExitOK},
		{bg, errors.New("boom"), ExitFailure},
		{bg, ErrSilent, ExitFailure},
		{bg, fmt.Errorf("wrapped: %w", &UsageError{Err: errors.New("bad flag")}), ExitUsage},
		{bg, fmt.Errorf("upload: %w", context.Canceled), ExitInterrupted},
		{cancelled, errors.New("connection reset"), ExitInterrupted},
		{cancelled, &UsageError{Err: errors.New("x")}, ExitInterrupted},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.ctx, tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestVersionJSON(t *testing.T) {
	r := run(t, newFakeEnv(t), "version", "--json")
	var info map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil {
		t.Fatalf("version --json is not JSON: %v\n%s", err, r.stdout)
	}
	for _, k := range []string{"version", "go_version", "platform", "source"} {
		if info[k] == "" {
			t.Errorf("version --json lacks %q: %s", k, r.stdout)
		}
	}
	if r.err != "" {
		t.Errorf("stderr = %q", r.err)
	}
}

func TestConfigShowsSources(t *testing.T) {
	f := newFakeEnv(t)
	f.vars["SENTRY_ORG"] = "from-sentry-env"
	f.vars["MAPBACK_PROJECT"] = "from-mapback-env"
	f.vars["SENTRY_PROJECT"] = "ignored"
	f.write(t, "home/proj/.mapback.yaml", "release: 1.2.3\nprojet: typo\n")
	f.write(t, "home/.sentryclirc", "[defaults]\nurl = https://self-hosted.example.com/\n")

	r := run(t, f, "--url", "https://flag.example.com/", "config")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	yaml := filepath.Join(f.dir, "home/proj/.mapback.yaml")
	for _, want := range []string{
		"url                 https://flag.example.com/  flag --url",
		"org                 from-sentry-env            env SENTRY_ORG",
		"project             from-mapback-env           env MAPBACK_PROJECT",
		"release             1.2.3                      file " + yaml,
		"log_level           warn                       default",
		"auth_token          -                          not set",
		filepath.Join(f.dir, "home/.sentryclirc"),
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.err, `unknown key "projet"`) || !strings.Contains(r.err, yaml) {
		t.Errorf("want an unknown-key warning naming the file, got %q", r.err)
	}

	// --quiet silences the warning but not the result.
	r = run(t, f, "-q", "config")
	if r.err != "" || r.stdout == "" {
		t.Errorf("quiet: stderr %q, stdout %d bytes", r.err, len(r.stdout))
	}

	r = run(t, f, "config", "--json")
	var got configJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("config --json: %v\n%s", err, r.stdout)
	}
	if got.Settings[2].Key != "org" || got.Settings[2].Source != (config.Source{Kind: config.SourceEnv, Name: "SENTRY_ORG"}) {
		t.Errorf("org in JSON = %+v", got.Settings[2])
	}
	if len(got.Warnings) != 1 {
		t.Errorf("JSON warnings = %q", got.Warnings)
	}
}

// TestTokenNeverPrinted puts the token in every place it can come from and
// runs every command that could show it, at debug level, and looks for it in
// all output.
func TestTokenNeverPrinted(t *testing.T) {
	const token = "sntrys_eyJpYXQiOjE3MzAwMDAwMDAsInVybCI6Imh0dHBzOi8vc2VudHJ5LmlvIn0_Zx9Q"
	sources := map[string]func(t *testing.T, f *fakeEnv) []string{
		"flag":  func(t *testing.T, f *fakeEnv) []string { return []string{"--auth-token", token} },
		"flag=": func(t *testing.T, f *fakeEnv) []string { return []string{"--auth-token=" + token} },
		"MAPBACK_AUTH_TOKEN": func(t *testing.T, f *fakeEnv) []string {
			f.vars["MAPBACK_AUTH_TOKEN"] = token
			return nil
		},
		"SENTRY_AUTH_TOKEN": func(t *testing.T, f *fakeEnv) []string {
			f.vars["SENTRY_AUTH_TOKEN"] = token
			return nil
		},
		".mapback.yaml": func(t *testing.T, f *fakeEnv) []string {
			f.write(t, "home/proj/.mapback.yaml", "auth_token: "+token+"\n")
			return nil
		},
		"user config.yaml": func(t *testing.T, f *fakeEnv) []string {
			f.write(t, "home/.config/mapback/config.yaml", "auth_token: "+token+"\n")
			return nil
		},
		".sentryclirc": func(t *testing.T, f *fakeEnv) []string {
			f.write(t, "home/.sentryclirc", "[auth]\ntoken="+token+"\n")
			return nil
		},
	}
	commands := [][]string{
		{"--log-level", "debug", "config"},
		{"--log-level", "debug", "config", "--json"},
		{"--log-level", "debug", "version"},
		// an error path: the URL is invalid, the token is still around
		{"--log-level", "debug", "--url", "ftp://" + token, "config"},
		// argument checks fail before any configuration is loaded
		{"config", token},
		{"version", token},
	}
	for name, setup := range sources {
		for _, cmd := range commands {
			t.Run(name+"/"+strings.Join(cmd, " "), func(t *testing.T) {
				f := newFakeEnv(t)
				args := append(setup(t, f), cmd...)
				r := run(t, f, args...)
				all := r.stdout + r.err
				if strings.Contains(all, token) || strings.Contains(all, token[:len(token)-4]) {
					t.Fatalf("token leaked (exit %d):\n%s", r.code, all)
				}
				if cmd[len(cmd)-1] == "config" && len(cmd) > 2 && cmd[2] != "--url" && !strings.Contains(all, "****Zx9Q") {
					t.Errorf("redacted token not shown:\n%s", all)
				}
			})
		}
	}
}

func TestNoColorWhenNotATTY(t *testing.T) {
	streams, _, _, errOut := term.Test()
	streams.SetTTY(false, true)
	f := newFakeEnv(t)
	Run(context.Background(), []string{"--no-color", "nosuchcommand"}, streams, f.env())
	if bytes.Contains(errOut.Bytes(), []byte("\x1b[")) {
		t.Errorf("--no-color output has escapes: %q", errOut)
	}
	streams, _, _, errOut = term.Test()
	streams.SetTTY(false, true)
	Run(context.Background(), []string{"nosuchcommand"}, streams, f.env())
	if !bytes.Contains(errOut.Bytes(), []byte("\x1b[31merror:")) {
		t.Errorf("TTY error should be red: %q", errOut)
	}
}

func TestSentryclircErrorDoesNotEchoTheToken(t *testing.T) {
	f := newFakeEnv(t)
	const token = "sntrys_missing_equals_sign_0123456789"
	f.write(t, "home/.sentryclirc", "[auth]\ntoken "+token+"\n")
	r := run(t, f, "config")
	if r.code != ExitFailure || !strings.Contains(r.err, ".sentryclirc: line 2") || strings.Contains(r.err+r.stdout, token) {
		t.Fatalf("exit %d, stderr %q", r.code, r.err)
	}
}

func TestConfigStdoutHasNoColour(t *testing.T) {
	streams, _, out, _ := term.Test()
	streams.SetTTY(false, true) // stderr is a terminal, stdout is a file
	Run(context.Background(), []string{"config"}, streams, newFakeEnv(t).env())
	if bytes.Contains(out.Bytes(), []byte("\x1b[")) {
		t.Errorf("stdout has escape codes: %q", out)
	}
}
