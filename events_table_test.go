package custodia_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia"
)

// A table backup reports progress while it reads: the source below waits,
// half read, until a progress event has come.
func TestEventsTableProgress(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	progressed := make(chan struct{})
	var once sync.Once
	handler := func(e custodia.Event) {
		rec.add(e)
		if e.Kind == custodia.EventProgress {
			once.Do(func() { close(progressed) })
		}
	}
	r, err := custodia.Create(ctx, []string{t.TempDir()}, []byte("a long passphrase"), custodia.WithEvents(handler), custodia.WithProgressInterval(time.Millisecond))
	require.NoError(t, err)
	defer r.Close(ctx)
	rec.take()

	waited := false
	recs := func(yield func(custodia.Record, error) bool) {
		for i := range 200 {
			if i == 100 {
				select {
				case <-progressed:
					waited = true
				case <-time.After(time.Minute):
				}
			}
			rec := custodia.Record{{Name: "id", Value: fmt.Sprintf("INV-%04d", i)}, {Name: "amount", Value: "12.50"}}
			if !yield(rec, nil) {
				return
			}
		}
	}
	snap, err := r.BackupTable(ctx, "invoices", []string{"id"}, recs)
	require.NoError(t, err)
	require.True(t, waited, "no progress event within a minute")
	evs := rec.take()
	last, _ := checkRun(t, evs, "backup-table")
	assert.Equal(t, custodia.EventFinish, last.Kind)
	assert.EqualValues(t, 200, last.Records)
	assert.Equal(t, snap.Stats.Bytes, last.Bytes)
	n := 0
	for _, e := range evs {
		if e.Kind == custodia.EventProgress {
			n++
			assert.Equal(t, "invoices", e.Table)
			assert.LessOrEqual(t, e.Records, last.Records)
		}
	}
	assert.NotZero(t, n)
}
