package bytesearch

import (
	"bytes"
	"math/rand"
	"testing"
)

// LastIndex agrees with bytes.LastIndex.
func TestLastIndexAgrees(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for range 5000 {
		b := make([]byte, rng.Intn(200))
		for i := range b {
			b[i] = "ab/# =x"[rng.Intn(7)]
		}
		sep := []byte([]string{"", "a", "ab", "ba", "//# ", "x=", "abab", "zz"}[rng.Intn(8)])
		if got, want := LastIndex(b, sep), bytes.LastIndex(b, sep); got != want {
			t.Fatalf("LastIndex(%q, %q) = %d, want %d", b, sep, got, want)
		}
	}
}

func BenchmarkLastIndexMissing(b *testing.B) {
	data := bytes.Repeat([]byte("function a(){return b+c}\n"), 1<<18)
	sep := []byte("sourceMappingURL=")
	b.SetBytes(int64(len(data)))
	b.Run("bytes.LastIndex", func(b *testing.B) {
		for b.Loop() {
			bytes.LastIndex(data, sep)
		}
	})
	b.Run("bytesearch.LastIndex", func(b *testing.B) {
		for b.Loop() {
			LastIndex(data, sep)
		}
	})
}
