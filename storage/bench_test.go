package storage

import (
	"context"
	"testing"
)

const benchSize = 16 << 20

func benchSites(b *testing.B, kind string) []string {
	if kind == "mem" {
		return memURLs(1)
	}
	return []string{b.TempDir()}
}

func BenchmarkPut(b *testing.B) {
	for _, kind := range []string{"mem", "file"} {
		b.Run(kind+"/16MiB/4+2", func(b *testing.B) {
			s, err := Open(context.Background(), benchSites(b, kind))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			data := randBytes(benchSize, 1)
			b.SetBytes(benchSize)
			b.ResetTimer()
			for b.Loop() {
				if err := s.Put(context.Background(), "packs/be/nch", data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	for _, kind := range []string{"mem", "file"} {
		for _, degraded := range []bool{false, true} {
			label := kind + "/16MiB/4+2"
			if degraded {
				label += "/reconstruct"
			}
			b.Run(label, func(b *testing.B) {
				ctx := context.Background()
				s, err := Open(ctx, benchSites(b, kind))
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				if err := s.Put(ctx, "packs/be/nch", randBytes(benchSize, 2)); err != nil {
					b.Fatal(err)
				}
				if degraded {
					if err := s.list[0].delete(ctx, shardKey("packs/be/nch", 1)); err != nil {
						b.Fatal(err)
					}
				}
				b.SetBytes(benchSize)
				b.ResetTimer()
				for b.Loop() {
					if _, _, err := s.Get(ctx, "packs/be/nch"); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkGetRange(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, []string{b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Put(ctx, "packs/be/nch", randBytes(benchSize, 3)); err != nil {
		b.Fatal(err)
	}
	const n = 64 << 10
	b.SetBytes(n)
	off := int64(0)
	for b.Loop() {
		if _, err := s.GetRange(ctx, "packs/be/nch", off, n); err != nil {
			b.Fatal(err)
		}
		off = (off + 7*n) % (benchSize - n)
	}
}
