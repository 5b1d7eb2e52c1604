package backup_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"testing"
	"time"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/tablegen"
)

// BenchmarkTableIncrementalMemory is BenchmarkTableMemory for an
// incremental: a full backup of a generated customer table (500,000
// records unless CUSTODIA_TABLE_MEMORY_RECORDS says, one count), then,
// measured, an incremental of the next version, in which ~2 % of the
// records changed (changed=2%), or of a table with other values under the
// same keys (changed=100%). The incremental sorts every record and spools
// an entry for each change; the sort memory is 16 MiB; the peak live heap
// is sampled as in BenchmarkTableMemory, at GOGC=15 unless GOGC is set.
// docs/PERFORMANCE.md ("An incremental's two sorts share the sort memory")
// has the figures of
//
//	go test ./backup -run XXX -bench TableIncrementalMemory -benchtime 1x
func BenchmarkTableIncrementalMemory(b *testing.B) {
	n := 500_000
	if env := os.Getenv("CUSTODIA_TABLE_MEMORY_RECORDS"); env != "" {
		v, err := strconv.Atoi(env)
		if err != nil || v <= 0 {
			b.Fatalf("CUSTODIA_TABLE_MEMORY_RECORDS: %q is not a record count", env)
		}
		n = v
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(15))
	}
	for _, c := range []struct {
		name string
		next tablegen.Gen // its version 2 is the incremental's table
	}{
		{"changed=2%", tablegen.Gen{Seed: 1}},
		{"changed=100%", tablegen.Gen{Seed: 2}},
	} {
		b.Run(fmt.Sprintf("records=%d/%s", n, c.name), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ctx := context.Background()
				r, _ := fixture.NewRepo(b, b.TempDir())
				opts := []backup.TableOption{backup.WithTempDir(b.TempDir()), backup.WithSortMemory(16 << 20)}
				full := tablegen.Gen{Seed: 1}.Reader(n, 1)
				if _, err := backup.Table(ctx, r, "customers", []string{"id"}, classify.Read(full, classify.CSV), opts...); err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				next := c.next.Reader(n, 2)
				startCPU, start := cpuTime(), time.Now()
				pk := sampleHeap(func() {
					snap, err := backup.Table(ctx, r, "customers", []string{"id"}, classify.Read(next, classify.CSV), opts...)
					if err != nil {
						b.Fatal(err)
					}
					ch := snap.Table.Changes
					b.ReportMetric(float64(ch.Added+ch.Changed+ch.Deleted), "changes")
				}, nil)
				b.ReportMetric(time.Since(start).Seconds(), "wall-s")
				b.ReportMetric((cpuTime() - startCPU).Seconds(), "cpu-s")
				b.ReportMetric(float64(pk.heap)/(1<<20), "peak_heap_MB")
				b.ReportMetric(float64(pk.live)/(1<<20), "peak_live_MB")
			}
		})
	}
}
