package repo_test

import (
	"context"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/repo"
)

// Stage benchmarks of the write and read paths: compression, sealing,
// SaveBlob (compress + seal + pack + erasure-coded upload) and LoadBlob.

func benchPayloads() map[string][]byte {
	return map[string][]byte{
		"text":   fixture.InvoiceText(1, 1<<20),
		"random": fixture.RandomBytes(1, 1<<20),
	}
}

func BenchmarkCompress(b *testing.B) {
	for name, data := range benchPayloads() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var buf []byte
			for b.Loop() {
				buf = repo.CompressStage(buf[:0], data, repo.CompressionFastest)
			}
			b.ReportMetric(float64(len(buf))/float64(len(data)), "ratio")
		})
	}
}

func BenchmarkDecompress(b *testing.B) {
	data := fixture.InvoiceText(1, 1<<20)
	enc := repo.CompressStage(nil, data, repo.CompressionFastest)
	b.SetBytes(int64(len(data)))
	var out []byte
	for b.Loop() {
		var err error
		if out, err = repo.DecompressStage(out[:0], enc, len(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	seal := repo.SealStage(crypto.Key{1})
	data := fixture.RandomBytes(2, 1<<20)
	b.SetBytes(int64(len(data)))
	buf := make([]byte, 0, len(data)+crypto.Overhead)
	h := repo.BlobHandle{Type: repo.DataBlob}
	for b.Loop() {
		buf = seal(buf[:0], data, h)
	}
}

func benchRepo(b *testing.B) *repo.Repository {
	r, _ := fixture.NewRepo(b, "")
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
				if _, err := r.SaveBlob(ctx, repo.DataBlob, r.BlobID(data), data, true); err != nil {
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
	data := fixture.InvoiceText(3, 1<<20)
	var hs []repo.BlobHandle
	for i := range 32 {
		data[0], data[1] = byte(i), byte(i>>8)
		id := r.BlobID(data)
		if _, err := r.SaveBlob(ctx, repo.DataBlob, id, data, true); err != nil {
			b.Fatal(err)
		}
		hs = append(hs, repo.BlobHandle{Type: repo.DataBlob, ID: id})
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
	levels := []repo.Compression{repo.CompressionFastest, repo.CompressionDefault, repo.CompressionBetter}
	for _, level := range levels {
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
						buf = repo.CompressStage(buf[:0], p, level)
						out += len(buf)
					}
				}
				b.ReportMetric(float64(out)/float64(in), "ratio")
			})
		}
	}
}
