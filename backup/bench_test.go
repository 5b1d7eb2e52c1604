package backup_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/gen"
	"github.com/custodia-backup/custodia/internal/testutil"
	"github.com/custodia-backup/custodia/restore"
)

// benchTree writes a dataset shaped like the field's (text records,
// incompressible attachments, small files) of about size bytes.
func benchTree(b *testing.B, size int) string {
	dir := filepath.Join(b.TempDir(), "data")
	var n int
	for i := 0; n < size; i++ {
		var data []byte
		switch i % 4 {
		case 0, 1:
			data = gen.InvoiceText(uint64(i), 2<<20)
		case 2:
			data = gen.RandomBytes(uint64(i), 1<<20)
		default:
			data = gen.InvoiceText(uint64(i), 16<<10)
		}
		p := filepath.Join(dir, fmt.Sprintf("d%02d", i%16), fmt.Sprintf("f%04d", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		n += len(data)
	}
	return dir
}

// BenchmarkBackup is the whole first-backup pipeline into an in-memory
// site: walk, read, chunk, hash, compress, seal, pack, erasure code.
func BenchmarkBackup(b *testing.B) {
	const size = 64 << 20
	src := benchTree(b, size)
	b.SetBytes(size)
	for b.Loop() {
		r, _ := testutil.NewRepo(b, "")
		if _, err := backup.Files(context.Background(), r, []string{src}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBackupUnchanged is a re-run over unchanged files.
func BenchmarkBackupUnchanged(b *testing.B) {
	const size = 64 << 20
	src := benchTree(b, size)
	r, _ := testutil.NewRepo(b, "")
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
	r, _ := testutil.NewRepo(b, "")
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
