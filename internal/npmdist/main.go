// Command npmdist writes mapback's npm packages: a main package, @mapback/cli, whose bin is a small
// launcher, and one package per release target (@mapback/cli-linux-x64, …) holding that target's
// binary, selected by npm through its os and cpu fields and listed as the main package's optional
// dependencies. This is the model of esbuild and Biome: no install script, no download at install
// time, so `npm install` works wherever only the npm registry is reachable. All packages share one
// version.
//
// Usage:
//
//	go run ./internal/npmdist -version 1.2.3 -out DIR -dist dist/      # goreleaser's output
//	go run ./internal/npmdist -version 1.2.3 -out DIR -bin linux/amd64=bin/mapback
//
// Then `npm pack` (or `npm publish`) in each directory under DIR. testdata/npm/check.sh packs them,
// installs the tarballs in a scratch project and runs `npx mapback` there.
package main

import (
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

//go:embed launcher.js
var launcher string

// target is one release platform, in Go's and in npm's names.
type target struct {
	goos, goarch string // as goreleaser builds them
	os, cpu      string // as npm's os and cpu fields (process.platform, process.arch) name them
}

// targets are the release targets of .goreleaser.yaml.
var targets = []target{
	{"linux", "amd64", "linux", "x64"},
	{"linux", "arm64", "linux", "arm64"},
	{"darwin", "amd64", "darwin", "x64"},
	{"darwin", "arm64", "darwin", "arm64"},
	{"windows", "amd64", "win32", "x64"},
	{"windows", "arm64", "win32", "arm64"},
}

const (
	scope       = "@mapback"
	mainName    = scope + "/cli"
	description = "Source maps for JavaScript error tracking: inject debug IDs, upload to Sentry and PostHog, resolve stack traces offline"
	repository  = "https://github.com/mapback/mapback"
)

func (t target) pkgName() string { return mainName + "-" + t.os + "-" + t.cpu }
func (t target) exe() string {
	if t.goos == "windows" {
		return "mapback.exe"
	}
	return "mapback"
}

func main() {
	version := flag.String("version", "", "version of every package (semver, no leading v)")
	out := flag.String("out", "", "directory to write the packages into (one subdirectory each)")
	dist := flag.String("dist", "", "goreleaser's dist directory, holding mapback_<os>_<arch>*/mapback")
	var bins binFlags
	flag.Var(&bins, "bin", "goos/goarch=path of one binary (repeatable; instead of or besides -dist)")
	flag.Parse()
	if err := run(*version, *out, *dist, bins); err != nil {
		fmt.Fprintln(os.Stderr, "npmdist:", err)
		os.Exit(1)
	}
}

// binFlags collects -bin goos/goarch=path.
type binFlags map[string]string

func (b *binFlags) String() string { return fmt.Sprint(map[string]string(*b)) }
func (b *binFlags) Set(v string) error {
	platform, path, ok := strings.Cut(v, "=")
	if !ok || !strings.Contains(platform, "/") || path == "" {
		return fmt.Errorf("want goos/goarch=path, got %q", v)
	}
	if *b == nil {
		*b = binFlags{}
	}
	(*b)[platform] = path
	return nil
}

var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

func run(version, out, dist string, bins binFlags) error {
	if !semver.MatchString(version) {
		return fmt.Errorf("-version %q is not a semantic version such as 1.2.3", version)
	}
	if out == "" {
		return errors.New("-out is required")
	}
	found := map[string]string{} // goos/goarch → binary
	if dist != "" {
		for _, t := range targets {
			matches, _ := filepath.Glob(filepath.Join(dist, "mapback_"+t.goos+"_"+t.goarch+"*", t.exe()))
			if len(matches) > 0 {
				sort.Strings(matches)
				found[t.goos+"/"+t.goarch] = matches[0]
			}
		}
	}
	for platform, path := range bins {
		known := false
		for _, t := range targets {
			known = known || t.goos+"/"+t.goarch == platform
		}
		if !known {
			return fmt.Errorf("-bin %s: not a release target", platform)
		}
		found[platform] = path
	}
	if len(found) == 0 {
		return errors.New("no binaries: give -dist or -bin")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, t := range targets {
		path, ok := found[t.goos+"/"+t.goarch]
		if !ok {
			continue
		}
		if err := writePlatform(filepath.Join(out, "cli-"+t.os+"-"+t.cpu), t, version, path); err != nil {
			return fmt.Errorf("%s: %w", t.pkgName(), err)
		}
	}
	return writeMain(filepath.Join(out, "cli"), version)
}

// manifest is the package.json of a generated package.
type manifest struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Description          string            `json:"description"`
	License              string            `json:"license"`
	Repository           string            `json:"repository"`
	Bin                  map[string]string `json:"bin,omitempty"`
	OS                   []string          `json:"os,omitempty"`
	CPU                  []string          `json:"cpu,omitempty"`
	Files                []string          `json:"files"`
	OptionalDependencies map[string]string `json:"optionalDependencies,omitempty"`
	Engines              map[string]string `json:"engines,omitempty"`
	PreferUnplugged      bool              `json:"preferUnplugged,omitempty"`
}

func writeMain(dir, version string) error {
	packages := map[string]string{}
	optional := map[string]string{}
	for _, t := range targets {
		packages[t.os+" "+t.cpu] = t.pkgName()
		optional[t.pkgName()] = version
	}
	table, err := json.MarshalIndent(packages, "", "  ")
	if err != nil {
		return err
	}
	m := manifest{
		Name: mainName, Version: version, Description: description, License: "MIT", Repository: repository,
		Bin:                  map[string]string{"mapback": "bin/mapback.js"},
		Files:                []string{"bin/mapback.js"},
		OptionalDependencies: optional,
		Engines:              map[string]string{"node": ">=16"},
	}
	if err := writeManifest(dir, m); err != nil {
		return err
	}
	js := strings.Replace(launcher, "__PACKAGES__", string(table), 1)
	return writeFile(filepath.Join(dir, "bin", "mapback.js"), strings.NewReader(js), 0o755)
}

func writePlatform(dir string, t target, version, binary string) error {
	m := manifest{
		Name: t.pkgName(), Version: version, License: "MIT", Repository: repository,
		Description:     fmt.Sprintf("The mapback binary for %s/%s; installed by %s, not meant to be installed alone", t.os, t.cpu, mainName),
		OS:              []string{t.os},
		CPU:             []string{t.cpu},
		Files:           []string{"bin/" + t.exe()},
		PreferUnplugged: true, // Yarn PnP: a binary must exist as a real file to be executed
	}
	if err := writeManifest(dir, m); err != nil {
		return err
	}
	f, err := os.Open(binary)
	if err != nil {
		return err
	}
	defer f.Close()
	return writeFile(filepath.Join(dir, "bin", t.exe()), f, 0o755)
}

func writeManifest(dir string, m manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "package.json"), strings.NewReader(string(data)+"\n"), 0o644)
}

func writeFile(path string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}
