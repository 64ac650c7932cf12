// Package serverfetch gets from the servers a build was uploaded to what
// resolve needs and does not have locally: the Sentry artifact bundles that
// hold a debug ID's files, and the PostHog symbol set of a chunk ID. What it
// downloads is kept content-addressed in a cache directory (blobs by
// SHA-256, and per ID the blobs it names), so the same ID is fetched once and
// resolve works offline from then on.
package serverfetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mapback/mapback/internal/posthog"
	"github.com/mapback/mapback/internal/sentry"
)

// Source is the servers of a run; either client may be nil.
type Source struct {
	CacheDir string
	Sentry   *sentry.Client
	Org      string
	Projects []string
	PostHog  *posthog.Client

	mu    sync.Mutex
	tried map[string]error // an ID is asked about once per run
}

// ErrNotConfigured is a request to a server the run has no client for.
var ErrNotConfigured = errors.New("no server configured")

// maxServerBundle bounds one downloaded artifact bundle.
const maxServerBundle = 2 << 30

// SentryBundles returns the cached paths of the artifact bundles the Sentry
// server holds for debugID (none: an empty list).
func (s *Source) SentryBundles(ctx context.Context, debugID string) ([]string, error) {
	key := "sentry/" + debugID
	if paths, ok := s.cached(key); ok {
		return paths, nil
	}
	if s.Sentry == nil || s.Org == "" || len(s.Projects) == 0 {
		return nil, fmt.Errorf("%w for Sentry (--url, --org, --project and a token)", ErrNotConfigured)
	}
	if err, done := s.once(key); done {
		return nil, err
	}
	var hashes []string
	seen := map[string]bool{}
	for _, project := range s.Projects {
		entries, err := s.Sentry.ArtifactLookup(ctx, s.Org, project, debugID)
		if err != nil {
			return nil, s.fail(key, fmt.Errorf("asking the Sentry server about debug ID %s: %w", debugID, err))
		}
		for _, e := range entries {
			if e.Type != "bundle" || seen[e.ID] {
				continue
			}
			seen[e.ID] = true
			h, err := s.store(ctx, func(w io.Writer) error { return s.Sentry.Download(ctx, e.URL, &capped{w: w, n: maxServerBundle}) })
			if err != nil {
				return nil, s.fail(key, fmt.Errorf("downloading %s for debug ID %s: %w", e.ID, debugID, err))
			}
			hashes = append(hashes, h)
		}
	}
	if err := s.remember(key, hashes); err != nil {
		return nil, err
	}
	paths, _ := s.cached(key) // none when the server held none
	return paths, nil
}

// PostHogSymbols returns the bundle and map the PostHog server holds for
// chunkID; found is false when it holds none.
func (s *Source) PostHogSymbols(ctx context.Context, chunkID string) (src, sourceMap []byte, found bool, err error) {
	key := "posthog/" + chunkID
	paths, ok := s.cached(key)
	if !ok {
		if s.PostHog == nil {
			return nil, nil, false, fmt.Errorf("%w for PostHog (POSTHOG_CLI_API_KEY, POSTHOG_CLI_PROJECT_ID)", ErrNotConfigured)
		}
		if err, done := s.once(key); done {
			return nil, nil, false, err
		}
		id, found, err := s.PostHog.FindSymbolSet(ctx, chunkID)
		if err != nil {
			return nil, nil, false, s.fail(key, fmt.Errorf("asking PostHog about chunk ID %s: %w", chunkID, err))
		}
		var hashes []string
		if found {
			data, err := s.PostHog.DownloadSymbolSet(ctx, id)
			if err != nil {
				return nil, nil, false, s.fail(key, fmt.Errorf("downloading the symbol set of chunk ID %s: %w", chunkID, err))
			}
			h, err := s.store(ctx, func(w io.Writer) error { _, err := w.Write(data); return err })
			if err != nil {
				return nil, nil, false, err
			}
			hashes = append(hashes, h)
		}
		if err := s.remember(key, hashes); err != nil {
			return nil, nil, false, err
		}
		if len(hashes) == 0 {
			return nil, nil, false, nil
		}
		paths, _ = s.cached(key)
	}
	if len(paths) == 0 {
		return nil, nil, false, nil
	}
	data, err := os.ReadFile(paths[0])
	if err != nil {
		return nil, nil, false, err
	}
	src, sourceMap, err = posthog.DecodeSymbolData(data, 2*posthog.MaxSymbolData)
	if err != nil {
		return nil, nil, false, fmt.Errorf("the symbol set of chunk ID %s: %w", chunkID, err)
	}
	return src, sourceMap, true, nil
}

// once reports whether key was already asked about in this run.
func (s *Source) once(key string) (error, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tried == nil {
		s.tried = map[string]error{}
	}
	err, done := s.tried[key]
	if !done {
		s.tried[key] = nil
	}
	return err, done
}

func (s *Source) fail(key string, err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tried[key] = err
	return err
}

// cached returns the blob paths recorded for key.
func (s *Source) cached(key string) ([]string, bool) {
	data, err := os.ReadFile(s.indexPath(key))
	if err != nil {
		return nil, false
	}
	var hashes []string
	if json.Unmarshal(data, &hashes) != nil {
		return nil, false
	}
	paths := make([]string, 0, len(hashes))
	for _, h := range hashes {
		p := s.blobPath(h)
		if _, err := os.Stat(p); err != nil {
			return nil, false // a blob was removed: fetch again
		}
		paths = append(paths, p)
	}
	return paths, true
}

// remember records the blobs of an ID. Nothing is recorded when the server
// held none: it may hold them later (an upload still being processed), and a
// recorded empty answer would be believed forever.
func (s *Source) remember(key string, hashes []string) error {
	if len(hashes) == 0 {
		return nil
	}
	data, _ := json.Marshal(hashes)
	return writeAtomic(s.indexPath(key), data)
}

// store writes a download to a blob named by its SHA-256.
func (s *Source) store(ctx context.Context, fill func(io.Writer) error) (string, error) {
	if err := os.MkdirAll(filepath.Join(s.CacheDir, "blobs"), 0o700); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(filepath.Join(s.CacheDir, "blobs"), ".download-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	h := sha256.New()
	err = fill(io.MultiWriter(f, h))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return "", err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	return sum, os.Rename(f.Name(), s.blobPath(sum))
}

func (s *Source) blobPath(hash string) string { return filepath.Join(s.CacheDir, "blobs", hash) }

// indexPath is where the blobs of an ID are listed; IDs are made safe as
// file names.
func (s *Source) indexPath(key string) string {
	kind, id, _ := strings.Cut(key, "/")
	safe := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, id)
	return filepath.Join(s.CacheDir, kind, safe+".json")
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// capped fails a write past n bytes.
type capped struct {
	w io.Writer
	n int64
}

func (c *capped) Write(p []byte) (int, error) {
	if int64(len(p)) > c.n {
		return 0, fmt.Errorf("the download is over %d MiB", maxServerBundle>>20)
	}
	c.n -= int64(len(p))
	return c.w.Write(p)
}
