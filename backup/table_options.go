package backup

import (
	"iter"
	"time"

	"github.com/custodia-backup/custodia/internal/extsort"
	"github.com/custodia-backup/custodia/repo"
)

// TableOption configures a table backup.
type TableOption func(*tableOptions)

type tableOptions struct {
	policy       string
	policySet    bool
	full         bool
	differential bool
	fullEvery    int
	tempDir      string
	memory       int
	sample       int
	tags         []string
	host         string
	changedRows  bool
	deleted      iter.Seq2[[]string, error]
	watermark    *repo.Watermark
	priority     int
	progress     func(TableProgress)
	interval     time.Duration
	budget       *extsort.Budget // the sorters' (a test's, export_test.go)
}

// DefaultFullEvery is how many incremental snapshots follow a full before
// the next backup is made full on its own.
const DefaultFullEvery = 6

// WithPolicy protects the table with the policy in text (the YAML of
// classify.ParsePolicy) instead of the decisions stored with the previous
// snapshot, or the default policy for a first backup. The text is stored,
// sealed, with the snapshot.
func WithPolicy(text string) TableOption {
	return func(o *tableOptions) { o.policy, o.policySet = text, true }
}

// WithFull makes a full snapshot even when an earlier one exists.
func WithFull() TableOption { return func(o *tableOptions) { o.full = true } }

// WithDifferential makes a differential snapshot: the changes since the
// last full, rather than since the previous snapshot.
func WithDifferential() TableOption { return func(o *tableOptions) { o.differential = true } }

// WithFullEvery makes every backup after n incremental snapshots in a row a
// full one (default DefaultFullEvery; 0 or less means never on its own).
func WithFullEvery(n int) TableOption { return func(o *tableOptions) { o.fullEvery = n } }

// WithTempDir sets the folder of the external sort's run files (default
// os.TempDir()). They hold protected records only.
func WithTempDir(dir string) TableOption { return func(o *tableOptions) { o.tempDir = dir } }

// WithSortMemory bounds the memory of the external sorts, in bytes
// (default 64 MiB): the records' sort and, for an incremental or
// differential snapshot, the spool of its delta index entries share it
// (the spool gets what the records' merge does not hold, three eighths of
// it at least). A table larger than this is sorted through run files.
func WithSortMemory(n int) TableOption { return func(o *tableOptions) { o.memory = n } }

// WithSampleSize sets how many records are profiled to decide the
// protection of a first backup (default classify.DefaultSampleSize).
func WithSampleSize(n int) TableOption { return func(o *tableOptions) { o.sample = n } }

// WithTableTags labels the snapshot.
func WithTableTags(tags ...string) TableOption {
	return func(o *tableOptions) { o.tags = append(o.tags, tags...) }
}

// WithTableHost records host as the snapshot's host instead of os.Hostname.
func WithTableHost(host string) TableOption { return func(o *tableOptions) { o.host = host } }

// WithChangedRows says that the records given are only those changed since
// the previous snapshot of the table (no deletions): the backup is an
// incremental that does not read the unchanged records again. w, if not
// nil, is stored for the next backup (see TableWatermark).
func WithChangedRows(w *repo.Watermark) TableOption {
	return func(o *tableOptions) { o.changedRows, o.watermark = true, w }
}

// WithDeletedKeys gives, with WithChangedRows, the keys (each the values of
// the key fields, in order) deleted since the previous snapshot: a host
// that tracks its changes hands them over and unchanged records are never
// read again.
func WithDeletedKeys(keys iter.Seq2[[]string, error]) TableOption {
	return func(o *tableOptions) { o.deleted = keys }
}

// WithWatermark stores w with the snapshot without limiting it to changed
// rows: a full read of a source that the next backup will read by
// changed-since column.
func WithWatermark(w *repo.Watermark) TableOption {
	return func(o *tableOptions) { o.watermark = w }
}
