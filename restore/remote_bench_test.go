package restore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/testservers"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/storage"
	// s3:// site URLs.
	_ "github.com/custodia-backup/custodia/storage/cloud"
)

// BenchmarkRestoreRemote restores two snapshots from an S3 site (versitygw,
// the test server) and, as the reference, from a local folder: "bulk",
// 64 MiB of large files shaped like a firm's (2 MiB invoice exports, 1 MiB
// scans, 16 KiB notes), and "small", 32 MiB of files of 2–62 KiB, as most of
// the shared dataset's files are. Every iteration
// opens the store and the repository afresh, as a restore in a new process
// does (so no object is in a cache), and compares the restored tree's size
// with the source's.
func BenchmarkRestoreRemote(b *testing.B) {
	const size = 64 << 20
	sites := []struct {
		name string
		url  func(b *testing.B) string
	}{
		{"local", func(b *testing.B) string { return filepath.Join(b.TempDir(), "site") }},
		{"s3", func(b *testing.B) string { return testservers.S3(b) }},
	}
	bulk, _ := fixture.SourceTree(b, "data", 1, fixture.WithBulk(size))
	datasets := []struct {
		name string
		dir  string
	}{
		{"bulk", filepath.Join(bulk, "bulk")},
		{"small", smallFiles(b, size/2)},
	}
	for _, ds := range datasets {
		for _, site := range sites {
			b.Run(ds.name+"/"+site.name, func(b *testing.B) {
				benchRestore(b, site.url(b), ds.dir)
			})
		}
	}
}

// smallFiles writes about n bytes of files of 2–62 KiB (two thirds
// invoice text, one third incompressible), 64 to a folder, as the shared
// dataset's small records and attachments are.
func smallFiles(b *testing.B, n int64) string {
	dir := filepath.Join(b.TempDir(), "small")
	var total int64
	for i := 0; total < n; i++ {
		size := (2 + i*7%61) << 10
		data := fixture.InvoiceText(uint64(i), size)
		if i%3 == 2 {
			data = fixture.RandomBytes(uint64(i), size)
		}
		p := filepath.Join(dir, fmt.Sprintf("d%03d", i/64), fmt.Sprintf("f%05d.txt", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(len(data))
	}
	return dir
}

// benchRestore backs src up to the site u and restores it b.N times.
func benchRestore(b *testing.B, u, src string) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(b, u)
	res, err := backup.Files(ctx, r, []string{src})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(res.Snapshot.Stats.Bytes))
	for b.Loop() {
		st, err := storage.Open(ctx, []string{u})
		if err != nil {
			b.Fatal(err)
		}
		rr, err := repo.Open(ctx, st, fixture.Password)
		if err != nil {
			b.Fatal(err)
		}
		target := filepath.Join(b.TempDir(), "r")
		out, err := restore.Snapshot(ctx, rr, res.Snapshot, target)
		if err != nil {
			b.Fatal(err)
		}
		if out.Bytes != res.Snapshot.Stats.Bytes {
			b.Fatalf("restored %d bytes, backed up %d", out.Bytes, res.Snapshot.Stats.Bytes)
		}
		b.StopTimer()
		st.Close()
		os.RemoveAll(target)
		b.StartTimer()
	}
}
