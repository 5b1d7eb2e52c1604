package backup_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/tablegen"
)

// BenchmarkTableBackupCSV measures a full table backup of a customer CSV:
// parse, profile, protect (level 1 encrypted, level 2 masked), sort,
// compress, seal, pack and erasure-code into an in-memory site. MB/s are of
// CSV input; cpu-MB/s are per second of CPU time (of all cores), the figure
// that does not depend on what else runs on a shared machine.
func BenchmarkTableBackupCSV(b *testing.B) {
	for _, n := range []int{100_000} {
		data := tablegen.Gen{Seed: 9}.CSV(n, 1)
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var cpu time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				r, _ := fixture.NewRepo(b, "")
				b.StartTimer()
				start := cpuTime()
				_, err := backup.Table(context.Background(), r, "customers", []string{"id"}, classify.Read(bytes.NewReader(data), classify.CSV), backup.WithTempDir(b.TempDir()))
				cpu += cpuTime() - start
				if err != nil {
					b.Fatal(err)
				}
			}
			if cpu > 0 {
				b.ReportMetric(float64(len(data))*float64(b.N)/cpu.Seconds()/(1<<20), "cpu-MB/s")
			}
		})
	}
}
