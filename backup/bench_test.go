package backup_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/restore"
)

// benchTree writes a dataset shaped like the field's (text records,
// incompressible attachments, small files) of about size bytes.
func benchTree(b *testing.B, size int) string {
	src, _ := fixture.SourceTree(b, "data", 1, fixture.WithBulk(int64(size)))
	return filepath.Join(src, "bulk")
}

// BenchmarkBackup is the whole first-backup pipeline into an in-memory
// site: walk, read, chunk, hash, compress, seal, pack, erasure code.
func BenchmarkBackup(b *testing.B) {
	const size = 64 << 20
	src := benchTree(b, size)
	b.SetBytes(size)
	for b.Loop() {
		r, _ := fixture.NewRepo(b, "")
		if _, err := backup.Files(context.Background(), r, []string{src}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBackupUnchanged is a re-run over unchanged files.
func BenchmarkBackupUnchanged(b *testing.B) {
	const size = 64 << 20
	src := benchTree(b, size)
	r, _ := fixture.NewRepo(b, "")
	if _, err := backup.Files(context.Background(), r, []string{src}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	for b.Loop() {
		if _, err := backup.Files(context.Background(), r, []string{src}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRestore restores the whole snapshot from an in-memory site to
// a local folder.
func BenchmarkRestore(b *testing.B) {
	const size = 64 << 20
	src := benchTree(b, size)
	r, _ := fixture.NewRepo(b, "")
	res, err := backup.Files(context.Background(), r, []string{src})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	for b.Loop() {
		target := b.TempDir()
		if _, err := restore.Snapshot(context.Background(), r, res.Snapshot, target); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(target)
		b.StartTimer()
	}
}
