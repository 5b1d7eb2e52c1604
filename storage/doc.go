// Package storage keeps named, immutable byte objects on one or more
// sites with Reed-Solomon erasure coding.
//
// A site is a gocloud.dev/blob bucket: a local folder (fileblob, the
// default), an in-memory bucket (mem://name, for tests: one bucket per name
// for the life of the process, so a Store can be reopened), an S3, Google
// Cloud Storage or Azure Blob container, or any bucket the host opened
// itself and hands in with WithBucket. Only file and mem URLs work out of
// the box; the cloud drivers are registered by importing
// github.com/custodia-backup/custodia/storage/cloud (or one gocloud driver),
// so a host binary carries only the SDKs it uses.
//
// Every object is split into k data shards plus m parity shards (fixed
// when a Store is opened; Coded gives a view with another coding); shard i
// is stored as the blob "<name>.<i>" on site i mod n. The default,
// DefaultShards(n), survives the loss of any one of n >= 2 sites (no site
// holds more than m shards of an object; SiteTolerance counts the sites
// that may be lost), and with one site any m shard files can be lost or
// damaged.
//
// Every shard blob starts with a self-describing 88-byte header (magic
// "CSHD", version, k, m, index, object and shard length, a BLAKE3 hash of
// the whole object and one of the header and shard), so a reader needs no
// configuration to decode, verify and reconstruct an object. The layout is
// specified in docs/FORMAT.md (storage section).
//
// The package knows nothing of snapshots, packs or keys: it stores bytes
// it is given under the names it is given. The layers above encrypt, so a
// storage provider learns only object names and sizes.
//
//	s, err := storage.Open(ctx, []string{"/backup/a", "s3://bucket-b"})
//	err = s.Put(ctx, "packs/ab/ab12", data)
//	data, health, err := s.Get(ctx, "packs/ab/ab12")
//
// Get verifies every shard it reads and reconstructs from parity when a
// data shard is missing or corrupt, reporting the damage in its Health.
// The checksums are unkeyed, so a site can forge a shard that passes its
// own: every object is therefore also checked whole, against its object
// hash and the caller's Authenticate function, and other shards are tried
// until k of them give an object that passes. Check and Repair examine and
// mend all shards of an object.
package storage
