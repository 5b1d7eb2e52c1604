package custodia

import (
	"iter"
	"strconv"
	"time"

	"github.com/custodia-backup/custodia/monitor"
	"github.com/custodia-backup/custodia/repo"
)

// Event is one step of an operation of a Repository, as the handler given
// to WithEvents receives it: which operation (Op) and which call of it
// (Run), what happened (Kind), the counts so far or in all, the time since
// the call started, the health of every site (on start, finish and
// error), and for a warning or an error its cause.
//
// Every call emits EventStart first and exactly one EventFinish or
// EventError last, with EventProgress and EventWarning between. The counts
// each operation fills:
//
//   - Backup, BackupStream: Files, Dirs, Bytes (read or unchanged),
//     BytesAdded (new after deduplication), Errors (files left out, each
//     also a warning); a warning per site that some shards could not be
//     written to.
//   - BackupTable: Records (read so far in progress events, the
//     snapshot's records in the finish), Bytes, BytesAdded.
//   - Restore: Files, Dirs, Bytes; RestoreStream: Bytes; RestoreTable and
//     RestoreRecords: Records (the call starts when the iteration does).
//   - RestoreAll: Files, Bytes, Records, a progress event per item as it
//     becomes available and a warning per item that failed.
//   - Verify: Snapshots, Packs (read), Bytes (read), Errors (findings,
//     each a warning); it ends in EventError when data is lost.
//   - VerifyTableSample: Records (sampled), Errors (records that differ
//     or are missing, each a warning).
//   - Drill: Files, Records, Bytes, Errors (failed checks, each a
//     warning), a progress event per item, a warning when the live
//     source compared with differs from the snapshot; it ends in
//     EventError when a check failed, else EventFinish with Message
//     "passed" or "slow" (slower than the RTO, also a warning).
//   - Open, Create, Close: the sites; Open warns of what it passed over.
//
// monitor.LogEvents logs events to a log/slog Logger.
type Event = monitor.Event

// EventKind says what an Event reports.
type EventKind = monitor.Kind

// SiteHealth is the state of one site in an Event.
type SiteHealth = monitor.SiteHealth

// Event kinds: see monitor's.
const (
	EventStart    = monitor.EventStart
	EventProgress = monitor.EventProgress
	EventWarning  = monitor.EventWarning
	EventFinish   = monitor.EventFinish
	EventError    = monitor.EventError
)

// DefaultProgressInterval is how often long operations emit a progress
// event without WithProgressInterval.
const DefaultProgressInterval = time.Second

// WithEvents calls fn with the events of every operation of the
// repository (see Event), one at a time and in order, from the goroutine
// of the operation: fn should return quickly and must not call the
// repository. A host sends them to its logs (monitor.LogEvents), its
// metrics or its alerting.
//
// An operation given its own backup.WithProgress or restore.WithProgress
// option reports progress there instead of in progress events.
func WithEvents(fn func(Event)) Option { return func(o *options) { o.events = fn } }

// WithProgressInterval sets how often long operations emit a progress
// event (DefaultProgressInterval without it).
func WithProgressInterval(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.interval = d
		}
	}
}

// FromRepo wraps a repository opened with package repo (a split
// repository opened with custody shares, say) so that this package's
// methods, and their events, work on it. Of opts only WithEvents and
// WithProgressInterval apply. Close closes r and its sites.
func FromRepo(r *repo.Repository, opts ...Option) *Repository {
	rp := newRepository(newOptions(opts))
	rp.repo, rp.store = r, r.Store()
	return rp
}

// newRepository returns a Repository, not yet opened, whose events report
// the health of its sites once it is.
func newRepository(o options) *Repository {
	rp := &Repository{interval: cmpDuration(o.interval, DefaultProgressInterval)}
	rp.events = monitor.NewEvents(o.events, func() []SiteHealth { return monitor.SitesOf(rp.store) })
	return rp
}

func cmpDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// shardGaps returns the shards not written per site so far.
func (r *Repository) shardGaps() map[string]int64 {
	if r.events == nil || r.store == nil {
		return nil
	}
	m := map[string]int64{}
	for _, g := range r.store.WriteGaps() {
		m[g.Site] += g.Shards
	}
	return m
}

// warnGaps warns, per site, of the shards that could not be written to it
// since before (shardGaps' result).
func (r *Repository) warnGaps(run *monitor.Run, before map[string]int64) {
	if run == nil {
		return
	}
	for _, g := range r.store.WriteGaps() {
		if n := g.Shards - before[g.Site]; n > 0 {
			run.Warn("", "site "+g.Site+": "+strconv.FormatInt(n, 10)+" shards not written (the others cover them; run verify with repair)", g, monitor.Counts{})
		}
	}
}

// countRecords emits the events of op around a sequence of records: the
// start when the iteration starts, progress every interval, the finish
// when it ends (or the caller stops), an error when it yields one.
func (r *Repository) countRecords(op monitor.Op, snap *Snapshot, seq iter.Seq2[Record, error]) iter.Seq2[Record, error] {
	if r.events == nil {
		return seq
	}
	return func(yield func(Record, error) bool) {
		run := r.events.Begin(op)
		run.Subject(snap.ID.String(), repo.TableOf(snap))
		var c monitor.Counts
		last := time.Now()
		for rec, err := range seq {
			if err != nil {
				run.Finish(c, "", err)
				if !yield(rec, err) {
					return
				}
				continue
			}
			c.Records++
			if now := time.Now(); now.Sub(last) >= r.interval {
				run.Progress("", c)
				last = now
			}
			if !yield(rec, nil) {
				run.Finish(c, "stopped by the caller", nil)
				return
			}
		}
		run.Finish(c, "", nil)
	}
}
