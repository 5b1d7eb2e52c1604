// Package custodia is a backup library for bookkeeping firms and e-invoice
// systems: customer records, invoices and their attachments, ledgers.
//
// Data flows one way through small packages:
//
//	source (files | stream)
//	  -> chunk    content-defined chunks, keyed BLAKE3 IDs
//	  -> repo     dedup against the index; zstd; XChaCha20-Poly1305; packs
//	  -> storage  Reed-Solomon k+m shards over one or more sites
//
// and restores run the same path backwards from any k shards of each
// object. Package classify decides, field by field, how personal data in
// records is protected before it is stored.
//
// A minimal program:
//
//	st, err := storage.Open(ctx, []string{"/srv/backup/repo"}, storage.WithCreate())
//	r, err := repo.Init(ctx, st, password)
//	res, err := backup.Files(ctx, r, []string{"/srv/ledger"})
//	snap, err := r.FindSnapshot(ctx, "latest")
//	_, err = restore.Snapshot(ctx, r, snap, "/tmp/restored")
//
// See README.md for the CLI and docs/FORMAT.md for the repository format.
package custodia
