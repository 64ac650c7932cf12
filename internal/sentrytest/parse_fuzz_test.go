package sentrytest

import (
	"strings"
	"testing"
)

// FuzzParseAssemble: any body either gets a detail or yields a request that satisfies every rule the
// server relies on later (ids usable as file names, a project, a release with any dist).
func FuzzParseAssemble(f *testing.F) {
	f.Add([]byte(`{"checksum":"` + chk + `","chunks":["` + chk + `"],"projects":["p"],"version":"r","dist":"d"}`))
	f.Add([]byte(`{"checksum":"` + chk + `","chunks":[],"projects":["p"]}`))
	f.Add([]byte(`{"checksum":"` + chk + `","chunks":null,"projects":["p"],"dist":"d"}`))
	f.Add([]byte(`{"checksum":"../../x","chunks":["../y"],"projects":[]}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, detail := parseAssemble(body)
		if detail != "" {
			return
		}
		if !isSHA1Hex(req.Checksum) || len(req.Projects) == 0 {
			t.Fatalf("accepted %q as %+v", body, req)
		}
		for _, c := range req.Chunks {
			if !isSHA1Hex(c) {
				t.Fatalf("accepted chunk id %q", c)
			}
		}
		if req.Dist != "" && req.Version == "" || strings.Contains(req.Version, "/") {
			t.Fatalf("accepted release %q dist %q", req.Version, req.Dist)
		}
	})
}
