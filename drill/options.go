package drill

import (
	"iter"
	"time"

	"github.com/custodia-backup/custodia/classify"
)

// Option configures Run.
type Option func(*options)

type options struct {
	snapshot string
	tables   []string
	paths    []string
	files    bool
	sample   int
	rto      time.Duration
	scratch  string
	record   bool
	seed     uint64
	now      func() time.Time
	onItem   []func(Item)

	againstFiles  string                                       // WithAgainstFiles
	againstTables map[string]iter.Seq2[classify.Record, error] // WithAgainstTable
}

// WithSnapshot drills the snapshot ref ("latest", an ID or an ID prefix)
// instead of the newest of each item.
func WithSnapshot(ref string) Option { return func(o *options) { o.snapshot = ref } }

// WithTable adds a table to the drill (repeatable).
func WithTable(name string) Option { return func(o *options) { o.tables = append(o.tables, name) } }

// WithPaths restores only the files of the snapshot matching these glob
// patterns (restore.WithInclude's form); repeatable.
func WithPaths(globs ...string) Option {
	return func(o *options) { o.paths = append(o.paths, globs...); o.files = true }
}

// WithFiles adds the newest snapshot of files (or the one WithSnapshot
// names) to a drill of tables; a drill with no table and no option
// restores files anyway.
func WithFiles() Option { return func(o *options) { o.files = true } }

// WithSample fetches n random records of each table again by key and
// compares them with the full read (default 0: none).
func WithSample(n int) Option { return func(o *options) { o.sample = n } }

// WithRTO sets the recovery time objective the drill is measured against.
func WithRTO(d time.Duration) Option { return func(o *options) { o.rto = d } }

// WithScratch restores files under dir (a new folder inside it, removed at
// the end) instead of the system's temporary folder.
func WithScratch(dir string) Option { return func(o *options) { o.scratch = dir } }

// WithoutRecord leaves no drill record in the repository.
func WithoutRecord() Option { return func(o *options) { o.record = false } }

// WithSeed fixes the random sample (for repeatable drills and tests).
func WithSeed(seed uint64) Option { return func(o *options) { o.seed = seed } }

// OnItem calls fn as each item becomes available (restored and checked),
// critical items first. Every OnItem given is called, in order.
func OnItem(fn func(Item)) Option { return func(o *options) { o.onItem = append(o.onItem, fn) } }
