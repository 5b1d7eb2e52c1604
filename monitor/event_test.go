package monitor_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/monitor"
)

func TestEventsInOrder(t *testing.T) {
	var got []monitor.Event
	e := monitor.NewEvents(func(ev monitor.Event) { got = append(got, ev) },
		func() []monitor.SiteHealth { return []monitor.SiteHealth{{Site: "file:///srv/a", Reachable: true}} })
	run := e.Begin(monitor.OpBackup)
	run.Subject("", "invoices")
	run.Progress("", monitor.Counts{Records: 10})
	run.Warn("", "site b: 3 shards not written", errors.New("b is down"), monitor.Counts{Records: 10})
	run.Finish(monitor.Counts{Records: 20}, "", nil)
	run.Progress("", monitor.Counts{Records: 30}) // after the end: dropped
	run.Finish(monitor.Counts{}, "", errors.New("twice"))

	require.Len(t, got, 4)
	kinds := []monitor.Kind{monitor.EventStart, monitor.EventProgress, monitor.EventWarning, monitor.EventFinish}
	for i, ev := range got {
		assert.Equal(t, kinds[i], ev.Kind)
		assert.EqualValues(t, i+1, ev.Seq)
		assert.Equal(t, monitor.OpBackup, ev.Op)
		assert.EqualValues(t, 1, ev.Run)
	}
	assert.Empty(t, got[0].Table, "set after the start")
	assert.Equal(t, "invoices", got[3].Table)
	assert.EqualValues(t, 20, got[3].Records)
	assert.Len(t, got[0].Sites, 1)
	assert.Len(t, got[3].Sites, 1)
	assert.Empty(t, got[1].Sites, "site health on start and end only")

	// An error ends the run with its message.
	run = e.Begin(monitor.OpVerify)
	run.Finish(monitor.Counts{}, "", errors.New("pack 1a2b lost"))
	assert.Equal(t, monitor.EventError, got[5].Kind)
	assert.Equal(t, "pack 1a2b lost", got[5].Message)
	assert.EqualValues(t, 2, got[5].Run)

	// Without a handler nothing happens, and nothing panics.
	var none *monitor.Events = monitor.NewEvents(nil, nil)
	none.Begin(monitor.OpRestore).Finish(monitor.Counts{}, "", nil)
}

func TestEventsConcurrentRuns(t *testing.T) {
	var mu sync.Mutex
	inside := false
	var seqs []uint64
	e := monitor.NewEvents(func(ev monitor.Event) {
		mu.Lock()
		assert.False(t, inside, "the handler is never called concurrently")
		inside = true
		mu.Unlock()
		seqs = append(seqs, ev.Seq)
		mu.Lock()
		inside = false
		mu.Unlock()
	}, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			run := e.Begin(monitor.OpRestore)
			for range 50 {
				run.Progress("", monitor.Counts{Files: 1})
			}
			run.Finish(monitor.Counts{}, "", nil)
		})
	}
	wg.Wait()
	require.Len(t, seqs, 8*52)
	for i, s := range seqs {
		assert.EqualValues(t, i+1, s)
	}
}

func TestLogEventsJSON(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	e := monitor.NewEvents(monitor.LogEvents(log),
		func() []monitor.SiteHealth {
			return []monitor.SiteHealth{{Site: "s3://backups/a", Reachable: true}, {Site: "s3://backups/b", ShardsNotWritten: 4}}
		})
	run := e.Begin(monitor.OpBackup)
	run.Subject("0123abcd", "")
	run.Warn("", "left out: /srv/a.pdf: permission denied", errors.New("permission denied"), monitor.Counts{Files: 2})
	run.Finish(monitor.Counts{Files: 3, Bytes: 4096, BytesAdded: 100}, "", nil)

	var lines []map[string]any
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		lines = append(lines, m)
	}
	require.Len(t, lines, 3)
	assert.Equal(t, "INFO", lines[0]["level"])
	assert.Equal(t, "backup start", lines[0]["msg"])
	assert.Equal(t, "WARN", lines[1]["level"])
	assert.Equal(t, "left out: /srv/a.pdf: permission denied", lines[1]["msg"])
	assert.Equal(t, "permission denied", lines[1]["err"])
	assert.EqualValues(t, 2, lines[1]["files"])
	assert.Equal(t, "backup finish", lines[2]["msg"])
	assert.Equal(t, "finish", lines[2]["kind"])
	assert.Equal(t, "0123abcd", lines[2]["snapshot"])
	assert.EqualValues(t, 4096, lines[2]["bytes"])
	assert.EqualValues(t, 3, lines[2]["seq"])
	sites, ok := lines[2]["sites"].([]any)
	require.True(t, ok, "%v", lines[2]["sites"])
	require.Len(t, sites, 2)
	assert.Equal(t, map[string]any{"site": "s3://backups/b", "reachable": false, "shards_not_written": 4.0}, sites[1])
	_, hasFiles := lines[0]["files"]
	assert.False(t, hasFiles, "zero counts are left out")
}
