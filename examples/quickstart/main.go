// Command quickstart shows custodia's host API (package custodia) end to
// end with a local folder as the repository: it writes a sample folder of invoice-like
// files, backs it up, changes a few files and backs up again, restores the
// latest snapshot, compares the restore with the source byte for byte and
// verifies every blob in the repository.
//
//	go run ./examples/quickstart [-dir DIR] [-keep]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/custodia-backup/custodia"
	"github.com/custodia-backup/custodia/internal/fixture"
)

func main() {
	dir := flag.String("dir", "", "work folder (default: a new temporary folder)")
	keep := flag.Bool("keep", false, "keep the work folder")
	flag.Parse()
	if err := run(context.Background(), *dir, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir string, keep bool) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "custodia-quickstart-")
		if err != nil {
			return err
		}
		dir = d
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	src := filepath.Join(dir, "ledger")
	repoDir := filepath.Join(dir, "repository")
	target := filepath.Join(dir, "restored")

	n, size, err := writeSample(src, 1)
	if err != nil {
		return err
	}
	fmt.Printf("1. wrote a sample of %d invoice, customer and attachment files (%s) to %s\n", n, mib(size), src)

	password := []byte("quickstart password — use a long random one")
	r, err := custodia.Create(ctx, []string{repoDir}, password)
	if err != nil {
		return err
	}
	defer func() { r.Close(ctx) }()
	cfg := r.Repo().Config()
	fmt.Printf("2. created an encrypted repository in %s: every object is split into %d data + %d parity shards\n", repoDir, cfg.DataShards, cfg.ParityShards)

	res, err := r.Backup(ctx, []string{src}, custodia.WithTags("quickstart"))
	if err != nil {
		return err
	}
	s := res.Snapshot.Stats
	fmt.Printf("3. backup %s: %d files, %s read, %s stored after compression and encryption, in %s\n",
		res.Snapshot.ID.String()[:8], s.Files, mib(s.Bytes), mib(s.StoredAdded), s.Duration.Round(time.Millisecond))

	if _, _, err := writeSample(src, 2); err != nil {
		return err
	}
	res, err = r.Backup(ctx, []string{src}, custodia.WithTags("quickstart"))
	if err != nil {
		return err
	}
	s = res.Snapshot.Stats
	fmt.Printf("4. second backup %s after editing a few files: %d unchanged files skipped, %d changed, %s new data stored\n",
		res.Snapshot.ID.String()[:8], s.FilesSkipped, s.FilesChanged, mib(s.StoredAdded))

	// A fresh Open, as a restore on another day would do.
	if err := r.Close(ctx); err != nil {
		return err
	}
	if r, err = custodia.Open(ctx, []string{repoDir}, password); err != nil {
		return err
	}
	latest, err := r.Latest(ctx, custodia.Filter{Tags: [][]string{{"quickstart"}}})
	if err != nil {
		return err
	}
	rres, err := r.Restore(ctx, latest, target)
	if err != nil {
		return err
	}
	restored := filepath.Join(target, filepath.Base(src))
	if diffs, err := fixture.Diff(src, restored, false); err != nil || len(diffs) > 0 {
		return fmt.Errorf("restore differs from the source: %v %v", diffs, err)
	}
	fmt.Printf("5. restored %d files (%s) to %s: identical to the source, byte for byte\n", rres.Files, mib(rres.Bytes), restored)

	rep, err := r.Verify(ctx, custodia.VerifyOptions{ReadData: true})
	if err != nil {
		return err
	}
	if rep.Damaged() {
		return fmt.Errorf("verify found problems: %v", rep.Findings)
	}
	fmt.Printf("6. verified: %d snapshots, %d packs read, %d blobs authenticated and re-hashed, no problems\n", rep.Snapshots, rep.PacksRead, rep.BlobsRead)
	if keep {
		fmt.Printf("The work folder %s is kept. Try the CLI on it:\n  CUSTODIA_REPOSITORY=%s CUSTODIA_PASSWORD='%s' go run ./cmd/custodia snapshots\n", dir, repoDir, password)
	}
	return nil
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// writeSample writes (version 1) or edits (version 2) a small folder shaped
// like a bookkeeping firm's data: invoices as JSON Lines, a customer master
// CSV, and incompressible attachments.
func writeSample(dir string, version int) (int, uint64, error) {
	rng := rand.New(rand.NewPCG(2026, uint64(version)))
	var files int
	var total uint64
	write := func(rel string, data []byte) error {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		files++
		total += uint64(len(data))
		return os.WriteFile(p, data, 0o644)
	}
	if version == 1 {
		for month := 1; month <= 12; month++ {
			var b bytes.Buffer
			for i := range 2000 {
				rec := map[string]any{
					"invoice_no": fmt.Sprintf("2026%02d%014d", month, i),
					"buyer":      fmt.Sprintf("客户 %04d 有限公司", rng.IntN(500)),
					"amount":     fmt.Sprintf("%d.%02d", rng.IntN(100000), rng.IntN(100)),
					"tax_rate":   "0.13",
					"issued":     fmt.Sprintf("2026-%02d-%02d", month, 1+rng.IntN(28)),
				}
				line, _ := json.Marshal(rec)
				b.Write(append(line, '\n'))
			}
			if err := write(fmt.Sprintf("invoices/2026-%02d.jsonl", month), b.Bytes()); err != nil {
				return 0, 0, err
			}
		}
		var c bytes.Buffer
		c.WriteString("customer_id,name,mobile,city\n")
		for i := range 5000 {
			fmt.Fprintf(&c, "C%05d,客户%d,1%d%09d,城市%d\n", i, i, 3+rng.IntN(7), rng.IntN(1e9), rng.IntN(300))
		}
		if err := write("customers.csv", c.Bytes()); err != nil {
			return 0, 0, err
		}
		for i := range 8 {
			att := make([]byte, 256<<10+rng.IntN(1<<20))
			for j := range att {
				att[j] = byte(rng.Uint32())
			}
			if err := write(fmt.Sprintf("attachments/scan-%03d.pdf", i), att); err != nil {
				return 0, 0, err
			}
		}
		return files, total, nil
	}
	// Version 2: one month gets more invoices, one new attachment.
	p := filepath.Join(dir, "invoices/2026-12.jsonl")
	old, err := os.ReadFile(p)
	if err != nil {
		return 0, 0, err
	}
	old = append(old, []byte(`{"invoice_no":"20261299999999999999","buyer":"新客户 有限公司","amount":"88.00"}`+"\n")...)
	if err := write("invoices/2026-12.jsonl", old); err != nil {
		return 0, 0, err
	}
	att := make([]byte, 300<<10)
	for j := range att {
		att[j] = byte(rng.Uint32())
	}
	return files, total, write("attachments/scan-new.pdf", att)
}
