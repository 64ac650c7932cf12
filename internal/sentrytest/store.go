package sentrytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/mapback/mapback/internal/artifactbundle"
)

// StoredBundle is an assembled bundle as stored and indexed.
type StoredBundle struct {
	DebugID      string // the bundle's id: manifest debug_id (or one derived from Checksum)
	Checksum     string
	Org          string
	Projects     []string
	Release      string
	Dist         string
	Manifest     artifactbundle.Manifest
	ManifestJSON []byte // manifest.json exactly as in the bundle
	Path         string // the bundle file under Dir/bundles/
}

// storedBundle adds the lookup number ("artifact_bundle/<n>") and the debug-ID index.
type storedBundle struct {
	n   int
	sb  StoredBundle
	ids map[string]bool // normalised debug ids of the entries, and the bundle's own id
}

// sidecar is Dir/bundles/<n>.json: what the assemble request said, which the bundle file does not hold.
// It is written after the bundle, so a bundle without a sidecar is an interrupted store.
type sidecar struct {
	Org      string   `json:"org"`
	Projects []string `json:"projects"`
	Release  string   `json:"release,omitempty"`
	Dist     string   `json:"dist,omitempty"`
	Checksum string   `json:"checksum"`
}

const (
	bundleExt  = ".bundle"
	sidecarExt = ".json"
)

func (s *Server) bundlePath(n int) string {
	return filepath.Join(s.bundleDir, strconv.Itoa(n)+bundleExt)
}

func (s *Server) sidecarPath(n int) string {
	return filepath.Join(s.bundleDir, strconv.Itoa(n)+sidecarExt)
}

// indexIDs collects the debug ids a lookup can find the bundle by: every entry's debug-id header and the
// manifest's debug_id.
func indexIDs(sb StoredBundle) map[string]bool {
	ids := map[string]bool{}
	for _, e := range sb.Manifest.Files {
		if id := e.DebugID(); id != "" {
			ids[id] = true
		}
	}
	if id := artifactbundle.NormalizeDebugID(sb.Manifest.DebugID); id != "" {
		ids[id] = true
	}
	ids[sb.DebugID] = true
	return ids
}

// store moves an assembled bundle into place under the next number and replaces any bundle of the same org
// with the same bundle id (§10.5).
func (s *Server) store(tmpPath string, sb StoredBundle) error {
	s.storeMu.Lock()
	defer s.storeMu.Unlock()
	s.mu.Lock()
	n := s.nextBundle
	s.nextBundle++
	s.mu.Unlock()

	sb.Path = s.bundlePath(n)
	if err := os.Rename(tmpPath, sb.Path); err != nil {
		return err
	}
	side, err := json.Marshal(sidecar{Org: sb.Org, Projects: sb.Projects, Release: sb.Release, Dist: sb.Dist, Checksum: sb.Checksum})
	if err != nil {
		return err
	}
	if err := writeFileAtomic(s.sidecarPath(n), side); err != nil {
		_ = os.Remove(sb.Path) // without its sidecar the bundle would be dropped by the next New anyway
		return err
	}
	var replaced []int
	s.mu.Lock()
	for m, old := range s.bundles {
		if old.sb.Org == sb.Org && old.sb.DebugID == sb.DebugID {
			delete(s.bundles, m)
			replaced = append(replaced, m)
			if old.sb.Checksum != sb.Checksum { // sb's own state belongs to the assembly storing it now
				s.forgetStateLocked(old.sb)
			}
		}
	}
	s.bundles[n] = &storedBundle{n: n, sb: sb, ids: indexIDs(sb)}
	s.mu.Unlock()
	for _, m := range replaced {
		s.removeBundleFiles(m)
	}
	return nil
}

// forgetStateLocked drops the cached "ok" of a bundle that is no longer stored (replaced or removed), so
// that uploading the same bytes again assembles and stores them again instead of being told "ok" for a
// bundle that is gone. Callers hold s.mu.
func (s *Server) forgetStateLocked(sb StoredBundle) {
	key := stateKey{sb.Org, sb.Checksum}
	if st, ok := s.states[key]; ok && st.state == StateOK {
		delete(s.states, key)
	}
}

// removeBundleFiles deletes a replaced bundle; the sidecar goes first so a crash in between leaves an
// orphan bundle file that New removes, never a sidecar without its bundle.
func (s *Server) removeBundleFiles(n int) {
	if err := os.Remove(s.sidecarPath(n)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("removing replaced bundle", "error", err)
	}
	if err := os.Remove(s.bundlePath(n)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("removing replaced bundle", "error", err)
	}
}

func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), tempPrefix+"meta-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	return nil
}

// reindex loads the bundles a previous server stored. Files that cannot be read are logged and skipped
// rather than failing New: a dev-server should start even next to one damaged bundle.
func (s *Server) reindex() error {
	ents, err := os.ReadDir(s.bundleDir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		name := e.Name()
		num, ok := strings.CutSuffix(name, bundleExt)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n <= 0 {
			continue
		}
		if n >= s.nextBundle {
			s.nextBundle = n + 1
		}
		sb, err := s.loadBundle(n)
		if errors.Is(err, os.ErrNotExist) {
			// An interrupted store (no sidecar yet): the bundle was never acknowledged as ok.
			_ = os.Remove(s.bundlePath(n)) // best effort; a leftover is skipped again next time
			continue
		}
		if err != nil {
			s.log.Warn("skipping stored bundle", "file", s.bundlePath(n), "error", err)
			continue
		}
		s.bundles[n] = &storedBundle{n: n, sb: sb, ids: indexIDs(sb)}
	}
	// Replacement may have been interrupted between storing the new bundle and removing the old one: the
	// newest bundle per (org, bundle id) wins, as it did before the restart.
	newest := map[[2]string]int{}
	for n, b := range s.bundles {
		k := [2]string{b.sb.Org, b.sb.DebugID}
		if n > newest[k] {
			newest[k] = n
		}
	}
	for n, b := range s.bundles {
		if newest[[2]string{b.sb.Org, b.sb.DebugID}] != n {
			delete(s.bundles, n)
			s.forgetStateLocked(b.sb)
			s.removeBundleFiles(n)
		}
	}
	return nil
}

func (s *Server) loadBundle(n int) (StoredBundle, error) {
	data, err := os.ReadFile(s.sidecarPath(n))
	if err != nil {
		return StoredBundle{}, err
	}
	var side sidecar
	if err := json.Unmarshal(data, &side); err != nil {
		return StoredBundle{}, fmt.Errorf("%s: %w", s.sidecarPath(n), err)
	}
	b, err := artifactbundle.Open(context.Background(), s.bundlePath(n))
	if err != nil {
		return StoredBundle{}, err
	}
	defer func() { _ = b.Close() }() // read-only: a close error changes nothing
	raw, err := b.ReadFile(artifactbundle.ManifestName)
	if err != nil {
		return StoredBundle{}, err
	}
	m := b.Manifest()
	return StoredBundle{
		DebugID:      bundleID(m, side.Checksum),
		Checksum:     side.Checksum,
		Org:          side.Org,
		Projects:     side.Projects,
		Release:      side.Release,
		Dist:         side.Dist,
		Manifest:     m,
		ManifestJSON: raw,
		Path:         s.bundlePath(n),
	}, nil
}

// Bundles returns the stored bundles, oldest first.
func (s *Server) Bundles() []StoredBundle {
	s.mu.Lock()
	defer s.mu.Unlock()
	ns := make([]int, 0, len(s.bundles))
	for n := range s.bundles {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	out := make([]StoredBundle, len(ns))
	for i, n := range ns {
		out[i] = copyBundle(s.bundles[n].sb)
	}
	return out
}

// copyBundle deep-copies what a caller could mutate.
func copyBundle(sb StoredBundle) StoredBundle {
	sb.Projects = append([]string(nil), sb.Projects...)
	sb.ManifestJSON = append([]byte(nil), sb.ManifestJSON...)
	sb.Manifest = sb.Manifest.Clone()
	return sb
}
