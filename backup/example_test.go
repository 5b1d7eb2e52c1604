package backup_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/storage"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "custodia-example-")
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "ledger")
	_ = os.MkdirAll(src, 0o755)
	_ = os.WriteFile(filepath.Join(src, "invoice-0001.json"), []byte(`{"amount":"100.00"}`), 0o644)

	st, err := storage.Open(ctx, []string{filepath.Join(dir, "repo")}, storage.WithCreate())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	r, err := repo.Init(ctx, st, []byte("a long passphrase"))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := backup.Files(ctx, r, []string{src}, backup.WithTags("daily"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("files:", res.Snapshot.Stats.Files, "tags:", res.Snapshot.Tags)

	out := filepath.Join(dir, "restored")
	if _, err := restore.Snapshot(ctx, r, res.Snapshot, out); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(filepath.Join(out, "ledger", "invoice-0001.json"))
	fmt.Println(string(b))
	// Output:
	// files: 1 tags: [daily]
	// {"amount":"100.00"}
}
