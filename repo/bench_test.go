package repo

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/internal/gen"
	"github.com/custodia-backup/custodia/storage"
)

// Stage benchmarks of the write and read paths: compression, sealing,
// SaveBlob (compress + seal + pack + erasure-coded upload) and LoadBlob.

func benchPayloads() map[string][]byte {
	return map[string][]byte{
		"text":   gen.InvoiceText(1, 1<<20),
		"random": gen.RandomBytes(1, 1<<20),
	}
}

func BenchmarkCompress(b *testing.B) {
	for name, data := range benchPayloads() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var buf []byte
			for b.Loop() {
				buf = encodePayload(buf[:0], data, zstdEncoder)
			}
			b.ReportMetric(float64(len(buf))/float64(len(data)), "ratio")
		})
	}
}

func BenchmarkDecompress(b *testing.B) {
	data := gen.InvoiceText(1, 1<<20)
	enc := encodePayload(nil, data, zstdEncoder)
	b.SetBytes(int64(len(data)))
	var out []byte
	for b.Loop() {
		var err error
		if out, err = decodePayload(out[:0], enc, len(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	k := newSealKey(keyData, crypto.Key{1})
	data := gen.RandomBytes(2, 1<<20)
	b.SetBytes(int64(len(data)))
	buf := make([]byte, 0, len(data)+crypto.Overhead)
	h := BlobHandle{Type: DataBlob}
	for b.Loop() {
		buf = k.aead.Seal(buf[:0], data, blobAD(h))
	}
}

var benchCount atomic.Int64

func benchRepo(b *testing.B) *Repository {
	st, err := storage.Open(context.Background(), []string{fmt.Sprintf("mem://bench-%d", benchCount.Add(1))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	r, err := Init(context.Background(), st, []byte("pw"), WithArgon2(crypto.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}))
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func BenchmarkSaveBlob(b *testing.B) {
	for name, data := range benchPayloads() {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			r := benchRepo(b)
			b.SetBytes(int64(len(data)))
			i := 0
			for b.Loop() {
				data[0], data[1], data[2] = byte(i), byte(i>>8), byte(i>>16) // distinct blobs
				i++
				if _, err := r.SaveBlob(ctx, DataBlob, r.BlobID(data), data, true); err != nil {
					b.Fatal(err)
				}
			}
			if err := r.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		})
	}
}

func BenchmarkLoadBlob(b *testing.B) {
	ctx := context.Background()
	r := benchRepo(b)
	data := gen.InvoiceText(3, 1<<20)
	var hs []BlobHandle
	for i := range 32 {
		data[0], data[1] = byte(i), byte(i>>8)
		id := r.BlobID(data)
		if _, err := r.SaveBlob(ctx, DataBlob, id, data, true); err != nil {
			b.Fatal(err)
		}
		hs = append(hs, BlobHandle{Type: DataBlob, ID: id})
	}
	if err := r.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	var buf []byte
	i := 0
	for b.Loop() {
		var err error
		if buf, err = r.LoadBlob(ctx, hs[i%len(hs)], buf); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkCompressFiles compresses the files of a folder in 1 MiB pieces,
// grouped by file extension, the way backups compress chunks, at every
// compression level. It needs
// CUSTODIA_BENCH_DATA to name the folder (for example a dataset made by
// ../shared/bench/gen-dataset) and is skipped otherwise:
//
//	CUSTODIA_BENCH_DATA=/path/to/v1 go test -run - -bench CompressFiles ./repo
func BenchmarkCompressFiles(b *testing.B) {
	root := os.Getenv("CUSTODIA_BENCH_DATA")
	if root == "" {
		b.Skip("set CUSTODIA_BENCH_DATA to a folder of files")
	}
	pieces := map[string][][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		for len(data) > 0 {
			n := min(len(data), 1<<20)
			pieces[filepath.Ext(p)] = append(pieces[filepath.Ext(p)], data[:n])
			data = data[n:]
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	levels := []Compression{CompressionFastest, CompressionDefault, CompressionBetter}
	for _, level := range levels {
		enc, _ := level.encoder()
		for _, ext := range slices.Sorted(maps.Keys(pieces)) {
			b.Run(string(level)+"/"+strings.TrimPrefix(ext, "."), func(b *testing.B) {
				var in, out int
				for _, p := range pieces[ext] {
					in += len(p)
				}
				b.SetBytes(int64(in))
				var buf []byte
				for b.Loop() {
					out = 0
					for _, p := range pieces[ext] {
						buf = encodePayload(buf[:0], p, enc)
						out += len(buf)
					}
				}
				b.ReportMetric(float64(out)/float64(in), "ratio")
			})
		}
	}
}
