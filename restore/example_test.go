package restore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/storage"
)

// Restore only the XML invoices of the latest snapshot.
func ExampleSnapshot() {
	ctx := context.Background()
	st, _ := storage.Open(ctx, []string{"mem://example-restore"})
	r, _ := repo.Init(ctx, st, []byte("a long passphrase"))
	r2, _ := backup.Stream(ctx, r, "invoice-0042.xml", strings.NewReader("<Invoice/>"))
	_ = r2

	snap, err := r.FindSnapshot(ctx, "latest")
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "custodia-example-")
	defer os.RemoveAll(dir)
	res, err := restore.Snapshot(ctx, r, snap, dir, restore.WithInclude("*.xml"))
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(filepath.Join(dir, "invoice-0042.xml"))
	fmt.Println(res.Files, string(b))
	// Output: 1 <Invoice/>
}
