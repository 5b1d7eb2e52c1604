package backup_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/tablegen"
)

// BenchmarkTableBackupCSV measures a full table backup of a customer CSV:
// parse, profile, protect (level 1 encrypted, level 2 masked), sort,
// compress, seal, pack and erasure-code into an in-memory site. MB/s are of
// CSV input.
func BenchmarkTableBackupCSV(b *testing.B) {
	for _, n := range []int{100_000} {
		data := tablegen.Gen{Seed: 9}.CSV(n, 1)
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				r, _ := fixture.NewRepo(b, "")
				b.StartTimer()
				_, err := backup.Table(context.Background(), r, "customers", []string{"id"}, classify.Read(bytes.NewReader(data), classify.CSV), backup.WithTempDir(b.TempDir()))
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
