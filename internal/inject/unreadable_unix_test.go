//go:build unix

package inject_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mapback/mapback/internal/testkit"
)

// TestUnreadableDirectoryFails: a directory inject cannot read may hold
// bundles that then ship without debug IDs, so `inject && upload` must stop:
// inject reports it and exits 1, after injecting what it could read. Root
// reads every directory whatever its mode, so as root the binary runs as
// nobody (uid 65534) over a tree nobody owns.
func TestUnreadableDirectoryFails(t *testing.T) {
	bin := buildMapback(t)
	base, err := os.MkdirTemp("", "mapback-unreadable-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	dist := filepath.Join(base, "dist")
	testkit.WriteTree(t, dist, map[string]string{
		"ok.js":        "var ok=1;\n//# sourceMappingURL=ok.js.map\n",
		"ok.js.map":    `{"version":3,"sources":["ok.ts"],"names":[],"mappings":"AAAA"}`,
		"closed/in.js": "var hidden=1;\n",
	})
	// A map that is a named pipe: reading it would block forever.
	mustDo(t, syscall.Mkfifo(filepath.Join(dist, "pipe.js.map"), 0o644))
	mustDo(t, os.WriteFile(filepath.Join(dist, "pipe.js"), []byte("var p=1;\n//# sourceMappingURL=pipe.js.map\n"), 0o644))
	runBin := filepath.Join(base, "mapback")
	data, err := os.ReadFile(bin)
	mustDo(t, err)
	mustDo(t, os.WriteFile(runBin, data, 0o755))

	cmd := exec.Command(runBin, "sourcemaps", "inject", "dist")
	cmd.Dir = base
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(base, "cache"))
	if os.Geteuid() == 0 {
		const nobody = 65534
		mustDo(t, filepath.Walk(base, func(p string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, nobody, nobody)
		}))
		mustDo(t, os.Chmod(base, 0o755))
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	}
	mustDo(t, os.Chmod(filepath.Join(dist, "closed"), 0))
	defer os.Chmod(filepath.Join(dist, "closed"), 0o755)

	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1; stderr:\n%s", err, stderr.String())
	}
	for _, want := range []string{
		filepath.Join("dist", "closed") + ": cannot read directory: permission denied",
		"1 not readable (bundles in them were not injected)",
		"sourceMappingURL pipe.js.map is not a regular file (a named pipe)",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dist, "ok.js")); !bytes.Contains(got, []byte("//# debugId=")) {
		t.Errorf("ok.js was not injected:\n%s", got)
	}

	// upload refuses the incomplete tree before sending anything.
	up := exec.Command(runBin, "sourcemaps", "upload", "--dry-run", "--org", "o", "--project", "p", "dist")
	up.Dir, up.Env, up.SysProcAttr = cmd.Dir, cmd.Env, cmd.SysProcAttr
	stderr.Reset()
	up.Stderr = &stderr
	err = up.Run()
	if !errors.As(err, &exit) || exit.ExitCode() != 1 ||
		!strings.Contains(stderr.String(), filepath.Join("dist", "closed")+": cannot read directory: permission denied") ||
		!strings.Contains(stderr.String(), "nothing was uploaded") {
		t.Fatalf("upload: exit %v, want 1 naming the directory; stderr:\n%s", err, stderr.String())
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
