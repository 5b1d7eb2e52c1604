package monitor

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/custodia-backup/custodia/storage"
)

// Kind says what an Event reports.
type Kind string

// Event kinds. Every operation emits one EventStart first and exactly one
// EventFinish or EventError last; EventProgress and EventWarning come in
// between.
const (
	// EventStart: the operation began.
	EventStart Kind = "start"
	// EventProgress: the counts so far (every so often, and per item of
	// an operation of several items).
	EventProgress Kind = "progress"
	// EventWarning: something the operation passed over and goes on
	// without: a file left out, a site that could not be reached or
	// written, redundancy lost, a drill check that failed.
	EventWarning Kind = "warning"
	// EventFinish: the operation ended as asked; the counts are the
	// totals.
	EventFinish Kind = "finish"
	// EventError: the operation failed, or found data that can no longer
	// be read; Err says why and the counts are what was done.
	EventError Kind = "error"
)

// Op names an operation.
type Op string

// Operations of the custodia package that emit events.
const (
	OpCreate         Op = "create"
	OpOpen           Op = "open"
	OpClose          Op = "close"
	OpBackup         Op = "backup"
	OpBackupStream   Op = "backup-stream"
	OpBackupTable    Op = "backup-table"
	OpRestore        Op = "restore"
	OpRestoreStream  Op = "restore-stream"
	OpRestoreTable   Op = "restore-table"
	OpRestoreRecords Op = "restore-records"
	OpRestoreAll     Op = "restore-all"
	OpVerify         Op = "verify"
	OpVerifySample   Op = "verify-sample"
	OpDrill          Op = "drill"
)

// Counts are the amounts an event reports; each operation fills those
// that apply to it (its documentation says which).
type Counts struct {
	Files     uint64 `json:"files,omitempty"`
	Dirs      uint64 `json:"dirs,omitempty"`
	Records   uint64 `json:"records,omitempty"`
	Snapshots uint64 `json:"snapshots,omitempty"`
	Packs     uint64 `json:"packs,omitempty"`
	// Bytes counts the plaintext bytes read, written or checked.
	Bytes uint64 `json:"bytes,omitempty"`
	// BytesAdded counts the plaintext bytes a backup added to the
	// repository (new data after deduplication).
	BytesAdded uint64 `json:"bytes_added,omitempty"`
	// Errors counts the problems met: files left out, findings, failed
	// checks.
	Errors uint64 `json:"errors,omitempty"`
}

// SiteHealth is the state of one site when an event was emitted.
type SiteHealth struct {
	// Site is the site's URL with any secret removed.
	Site string `json:"site"`
	// Reachable is false for a site that could not be reached when the
	// repository was opened.
	Reachable bool `json:"reachable"`
	// ShardsNotWritten counts the shards that writes since the repository
	// was opened could not put on this site (the erasure code covered
	// them; verify --repair rewrites them).
	ShardsNotWritten int64 `json:"shards_not_written,omitempty"`
}

// Event is one step of an operation of the library, as a host's event
// handler receives it.
type Event struct {
	// Seq numbers the events of one handler from 1, in the order they
	// were delivered.
	Seq uint64 `json:"seq"`
	// Time is when the event was emitted.
	Time time.Time `json:"time"`
	// Op is the operation; Run tells its calls apart (every event of one
	// call carries the same Run, and calls running at the same time
	// interleave their events).
	Op  Op     `json:"op"`
	Run uint64 `json:"run"`
	// Kind is what the event reports.
	Kind Kind `json:"kind"`
	// Snapshot is the ID of the snapshot read or written, once known;
	// Table the table's name; Item the item of a drill or of a restore of
	// several snapshots that a progress or warning event is about.
	Snapshot string `json:"snapshot,omitempty"`
	Table    string `json:"table,omitempty"`
	Item     string `json:"item,omitempty"`
	// Counts are the totals so far (progress, warning) or in all
	// (finish, error).
	Counts
	// Elapsed is the time since the operation started.
	Elapsed time.Duration `json:"elapsed_ns"`
	// Sites is the health of every site, on start, finish and error
	// events.
	Sites []SiteHealth `json:"sites,omitempty"`
	// Message says in one line what a warning or error is about, or the
	// outcome of a finish ("passed", "slow" for a drill).
	Message string `json:"message,omitempty"`
	// Err is the cause of a warning or error event.
	Err error `json:"-"`
}

// Events delivers the events of a repository's operations to a handler,
// one at a time and in order: the handler is never called concurrently,
// and sees the events of each operation in the order they happened. A nil
// *Events emits nothing, so callers need not check.
//
// The handler runs on the goroutine of the operation (or of its progress
// reports) and holds it up while it runs: it should be quick, and must not
// start another operation of the same repository.
type Events struct {
	fn    func(Event)
	sites func() []SiteHealth
	mu    sync.Mutex
	seq   uint64
	runs  atomic.Uint64
}

// NewEvents returns an Events delivering to fn, with the site health that
// sites returns (nil: none), or nil when fn is nil.
func NewEvents(fn func(Event), sites func() []SiteHealth) *Events {
	if fn == nil {
		return nil
	}
	return &Events{fn: fn, sites: sites}
}

// SitesOf returns the health of every site of st, in placement order.
func SitesOf(st *storage.Store) []SiteHealth {
	if st == nil {
		return nil
	}
	down := map[string]bool{}
	for _, u := range st.Unreachable() {
		down[u] = true
	}
	gaps := map[string]int64{}
	for _, g := range st.WriteGaps() {
		gaps[g.Site] += g.Shards
	}
	var out []SiteHealth
	for _, u := range st.Sites() {
		out = append(out, SiteHealth{Site: u, Reachable: !down[u], ShardsNotWritten: gaps[u]})
	}
	return out
}

func (e *Events) emit(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seq++
	ev.Seq = e.seq
	e.fn(ev)
}

// Begin emits the start event of one call of op and returns the Run that
// emits its other events. On a nil *Events it returns a nil *Run, whose
// methods do nothing.
func (e *Events) Begin(op Op) *Run {
	if e == nil {
		return nil
	}
	r := &Run{e: e, op: op, id: e.runs.Add(1), start: time.Now()}
	r.send(Event{Kind: EventStart, Sites: r.sites()})
	return r
}

// Run emits the events of one call of an operation. Its methods are safe
// for concurrent use; after Finish it emits nothing more.
type Run struct {
	e     *Events
	op    Op
	id    uint64
	start time.Time

	mu       sync.Mutex
	snapshot string
	table    string
	done     bool
}

func (r *Run) sites() []SiteHealth {
	if r.e.sites == nil {
		return nil
	}
	return r.e.sites()
}

// send fills in what every event of the run carries and emits ev, unless
// the run is over.
func (r *Run) send(ev Event) {
	// The run's lock is held while the event is delivered, so that a
	// progress report racing the end of the run cannot come after it.
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	ev.Op, ev.Run = r.op, r.id
	ev.Snapshot = cmpOr(ev.Snapshot, r.snapshot)
	ev.Table = cmpOr(ev.Table, r.table)
	r.done = ev.Kind == EventFinish || ev.Kind == EventError
	ev.Time = time.Now()
	ev.Elapsed = ev.Time.Sub(r.start)
	r.e.emit(ev)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Subject sets the snapshot ID and table name the run's next events
// carry ("" leaves one as it is).
func (r *Run) Subject(snapshot, table string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.snapshot = cmpOr(snapshot, r.snapshot)
	r.table = cmpOr(table, r.table)
	r.mu.Unlock()
}

// Progress emits the counts so far; item, if not "", names the item they
// are about.
func (r *Run) Progress(item string, c Counts) {
	if r == nil {
		return
	}
	r.send(Event{Kind: EventProgress, Item: item, Counts: c})
}

// Warn emits a warning: msg in one line, err its cause (may be nil), item
// the item it is about ("" for the whole operation).
func (r *Run) Warn(item, msg string, err error, c Counts) {
	if r == nil {
		return
	}
	r.send(Event{Kind: EventWarning, Item: item, Message: msg, Err: err, Counts: c})
}

// Finish emits the last event of the run: EventError with err when err is
// not nil, else EventFinish; msg, if not "", says the outcome.
func (r *Run) Finish(c Counts, msg string, err error) {
	if r == nil {
		return
	}
	ev := Event{Kind: EventFinish, Counts: c, Message: msg, Err: err, Sites: r.sites()}
	if err != nil {
		ev.Kind = EventError
		if msg == "" {
			ev.Message = err.Error()
		}
	}
	r.send(ev)
}
