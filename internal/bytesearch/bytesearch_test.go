package bytesearch

import (
	"bytes"
	"math/rand"
	"testing"
)

// LastIndex agrees with bytes.LastIndex.
func TestLastIndexAgrees(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for k := range 5000 {
		n := rng.Intn(200)
		if k%10 == 0 {
			n = tail - 100 + rng.Intn(300) // around the tail's edge
		}
		b := make([]byte, n)
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

// An instance that starts just before the tail and ends inside it is found.
func TestLastIndexAcrossTheTail(t *testing.T) {
	sep := []byte("//# debugId=")
	for size := tail; size < tail+40; size++ {
		for at := size - tail - len(sep); at <= size-tail+2; at++ {
			if at < 0 || at+len(sep) > size {
				continue
			}
			b := bytes.Repeat([]byte("x"), size)
			copy(b[at:], sep)
			if got := LastIndex(b, sep); got != at {
				t.Fatalf("size %d, at %d: got %d", size, at, got)
			}
		}
	}
}
