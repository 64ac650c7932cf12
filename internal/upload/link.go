package upload

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzip"
)

// What goes on the wire, chosen from the link this server was last reached over (measured by the
// previous upload to it and kept in the cache directory; a server never measured, as on a fresh CI
// runner, counts as slow: the bytes are the safe side to err on).
//
// Small files are stored in the bundle (storeBelow) and the chunks gzipped (when the server accepts
// gzip, as Sentry does): one stream over many small files finds what they share, which per-file
// deflate cannot. On the scale bench build (10,042 files, 107 MB) that sends 9.3 MB at gzip level 1
// against 15.1 MB of per-file deflate at any level, and sentry-cli's 12.8 MB. Gzip level 5 sends 21%
// fewer bytes than level 1 there (7.3 MB) for about 50% more CPU (0.22 against 0.15 s per core),
// which pays on links slower than about 50 MB/s; deflated large files are detected as incompressible
// and stored at any level. Only the chunks the server lacks are gzipped (send.go), so the level
// costs nothing when the server already holds the bundle.
//
// Large files are deflated in the bundle at the level that minimises compression plus sending
// time on the measured link. On the bench corpus (85 MB, two cores; wire bytes against CPU):
//
//	level  bytes     CPU      per input MB: bytes ratio, CPU
//	3      22.26 MB  0.41 s   0.261, 4.8 ms
//	6      19.80 MB  0.46 s   0.232, 5.4 ms
//	8      18.97 MB  1.08 s   0.222, 12.7 ms
//	sentry-cli: 19.19 MB
//
// Level 8 is the lowest that sends no more bytes than sentry-cli; it pays for its CPU below about
// 1.4 MB/s (11 Mbit/s). Level 6 beats 3 below about 48 MB/s (380 Mbit/s). Between the two, mapback
// sends up to 3% more bytes than sentry-cli for large files, and above 48 MB/s up to 16%, because
// there the total time is shorter; a server never measured (a fresh CI runner, --no-cache) gets
// level 8, so a first upload never sends more.
const (
	storeBelow = 128 << 10

	smallestLevel = 8 // never more bytes than the reference client
	middleLevel   = 6
	fastestLevel  = 3

	slowLink      = 1.4e6 // bytes per second of chunk data: below, level 8
	fastLink      = 48e6  // above: level 3 and gzip level 1
	fastWireLevel = gzip.BestSpeed
	slowWireLevel = 5
)

// minLinkSample is the least chunk data that makes a throughput worth remembering.
const minLinkSample = 4 << 20

// linkRecord is the last measured throughput to one server.
type linkRecord struct {
	BytesPerSec float64   `json:"bytes_per_sec"`
	Measured    time.Time `json:"measured"`
}

func (c buildCache) linkPath(server string) string {
	sum := sha256.Sum256([]byte(server))
	return filepath.Join(c.dir, "link-"+hex.EncodeToString(sum[:8])+".json")
}

// linkRate is the last measured throughput to server, 0 when unknown.
func (c buildCache) linkRate(server string) float64 {
	if !c.enabled() || server == "" {
		return 0
	}
	data, err := os.ReadFile(c.linkPath(server))
	var r linkRecord
	if err != nil || json.Unmarshal(data, &r) != nil {
		return 0
	}
	return r.BytesPerSec
}

// compression is what a run sends over a link of rate bytes per second (0: unknown).
type compression struct {
	level     int // deflate level of large entries
	wireLevel int // gzip level of the chunks
}

func compressionFor(rate float64) compression {
	switch {
	case rate < slowLink: // unknown (0) included
		return compression{level: smallestLevel, wireLevel: slowWireLevel}
	case rate < fastLink:
		return compression{level: middleLevel, wireLevel: slowWireLevel}
	default:
		return compression{level: fastestLevel, wireLevel: fastWireLevel}
	}
}

// recordLink remembers how fast sent bytes of chunk data reached server in elapsed. Failures are
// ignored: it only tunes the next run.
func (c buildCache) recordLink(server string, sent int64, elapsed time.Duration) {
	if !c.enabled() || server == "" || sent < minLinkSample || elapsed <= 0 {
		return
	}
	data, err := json.Marshal(linkRecord{BytesPerSec: float64(sent) / elapsed.Seconds(), Measured: time.Now().UTC()})
	if err != nil || os.MkdirAll(c.dir, 0o755) != nil {
		return
	}
	f, err := os.CreateTemp(c.dir, ".link-*")
	if err != nil {
		return
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), c.linkPath(server))
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
}
