package chunk

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
)

// randomBytes returns n pseudo-random bytes from a fixed seed.
func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24)})
	_, _ = r.Read(b)
	return b
}

func BenchmarkChunker(b *testing.B) {
	data := randomBytes(256<<20, 1)
	c, err := NewChunker(nil, DefaultParams(), NewGear([]byte("bench key")))
	if err != nil {
		b.Fatal(err)
	}
	rd := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rd.Reset(data)
		c.Reset(rd)
		n := 0
		for {
			_, err := c.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64(len(data))/float64(n), "B/chunk")
	}
}

func BenchmarkIDHasher(b *testing.B) {
	data := randomBytes(1<<20, 2)
	h, err := NewIDHasher(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		_ = h.Sum(data)
	}
}

func BenchmarkIDHasherParallel(b *testing.B) {
	data := randomBytes(1<<20, 3)
	h, err := NewIDHasher(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = h.Sum(data)
		}
	})
}
