// Package buildinfo reports which mapback binary is running. Release builds get
// the version, commit and date through -ldflags; `go install …@vX` and plain
// `go build` fall back to what the Go toolchain records in the binary.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Set by the linker in release builds, e.g.
// -X github.com/mapback/mapback/internal/buildinfo.version=1.2.3
var (
	version = ""
	commit  = ""
	date    = ""
)

// Info describes the running binary.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
	// Source says where Version came from: "ldflags", "module" (go install
	// pkg@version), "vcs" (a local build from a git checkout: version "dev")
	// or "unknown".
	Source string `json:"source"`
}

// Get returns the build information, preferring linker-provided values.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(version, commit, date, bi)
}

// UserAgent is the value mapback sends in its User-Agent header.
func UserAgent() string { return "mapback/" + Get().Version }

func fromBuildInfo(ldVersion, ldCommit, ldDate string, bi *debug.BuildInfo) Info {
	info := Info{
		Version:   strings.TrimPrefix(ldVersion, "v"),
		Commit:    ldCommit,
		Date:      ldDate,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
		Source:    "ldflags",
	}
	if bi != nil {
		info.GoVersion = bi.GoVersion
	}
	if info.Version != "" {
		return info
	}

	info.Version, info.Source = "dev", "unknown"
	if bi == nil {
		return info
	}
	// A build inside a checkout records VCS data (and, since Go 1.24, a
	// pseudo-version made from it, which says nothing a user can act on);
	// `go install github.com/mapback/mapback/cmd/mapback@v1.2.3` records the
	// module version and no VCS data.
	hasVCS := false
	for _, s := range bi.Settings {
		hasVCS = hasVCS || s.Key == "vcs.revision"
	}
	switch v := bi.Main.Version; {
	case hasVCS:
		info.Source = "vcs"
	case v != "" && v != "(devel)":
		info.Version, info.Source = strings.TrimPrefix(v, "v"), "module"
	}
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if info.Commit == "" {
				info.Commit = s.Value
			}
		case "vcs.time":
			if info.Date == "" {
				info.Date = s.Value
			}
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && info.Commit != "" {
		info.Commit += "-dirty"
	}
	return info
}
