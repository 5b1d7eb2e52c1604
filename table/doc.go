// Package table stores tables record by record in a custodia repository.
//
// A table snapshot is a sorted run of protected records cut into record
// pages (data blobs), a sparse index of the pages (index pages, also data
// blobs) and, for incremental and differential snapshots, a delta index
// listing every key changed since the last full snapshot with the page that
// holds its newest version or a tombstone. A reader merges the full's
// records with the delta (like one level of an LSM tree), so any snapshot
// restores on its own, and one record is found from at most four storage
// objects: the snapshot, a delta index page, a full index page and a record
// page. Page and index bytes go through the repository's blob path
// (compress, seal, pack, erasure-code); the repository index grows by one
// entry per page, never per record.
//
// The package knows nothing of where records come from or how they are
// protected: package backup protects records with package classify before
// they reach a [Writer], and package restore decrypts them after a
// [Reader]. docs/FORMAT.md section 25 specifies every layout.
package table
