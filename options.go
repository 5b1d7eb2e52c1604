package custodia

import (
	"time"

	"gocloud.dev/blob"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/storage"
)

// Option configures Create and Open.
type Option func(*options)

type options struct {
	storage []storage.Option // sites, coding (WithShards: Create only)
	init    []repo.InitOption
	open    []repo.OpenOption

	events   func(Event)   // WithEvents
	interval time.Duration // WithProgressInterval
}

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithBucket adds a site backed by a bucket the host has already opened
// (any gocloud.dev/blob driver, with its own credentials). name is how the
// site is shown in errors. The host keeps owning the bucket: Close does not
// close it.
func WithBucket(name string, b *blob.Bucket) Option {
	return func(o *options) { o.storage = append(o.storage, storage.WithBucket(name, b)) }
}

// WithShards sets how Create codes every object: data shards and parity
// shards, any parity of which (or whole sites holding them) may be lost
// (default: storage's, 4+2). Open reads the coding from the repository.
func WithShards(data, parity int) Option {
	return func(o *options) { o.storage = append(o.storage, storage.WithShards(data, parity)) }
}

// BackupOption configures Backup and BackupStream; every backup.Option
// (progress, parent, workers) is one.
type BackupOption = backup.Option

// WithTags labels the snapshot.
func WithTags(tags ...string) BackupOption { return backup.WithTags(tags...) }

// WithHost records host as the snapshot's host instead of this machine's
// name.
func WithHost(host string) BackupOption { return backup.WithHost(host) }

// RestoreOption configures Restore; every restore.Option (progress,
// workers) is one.
type RestoreOption = restore.Option

// WithInclude restores only the entries matching one of the glob patterns:
// with a slash, the path from the snapshot's root ("clients/0042/*.pdf");
// without, a name at any depth ("*.xml").
func WithInclude(patterns ...string) RestoreOption { return restore.WithInclude(patterns...) }

// WithOverwrite restores into a folder that is not empty, replacing what is
// in the way.
func WithOverwrite() RestoreOption { return restore.WithOverwrite() }
