package backup

import (
	"runtime"
	"time"

	"github.com/custodia-backup/custodia/repo"
)

// Option configures a backup.
type Option func(*options)

type options struct {
	tags     []string
	host     string
	user     string
	parent   *repo.Snapshot
	noParent bool
	noXattrs bool
	workers  int
	walkers  int
	progress func(Progress)
	interval time.Duration
	priority int
}

func newOptions(opts []Option) options {
	o := options{workers: runtime.GOMAXPROCS(0), interval: 500 * time.Millisecond}
	for _, opt := range opts {
		opt(&o)
	}
	o.workers = max(1, o.workers)
	if o.walkers <= 0 {
		o.walkers = defaultWalkers * o.workers
	}
	return o
}

// WithTags labels the snapshot.
func WithTags(tags ...string) Option {
	return func(o *options) { o.tags = append(o.tags, tags...) }
}

// WithHost records host as the snapshot's host instead of os.Hostname.
func WithHost(host string) Option {
	return func(o *options) { o.host = host }
}

// WithParent uses s as the parent snapshot: files unchanged since it are
// not read again.
func WithParent(s *repo.Snapshot) Option {
	return func(o *options) { o.parent = s }
}

// WithoutParent reads every file, ignoring earlier snapshots.
func WithoutParent() Option {
	return func(o *options) { o.noParent = true }
}

// WithoutXattrs leaves out extended attributes (and the POSIX ACLs kept
// in them).
func WithoutXattrs() Option {
	return func(o *options) { o.noXattrs = true }
}

// WithWorkers sets how many files are read and how many chunks are
// compressed and sealed in parallel (default GOMAXPROCS).
func WithWorkers(n int) Option {
	return func(o *options) { o.workers = n }
}

// defaultWalkers is how many folders each worker lists in parallel by
// default: listing waits on the file system (and, on a busy machine, on
// the CPU between system calls), so several per core; 4 re-ran 100,000
// unchanged files in 1,000 folders faster than 2 at the same CPU time
// (docs/PERFORMANCE.md).
const defaultWalkers = 4

// WithWalkers sets how many folders are listed (read, lstat'ed and compared
// with the parent snapshot) in parallel; 1 walks them one at a time.
// Default: four times the workers. Each walker holds at most one folder's
// listing ahead of the files being read, so this bounds the walk's memory
// with the largest folder's size.
func WithWalkers(n int) Option {
	return func(o *options) { o.walkers = n }
}

// WithProgress calls fn about every interval (and once at the end) with
// the counters so far, from a goroutine of its own.
func WithProgress(fn func(Progress), interval time.Duration) Option {
	return func(o *options) {
		o.progress = fn
		if interval > 0 {
			o.interval = interval
		}
	}
}

// Progress reports how far a backup is.
type Progress struct {
	Files, Dirs uint64
	// Bytes counts the bytes of files seen so far (read or unchanged).
	Bytes uint64
	// Added counts the plaintext bytes of new blobs.
	Added  uint64
	Errors uint64
	// Elapsed is the time since the backup started.
	Elapsed time.Duration
	// Done is set on the last report.
	Done bool
}
