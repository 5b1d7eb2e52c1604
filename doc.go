// Package custodia backs up the data of bookkeeping firms and e-invoice
// systems (customer records, invoices and their attachments, ledgers) into
// encrypted, deduplicated, erasure-coded repositories, and restores it.
//
// A host application opens a repository on one or more sites and backs up
// and restores through it:
//
//	r, err := custodia.Create(ctx, []string{"/srv/backup/repo"}, password) // custodia.Open the next time
//	if err != nil {
//		return err
//	}
//	defer r.Close(ctx)
//	res, err := r.Backup(ctx, []string{"/srv/ledger"}, custodia.WithTags("daily"))
//	if err == nil {
//		_, err = r.Restore(ctx, res.Snapshot, "/tmp/restore")
//	}
//	return err
//
// [Repository.BackupStream] and [Repository.RestoreStream] back up a
// stream (a database dump, an export) and write it back to an io.Writer;
// [Repository.Snapshots] and [Repository.Latest] find snapshots by host,
// tag and path ([Filter]); [Repository.Verify] proves the data restores;
// [Repository.Close] flushes, forgets the keys and closes every site.
// [WithEvents] hands the host a typed [Event] for the start, progress,
// warnings and end of every operation, for its logs, metrics and alerts.
// Errors are matched with errors.Is against the Err variables.
//
// Sites are local folders, mem:// (tests), or cloud buckets: s3://, gs://
// and azblob:// URLs work once the host imports the drivers it wants,
//
//	import _ "github.com/custodia-backup/custodia/storage/cloud"
//
// or the host hands in buckets it opened itself with [WithBucket].
//
// # Underneath
//
// Data flows one way through small packages, which stay public for hosts
// that need more than this package offers ([Repository.Repo] reaches them):
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
// # Extending this package
//
// Each capability lives in its own file of methods on [Repository] (tables
// of records, keys, restore drills...), with its options as functional
// options of its own type and its errors re-exported from the package that
// defines them, so that `go doc -short` stays one screen.
//
// See README.md for the CLI and docs/FORMAT.md for the repository format.
package custodia
