package custodia_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia"
	"github.com/custodia-backup/custodia/drill"
)

// recorder keeps the events it is handed.
type recorder struct {
	mu     sync.Mutex
	events []custodia.Event
}

func (rec *recorder) add(e custodia.Event) {
	rec.mu.Lock()
	rec.events = append(rec.events, e)
	rec.mu.Unlock()
}

// take returns the events so far and forgets them.
func (rec *recorder) take() []custodia.Event {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := rec.events
	rec.events = nil
	return out
}

// checkRun asserts that evs are the events of one call of op: numbered in
// order, a start first, a finish or error last and only there, progress
// counts that never go back nor pass the totals. It returns the last
// event and the warnings.
func checkRun(t *testing.T, evs []custodia.Event, op string) (last custodia.Event, warnings []custodia.Event) {
	t.Helper()
	require.GreaterOrEqual(t, len(evs), 2, "a start and an end")
	assert.Equal(t, custodia.EventStart, evs[0].Kind)
	last = evs[len(evs)-1]
	assert.Contains(t, []custodia.EventKind{custodia.EventFinish, custodia.EventError}, last.Kind)
	var prev custodia.Event
	for i, e := range evs {
		assert.EqualValues(t, op, e.Op, "event %d", i)
		assert.Equal(t, evs[0].Run, e.Run, "one call")
		if i > 0 {
			assert.Equal(t, evs[i-1].Seq+1, e.Seq, "numbered in order")
			assert.False(t, e.Time.Before(evs[i-1].Time), "in time order")
			assert.GreaterOrEqual(t, e.Elapsed, evs[i-1].Elapsed)
		}
		switch e.Kind {
		case custodia.EventProgress:
			assert.GreaterOrEqual(t, e.Files, prev.Files)
			assert.GreaterOrEqual(t, e.Bytes, prev.Bytes)
			assert.LessOrEqual(t, e.Files, last.Files)
			assert.LessOrEqual(t, e.Bytes, last.Bytes)
			prev = e
		case custodia.EventWarning:
			warnings = append(warnings, e)
		case custodia.EventStart:
			assert.Zero(t, i, "start comes first")
		default:
			assert.Equal(t, len(evs)-1, i, "finish or error comes last")
		}
	}
	return last, warnings
}

func TestEventsBackupRestoreVerify(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "ledger")
	require.NoError(t, os.MkdirAll(filepath.Join(src, "2026"), 0o755))
	sizes := map[string]int{"a.csv": 10, "2026/b.csv": 2000, "2026/c.pdf": 70000}
	var total uint64
	for name, n := range sizes {
		b := make([]byte, n)
		_, _ = rand.Read(b) // distinct contents: nothing deduplicates
		require.NoError(t, os.WriteFile(filepath.Join(src, name), b, 0o644))
		total += uint64(n)
	}
	site := filepath.Join(dir, "repo")
	rec := &recorder{}
	r, err := custodia.Create(ctx, []string{site}, []byte("a long passphrase"),
		custodia.WithEvents(rec.add), custodia.WithProgressInterval(time.Millisecond))
	require.NoError(t, err)
	last, _ := checkRun(t, rec.take(), "create")
	require.Len(t, last.Sites, 1)
	assert.True(t, last.Sites[0].Reachable)

	// Backup: three files in two folders, every byte read and added.
	res, err := r.Backup(ctx, []string{src})
	require.NoError(t, err)
	evs := rec.take()
	last, warnings := checkRun(t, evs, "backup")
	assert.Empty(t, warnings)
	assert.Equal(t, custodia.EventFinish, last.Kind)
	assert.EqualValues(t, 3, last.Files)
	assert.EqualValues(t, 2, last.Dirs, "ledger and 2026")
	assert.Equal(t, total, last.Bytes)
	assert.GreaterOrEqual(t, last.BytesAdded, total, "every byte new, and the folders' trees")
	assert.Equal(t, res.Snapshot.Stats.BytesAdded, last.BytesAdded)
	assert.Equal(t, res.Snapshot.ID.String(), last.Snapshot)
	assert.Len(t, evs[0].Sites, 1, "site health on start")
	progress := slices.DeleteFunc(slices.Clone(evs), func(e custodia.Event) bool { return e.Kind != custodia.EventProgress })
	require.NotEmpty(t, progress, "the last progress report comes at the end of the backup")
	final := progress[len(progress)-1]
	assert.Equal(t, []uint64{3, 2, total}, []uint64{final.Files, final.Dirs, final.Bytes}, "the final progress has the totals")

	// Restore: the same files and bytes, written byte for byte.
	target := filepath.Join(dir, "restore")
	_, err = r.Restore(ctx, res.Snapshot, target)
	require.NoError(t, err)
	last, warnings = checkRun(t, rec.take(), "restore")
	assert.Empty(t, warnings)
	assert.Equal(t, custodia.EventFinish, last.Kind)
	assert.EqualValues(t, 3, last.Files)
	assert.Equal(t, total, last.Bytes)
	assert.Equal(t, res.Snapshot.ID.String(), last.Snapshot)
	b, err := os.ReadFile(filepath.Join(target, "ledger", "2026", "c.pdf"))
	require.NoError(t, err)
	assert.Len(t, b, 70000)

	// Verify reading every pack: one snapshot, the packs, no finding.
	vrep, err := r.Verify(ctx, custodia.VerifyOptions{ReadData: true})
	require.NoError(t, err)
	last, warnings = checkRun(t, rec.take(), "verify")
	assert.Empty(t, warnings)
	assert.Equal(t, custodia.EventFinish, last.Kind)
	assert.EqualValues(t, 1, last.Snapshots)
	assert.EqualValues(t, vrep.PacksRead, last.Packs)
	assert.Positive(t, last.Packs)
	assert.EqualValues(t, vrep.BytesRead, last.Bytes)
	assert.Zero(t, last.Errors)

	// Damage every pack beyond repair: verify warns of each finding and
	// ends in an error matching ErrMalformed; the call itself succeeds.
	require.NoError(t, r.Close(ctx))
	checkRun(t, rec.take(), "close")
	damagePacks(t, site)
	r, err = custodia.Open(ctx, []string{site}, []byte("a long passphrase"), custodia.WithEvents(rec.add))
	require.NoError(t, err)
	defer r.Close(ctx)
	checkRun(t, rec.take(), "open")
	vrep, err = r.Verify(ctx, custodia.VerifyOptions{ReadData: true})
	require.NoError(t, err)
	require.True(t, vrep.Lost())
	last, warnings = checkRun(t, rec.take(), "verify")
	assert.Equal(t, custodia.EventError, last.Kind)
	assert.ErrorIs(t, last.Err, custodia.ErrMalformed)
	assert.Len(t, warnings, len(vrep.Findings))
	assert.EqualValues(t, len(vrep.Findings), last.Errors)

	// A drill of the damaged repository: a warning per failed check, a
	// progress event for the item, and an error naming it.
	drep, err := r.Drill(ctx, drill.WithoutRecord())
	require.NoError(t, err)
	last, warnings = checkRun(t, rec.take(), "drill")
	assert.Equal(t, custodia.EventError, last.Kind)
	assert.ErrorIs(t, last.Err, drill.ErrFailed)
	assert.Equal(t, "failed", last.Message)
	assert.NotEmpty(t, warnings)
	assert.Equal(t, "files "+src, warnings[0].Item)
	assert.Equal(t, drep.Failed(), []string{"files " + src})
}

func TestEventsTables(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	r, err := custodia.Create(ctx, []string{t.TempDir()}, []byte("a long passphrase"), custodia.WithEvents(rec.add))
	require.NoError(t, err)
	defer r.Close(ctx)
	rec.take()

	recs := func(yield func(custodia.Record, error) bool) {
		for i := range 100 {
			rec := custodia.Record{{Name: "id", Value: fmt.Sprintf("INV-%04d", i)}, {Name: "amount", Value: "12.50"}}
			if !yield(rec, nil) {
				return
			}
		}
	}
	snap, err := r.BackupTable(ctx, "invoices", []string{"id"}, recs)
	require.NoError(t, err)
	last, _ := checkRun(t, rec.take(), "backup-table")
	assert.EqualValues(t, 100, last.Records)
	assert.Equal(t, "invoices", last.Table)
	assert.Equal(t, snap.ID.String(), last.Snapshot)

	// Restoring a table starts when the iteration does and ends with it;
	// a caller stopping early ends it too.
	n := 0
	for _, err := range r.RestoreTable(ctx, snap) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 100, n)
	last, _ = checkRun(t, rec.take(), "restore-table")
	assert.EqualValues(t, 100, last.Records)
	for range r.RestoreTable(ctx, snap) {
		break
	}
	last, _ = checkRun(t, rec.take(), "restore-table")
	assert.EqualValues(t, 1, last.Records)
	assert.Equal(t, "stopped by the caller", last.Message)

	// A drill of the table: passed, one progress event for the item.
	_, err = r.Drill(ctx, drill.WithTable("invoices"), drill.WithRTO(time.Hour))
	require.NoError(t, err)
	evs := rec.take()
	last, warnings := checkRun(t, evs, "drill")
	assert.Empty(t, warnings)
	assert.Equal(t, custodia.EventFinish, last.Kind)
	assert.Equal(t, "passed", last.Message)
	assert.EqualValues(t, 100, last.Records)
	require.Len(t, evs, 3)
	assert.Equal(t, "table invoices", evs[1].Item)
}

func TestEventsOpenFails(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	_, err := custodia.Open(ctx, []string{t.TempDir()}, []byte("a long passphrase"), custodia.WithEvents(rec.add))
	require.ErrorIs(t, err, custodia.ErrNotInitialized)
	last, _ := checkRun(t, rec.take(), "open")
	assert.Equal(t, custodia.EventError, last.Kind)
	assert.ErrorIs(t, last.Err, custodia.ErrNotInitialized)
}

// damagePacks flips a byte near the end of every shard of every pack of
// the local site: more than the parity can mend.
func damagePacks(t *testing.T, site string) {
	t.Helper()
	n := 0
	require.NoError(t, filepath.WalkDir(filepath.Join(site, "packs"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b[len(b)-10] ^= 0xff
		n++
		return os.WriteFile(p, b, 0o600)
	}))
	require.Positive(t, n)
}
