package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "mapback-bin")
	if err := os.WriteFile(bin, []byte("\x7fELF fake"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := run("1.2.3", out, "", binFlags{"linux/amd64": bin}); err != nil {
		t.Fatal(err)
	}

	var main manifest
	readJSON(t, filepath.Join(out, "cli", "package.json"), &main)
	if main.Name != "@mapback/cli" || main.Version != "1.2.3" || main.Bin["mapback"] != "bin/mapback.js" {
		t.Errorf("main package: %+v", main)
	}
	if len(main.OptionalDependencies) != len(targets) {
		t.Errorf("optional dependencies %v, want one per target", main.OptionalDependencies)
	}
	for _, tg := range targets {
		if main.OptionalDependencies[tg.pkgName()] != "1.2.3" {
			t.Errorf("%s: %q, want the same version", tg.pkgName(), main.OptionalDependencies[tg.pkgName()])
		}
	}
	js, err := os.ReadFile(filepath.Join(out, "cli", "bin", "mapback.js"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), "__PACKAGES__") || !strings.Contains(string(js), `"win32 arm64": "@mapback/cli-win32-arm64"`) {
		t.Errorf("launcher's package table not filled in:\n%s", js)
	}

	var plat manifest
	readJSON(t, filepath.Join(out, "cli-linux-x64", "package.json"), &plat)
	if plat.Name != "@mapback/cli-linux-x64" || plat.OS[0] != "linux" || plat.CPU[0] != "x64" || plat.Bin != nil {
		t.Errorf("platform package: %+v", plat)
	}
	st, err := os.Stat(filepath.Join(out, "cli-linux-x64", "bin", "mapback"))
	if err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("binary: %v %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(out, "cli-darwin-arm64")); err == nil {
		t.Error("a package was written for a target with no binary")
	}
	for _, raw := range []string{"cli/package.json", "cli-linux-x64/package.json"} {
		data, _ := os.ReadFile(filepath.Join(out, raw))
		if strings.Contains(string(data), `"scripts"`) {
			t.Errorf("%s has scripts", raw)
		}
	}
}

func TestRunRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		version string
		bins    binFlags
		want    string
	}{
		{"v1.2.3", binFlags{"linux/amd64": "x"}, "semantic version"},
		{"1.2", binFlags{"linux/amd64": "x"}, "semantic version"},
		{"1.2.3", nil, "no binaries"},
		{"1.2.3", binFlags{"plan9/386": "x"}, "not a release target"},
	} {
		err := run(tt.version, filepath.Join(dir, "out"), "", tt.bins)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q, %v) = %v, want %q", tt.version, tt.bins, err, tt.want)
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
