package custodia_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob/memblob"

	"github.com/custodia-backup/custodia"
)

// backUpAndRestore is the README's library snippet between the markers:
// TestReadmeSnippet requires the README to show exactly this code, with
// the example paths in place of the variables.
func backUpAndRestore(ctx context.Context, password []byte, repository, ledger, target string) error {
	// README begin
	r, err := custodia.Create(ctx, []string{repository}, password) // custodia.Open the next time
	if err != nil {
		return err
	}
	defer r.Close(ctx)
	res, err := r.Backup(ctx, []string{ledger}, custodia.WithTags("daily"))
	if err == nil {
		_, err = r.Restore(ctx, res.Snapshot, target)
	}
	return err
	// README end
}

// A host application backs up a folder into a new repository and restores
// it: the README's snippet.
func Example() {
	dir, _ := os.MkdirTemp("", "custodia-example-")
	defer os.RemoveAll(dir)
	ledger := filepath.Join(dir, "ledger")
	_ = os.MkdirAll(ledger, 0o755)
	_ = os.WriteFile(filepath.Join(ledger, "2026-01.csv"), []byte("account,amount\n4000,12.50\n"), 0o644)

	target := filepath.Join(dir, "restore")
	err := backUpAndRestore(context.Background(), []byte("a long passphrase"), filepath.Join(dir, "repo"), ledger, target)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(filepath.Join(target, "ledger", "2026-01.csv"))
	fmt.Print(string(b))
	// Output:
	// account,amount
	// 4000,12.50
}

func ExampleCreate() {
	ctx := context.Background()
	// Two sites (URLs or paths, one per site); 2+2 shards survive the loss
	// of either.
	sites := []string{"mem://example-create-a", "mem://example-create-b"}
	r, err := custodia.Create(ctx, sites, []byte("a long passphrase"), custodia.WithShards(2, 2))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Close(ctx))

	_, err = custodia.Create(ctx, sites, []byte("another passphrase"))
	fmt.Println(errors.Is(err, custodia.ErrAlreadyInitialized))
	// Output:
	// <nil>
	// true
}

func ExampleOpen() {
	ctx := context.Background()
	sites := []string{"mem://example-open"}
	_, err := custodia.Open(ctx, sites, []byte("a long passphrase"))
	fmt.Println(errors.Is(err, custodia.ErrNotInitialized))

	r, _ := custodia.Create(ctx, sites, []byte("a long passphrase"))
	r.Close(ctx)
	_, err = custodia.Open(ctx, sites, []byte("not the passphrase"))
	fmt.Println(errors.Is(err, custodia.ErrWrongPassword))

	r, err = custodia.Open(ctx, sites, []byte("a long passphrase"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close(ctx)
	fmt.Println("opened")
	// Output:
	// true
	// true
	// opened
}

func ExampleWithBucket() {
	ctx := context.Background()
	// A bucket the host opened itself, with any gocloud.dev/blob driver
	// (s3blob, gcsblob, azureblob...) and its own credentials.
	bucket := memblob.OpenBucket(nil)
	defer bucket.Close() // the host's to close, after the repository

	r, err := custodia.Create(ctx, nil, []byte("a long passphrase"), custodia.WithBucket("invoices-bucket", bucket))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close(ctx)
	res, err := r.BackupStream(ctx, "note.txt", strings.NewReader("kept in the host's bucket"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Snapshot.Paths)
	// Output: [note.txt]
}

func ExampleRepository_Backup() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "custodia-example-")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "INV-0001.xml"), []byte("<invoice/>"), 0o644)

	r, _ := custodia.Create(ctx, []string{"mem://example-backup"}, []byte("a long passphrase"))
	defer r.Close(ctx)
	res, err := r.Backup(ctx, []string{dir}, custodia.WithTags("daily"), custodia.WithHost("books-1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	s := res.Snapshot
	fmt.Println(s.Host, s.Tags, s.Stats.Files, "file,", len(res.Errors), "errors")
	// A second backup of the same paths reads only what changed.
	res, _ = r.Backup(ctx, []string{dir}, custodia.WithTags("daily"), custodia.WithHost("books-1"))
	fmt.Println(res.Snapshot.Stats.FilesSkipped, "unchanged")
	// Output:
	// books-1 [daily] 1 file, 0 errors
	// 1 unchanged
}

func ExampleRepository_BackupStream() {
	ctx := context.Background()
	r, _ := custodia.Create(ctx, []string{"mem://example-backupstream"}, []byte("a long passphrase"))
	defer r.Close(ctx)
	dump := strings.NewReader("INSERT INTO invoices VALUES (1, 12.50);\n")
	res, err := r.BackupStream(ctx, "ledger.sql", dump, custodia.WithTags("db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Snapshot.Kind, res.Snapshot.Paths, res.Snapshot.Stats.Bytes, "bytes")
	// Output: stream [ledger.sql] 40 bytes
}

func ExampleRepository_RestoreStream() {
	ctx := context.Background()
	r, _ := custodia.Create(ctx, []string{"mem://example-restorestream"}, []byte("a long passphrase"))
	defer r.Close(ctx)
	_, _ = r.BackupStream(ctx, "ledger.sql", strings.NewReader("INSERT INTO invoices VALUES (1, 12.50);\n"))

	snap, err := r.Latest(ctx, custodia.Filter{Paths: []string{"ledger.sql"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	var out bytes.Buffer // any io.Writer: a file, a pipe into psql, an HTTP response
	n, err := r.RestoreStream(ctx, snap, &out)
	fmt.Print(n, " bytes: ", out.String())
	// Output: 40 bytes: INSERT INTO invoices VALUES (1, 12.50);
}

func ExampleRepository_Restore() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "custodia-example-")
	defer os.RemoveAll(dir)
	books := filepath.Join(dir, "books")
	_ = os.MkdirAll(filepath.Join(books, "invoices"), 0o755)
	_ = os.WriteFile(filepath.Join(books, "invoices", "INV-0001.xml"), []byte("<invoice/>"), 0o644)
	_ = os.WriteFile(filepath.Join(books, "customers.csv"), []byte("id,name\n"), 0o600)

	r, _ := custodia.Create(ctx, []string{"mem://example-restore"}, []byte("a long passphrase"))
	defer r.Close(ctx)
	res, _ := r.Backup(ctx, []string{books})

	// Only the invoices, into a new folder.
	target := filepath.Join(dir, "restored")
	rr, err := r.Restore(ctx, res.Snapshot, target, custodia.WithInclude("*.xml"))
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(filepath.Join(target, "books", "invoices", "INV-0001.xml"))
	fmt.Println(rr.Files, "file:", string(b))
	// The folder is not empty any more.
	_, err = r.Restore(ctx, res.Snapshot, target)
	fmt.Println(errors.Is(err, custodia.ErrTargetNotEmpty))
	// Output:
	// 1 file: <invoice/>
	// true
}

func ExampleRepository_Snapshots() {
	ctx := context.Background()
	r, _ := custodia.Create(ctx, []string{"mem://example-snapshots"}, []byte("a long passphrase"))
	defer r.Close(ctx)
	for _, tag := range []string{"daily", "monthly", "daily"} {
		_, _ = r.BackupStream(ctx, "export.csv", strings.NewReader(tag), custodia.WithTags(tag))
	}
	n := 0
	for s, err := range r.Snapshots(ctx, custodia.Filter{Tags: [][]string{{"daily"}}}) {
		if err != nil {
			fmt.Println(err) // an unreadable snapshot; the others follow
			continue
		}
		fmt.Println(s.Tags, s.Stats.Bytes, "bytes")
		n++
	}
	fmt.Println(n, "daily snapshots")
	// Output:
	// [daily] 5 bytes
	// [daily] 5 bytes
	// 2 daily snapshots
}

func ExampleRepository_Latest() {
	ctx := context.Background()
	r, _ := custodia.Create(ctx, []string{"mem://example-latest"}, []byte("a long passphrase"))
	defer r.Close(ctx)
	_, _ = r.BackupStream(ctx, "a.csv", strings.NewReader("a"), custodia.WithHost("books-1"))
	_, _ = r.BackupStream(ctx, "b.csv", strings.NewReader("b"), custodia.WithHost("books-2"))

	snap, err := r.Latest(ctx, custodia.Filter{Hosts: []string{"books-1"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(snap.Host, snap.Paths)
	_, err = r.Latest(ctx, custodia.Filter{Hosts: []string{"books-3"}})
	fmt.Println(errors.Is(err, custodia.ErrSnapshotNotFound))
	// Output:
	// books-1 [a.csv]
	// true
}

func ExampleRepository_Snapshot() {
	ctx := context.Background()
	r, _ := custodia.Create(ctx, []string{"mem://example-snapshot"}, []byte("a long passphrase"))
	defer r.Close(ctx)
	res, _ := r.BackupStream(ctx, "a.csv", strings.NewReader("a"))

	// A unique prefix of the ID, as the CLI shows it, is enough.
	snap, err := r.Snapshot(ctx, res.Snapshot.ID.String()[:8])
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(snap.ID == res.Snapshot.ID)
	// Output: true
}

func ExampleRepository_Verify() {
	ctx := context.Background()
	r, _ := custodia.Create(ctx, []string{"mem://example-verify"}, []byte("a long passphrase"))
	defer r.Close(ctx)
	_, _ = r.BackupStream(ctx, "a.csv", strings.NewReader("a"))

	rep, err := r.Verify(ctx, custodia.VerifyOptions{ReadData: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Snapshots, "snapshot; all packs read:", rep.PacksRead == rep.Packs, "; problems:", len(rep.Findings))
	// Output: 1 snapshot; all packs read: true ; problems: 0
}

func ExampleRepository_Close() {
	ctx := context.Background()
	r, err := custodia.Create(ctx, []string{"mem://example-close"}, []byte("a long passphrase"))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = r.BackupStream(ctx, "a.csv", strings.NewReader("a"))
	// Close flushes, forgets the keys and closes every site.
	fmt.Println(r.Close(ctx))
	// Output: <nil>
}
