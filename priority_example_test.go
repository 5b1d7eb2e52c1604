package custodia_test

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"

	"github.com/custodia-backup/custodia"
	"github.com/custodia-backup/custodia/classify"
)

// After a loss, the invoices table (priority 1) is back before the
// documents (default 3) and the database dump (priority 5), whatever order
// they are asked in.
func ExampleRepository_RestoreAll() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "custodia-example-")
	defer os.RemoveAll(dir)
	docs := filepath.Join(dir, "documents")
	_ = os.MkdirAll(docs, 0o755)
	_ = os.WriteFile(filepath.Join(docs, "INV-1.xml"), []byte("<Invoice/>"), 0o644)

	r, err := custodia.Create(ctx, []string{filepath.Join(dir, "repo")}, []byte("a long passphrase"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close(ctx)
	files, _ := r.Backup(ctx, []string{docs})
	dump, _ := r.BackupStream(ctx, "dump.sql", strings.NewReader("-- dump"), custodia.WithPriority(5))
	invoices, err := r.BackupTable(ctx, "invoices", []string{"id"},
		classify.Read(strings.NewReader("id,amount\nINV-1,100.00\n"), classify.CSV), custodia.WithTablePriority(1))
	if err != nil {
		fmt.Println(err)
		return
	}

	var sql bytes.Buffer
	items := []custodia.RestoreItem{
		{Snapshot: dump.Snapshot, Stream: &sql},
		{Snapshot: files.Snapshot, Target: filepath.Join(dir, "restored")},
		{Snapshot: invoices, Records: func(recs iter.Seq2[custodia.Record, error]) error {
			for _, err := range recs {
				if err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for a, err := range r.RestoreAll(ctx, items) {
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("priority %d: %s available (%d files, %d records)\n", a.Priority, a.Snapshot.Paths[0][strings.LastIndex(a.Snapshot.Paths[0], "/")+1:], a.Files, a.Records)
	}
	// Output:
	// priority 1: invoices available (0 files, 1 records)
	// priority 3: documents available (1 files, 0 records)
	// priority 5: dump.sql available (1 files, 0 records)
}
