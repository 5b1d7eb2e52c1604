package backup

import (
	"sync/atomic"
	"time"

	"github.com/custodia-backup/custodia/internal/ticker"
	"github.com/custodia-backup/custodia/repo"
)

// TableProgress reports how far a table backup is.
type TableProgress struct {
	// Records counts the source records read and protected so far.
	Records uint64
	// Bytes counts their bytes as encoded after protection.
	Bytes uint64
	// Added counts the plaintext bytes of new blobs.
	Added uint64
	// Elapsed is the time since the backup started.
	Elapsed time.Duration
	// Done is set on the last report.
	Done bool
}

// WithTableProgress calls fn about every interval (default one second)
// and once at the end with the counters so far, from a goroutine of its
// own.
func WithTableProgress(fn func(TableProgress), interval time.Duration) TableOption {
	return func(o *tableOptions) {
		o.progress = fn
		o.interval = interval
	}
}

// tableCounter holds a table backup's counters for its progress reports.
type tableCounter struct {
	records, bytes atomic.Uint64
}

// start reports the counters every interval until the returned function
// is called, which reports them a last time.
func (c *tableCounter) start(r *repo.Repository, o *tableOptions, start time.Time) func() {
	if o.progress == nil {
		return func() {}
	}
	base := r.Stats().Bytes
	interval := o.interval
	if interval <= 0 {
		interval = time.Second
	}
	return ticker.Start(interval, func(last bool) {
		o.progress(TableProgress{
			Records: c.records.Load(),
			Bytes:   c.bytes.Load(),
			Added:   r.Stats().Bytes - base,
			Elapsed: time.Since(start),
			Done:    last,
		})
	})
}
