package backup_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime/trace"
	"testing"
	"time"

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
	loopCPU(b, func() {
		r, _ := fixture.NewRepo(b, "")
		if _, err := backup.Files(context.Background(), r, []string{src}); err != nil {
			b.Fatal(err)
		}
	})
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
	loopCPU(b, func() {
		if _, err := backup.Files(context.Background(), r, []string{src}); err != nil {
			b.Fatal(err)
		}
	})
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

// manyFilesTree writes the many-small-files shape of issue 16 (text files
// of 0.2–4 KB, 100 to a folder), scaled to files.
func manyFilesTree(b *testing.B, files int) (string, int64) {
	dir := filepath.Join(b.TempDir(), "many")
	n, err := fixture.ManyFiles(dir, files, files/100, 200, 4096)
	if err != nil {
		b.Fatal(err)
	}
	return dir, n
}

// BenchmarkBackupManyFiles is a first backup of many small files.
func BenchmarkBackupManyFiles(b *testing.B) {
	src, size := manyFilesTree(b, 20_000)
	b.SetBytes(size)
	loopCPU(b, func() {
		r, _ := fixture.NewRepo(b, "")
		if _, err := backup.Files(context.Background(), r, []string{src}); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkBackupUnchangedManyFiles is a re-run over many small unchanged
// files: the walk, the lstat of every file and the comparison with the
// parent snapshot's trees.
func BenchmarkBackupUnchangedManyFiles(b *testing.B) {
	src, size := manyFilesTree(b, 20_000)
	r, _ := fixture.NewRepo(b, "")
	if _, err := backup.Files(context.Background(), r, []string{src}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	loopCPU(b, func() {
		if _, err := backup.Files(context.Background(), r, []string{src}); err != nil {
			b.Fatal(err)
		}
	})
}

// loopCPU runs fn b.N times and reports the CPU time (user + system) per
// run and the cores it kept busy, which a shared machine's load disturbs
// less than the wall time.
func loopCPU(b *testing.B, fn func()) {
	var cpu, wall time.Duration
	for b.Loop() {
		c, w := cpuTime(), time.Now()
		region := trace.StartRegion(context.Background(), "run") // for go test -trace
		fn()
		region.End()
		cpu += cpuTime() - c
		wall += time.Since(w)
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	if wall > 0 {
		b.ReportMetric(cpu.Seconds()/wall.Seconds(), "cores")
	}
}
