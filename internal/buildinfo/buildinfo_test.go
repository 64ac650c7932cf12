package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	vcs := &debug.BuildInfo{
		GoVersion: "go1.99",
		Main:      debug.Module{Path: "github.com/mapback/mapback", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc123"},
			{Key: "vcs.time", Value: "2026-11-21T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	module := &debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Version: "v1.4.0"}}
	// Go 1.24+ stamps checkout builds with a pseudo-version.
	pseudo := &debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Version: "v0.0.0-20261121050000-f6358e6b1c04+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "f6358e6b1c04"}}}

	tests := []struct {
		name                  string
		ldVersion, ldCommit   string
		bi                    *debug.BuildInfo
		wantVersion, wantFrom string
		wantCommit            string
	}{
		{"ldflags win", "v2.0.0", "deadbeef", vcs, "2.0.0", "ldflags", "deadbeef"},
		{"go install records the module version", "", "", module, "1.4.0", "module", ""},
		{"checkout build uses vcs data", "", "", vcs, "dev", "vcs", "abc123-dirty"},
		{"checkout build with a pseudo-version", "", "", pseudo, "dev", "vcs", "f6358e6b1c04"},
		{"no build info at all", "", "", nil, "dev", "unknown", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fromBuildInfo(tt.ldVersion, tt.ldCommit, "", tt.bi)
			if got.Version != tt.wantVersion || got.Source != tt.wantFrom || got.Commit != tt.wantCommit {
				t.Errorf("got version=%q source=%q commit=%q, want %q %q %q",
					got.Version, got.Source, got.Commit, tt.wantVersion, tt.wantFrom, tt.wantCommit)
			}
		})
	}
}
