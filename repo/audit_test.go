package repo_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

func auditNames(t *testing.T, st *storage.Store) []string {
	t.Helper()
	var names []string
	for n, err := range st.List(context.Background(), "audit/") {
		require.NoError(t, err)
		names = append(names, n)
	}
	return names
}

// auditedRepo returns a repository whose log holds init, key add, two
// backups (one write-only) and three more entries.
func auditedRepo(t *testing.T) (*repo.Repository, *storage.Store) {
	t.Helper()
	ctx := context.Background()
	full, wo, st := writeOnlyRepo(t)
	writeSnapshot(t, wo, []byte("written by the backup machine"))
	writeSnapshot(t, full, []byte("written with full access"))
	for i := range 3 {
		require.NoError(t, full.AppendAudit(ctx, repo.AuditEntry{Op: "restore", Args: map[string]string{"snapshot": fmt.Sprint(i)}}))
	}
	r, err := repo.Open(ctx, st, password)
	require.NoError(t, err)
	return r, st
}

func TestAuditLog(t *testing.T) {
	ctx := context.Background()
	r, _ := auditedRepo(t)
	entries, err := r.Audit(ctx, time.Time{})
	require.NoError(t, err)
	var ops []string
	for _, e := range entries {
		ops = append(ops, e.Op+"/"+string(e.Role))
		assert.Equal(t, "ok", e.Outcome)
		assert.NotEmpty(t, e.Host)
	}
	assert.Equal(t, []string{"init/full", "key add/full", "backup/write-only", "backup/full", "restore/full", "restore/full", "restore/full"}, ops)
	for i, e := range entries {
		assert.Equal(t, uint64(i), e.Seq)
	}
	later, err := r.Audit(ctx, entries[3].Time)
	require.NoError(t, err)
	assert.Len(t, later, 4)

	rep, err := r.VerifyAudit(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, 7, rep.Entries)
	assert.Len(t, rep.Heads, 1)
}

func TestAuditWriteOnlyAppendsCannotRead(t *testing.T) {
	ctx := context.Background()
	_, wo, _ := writeOnlyRepo(t)
	require.NoError(t, wo.AppendAudit(ctx, repo.AuditEntry{Op: "backup"}))
	_, err := wo.Audit(ctx, time.Time{})
	require.ErrorIs(t, err, repo.ErrWriteOnly)
	_, err = wo.VerifyAudit(ctx, nil)
	require.ErrorIs(t, err, repo.ErrWriteOnly)
	_, err = wo.AuditCheckpoint(ctx)
	require.ErrorIs(t, err, repo.ErrWriteOnly)
}

func TestAuditTamperingDetected(t *testing.T) {
	ctx := context.Background()
	t.Run("edit", func(t *testing.T) {
		r, st := auditedRepo(t)
		name := auditNames(t, st)[3]
		b, _, err := st.Get(ctx, name)
		require.NoError(t, err)
		b[len(b)-20] ^= 1
		require.NoError(t, st.Put(ctx, name, b))
		_, err = r.VerifyAudit(ctx, nil)
		require.ErrorIs(t, err, repo.ErrAuditBroken)
		assert.Contains(t, err.Error(), name+" was modified")
	})
	t.Run("delete", func(t *testing.T) {
		r, st := auditedRepo(t)
		name := auditNames(t, st)[2]
		require.NoError(t, st.Delete(ctx, name))
		_, err := r.VerifyAudit(ctx, nil)
		require.ErrorIs(t, err, repo.ErrAuditBroken)
		assert.Contains(t, err.Error(), "which was removed")
		assert.Contains(t, err.Error(), name[len("audit/0000000000000002-"):])
	})
	t.Run("reorder", func(t *testing.T) {
		r, st := auditedRepo(t)
		names := auditNames(t, st)
		b, _, err := st.Get(ctx, names[1])
		require.NoError(t, err)
		moved := "audit/0000000000000009-" + names[1][len("audit/0000000000000001-"):]
		require.NoError(t, st.Put(ctx, moved, b))
		require.NoError(t, st.Delete(ctx, names[1]))
		_, err = r.VerifyAudit(ctx, nil)
		require.ErrorIs(t, err, repo.ErrAuditBroken)
		assert.Contains(t, err.Error(), names[2], "the first broken link is the entry after the moved one")
	})
	t.Run("truncate with a checkpoint", func(t *testing.T) {
		r, st := auditedRepo(t)
		cp, err := r.AuditCheckpoint(ctx)
		require.NoError(t, err)
		names := auditNames(t, st)
		require.NoError(t, st.Delete(ctx, names[len(names)-1]))
		_, err = r.VerifyAudit(ctx, nil)
		require.NoError(t, err, "without a checkpoint a truncated tail looks complete")
		_, err = r.VerifyAudit(ctx, cp)
		require.ErrorIs(t, err, repo.ErrAuditBroken)
		assert.Contains(t, err.Error(), "truncated")
	})
	t.Run("altered checkpoint", func(t *testing.T) {
		r, _ := auditedRepo(t)
		cp, err := r.AuditCheckpoint(ctx)
		require.NoError(t, err)
		_, err = r.VerifyAudit(ctx, cp)
		require.NoError(t, err)
		cp.Count--
		_, err = r.VerifyAudit(ctx, cp)
		require.ErrorIs(t, err, repo.ErrAuditBroken)
		assert.Contains(t, err.Error(), "not signed")
	})
}

// TestAuditConcurrentWriters: writers appending at once fork the log only
// until the next append, which links every head.
func TestAuditConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	_, st := newRepo(t, "")
	var wg sync.WaitGroup
	for w := range 4 {
		r, err := repo.Open(ctx, st, password)
		require.NoError(t, err)
		wg.Go(func() {
			for i := range 5 {
				assert.NoError(t, r.AppendAudit(ctx, repo.AuditEntry{Op: "backup", Args: map[string]string{"writer": fmt.Sprint(w), "i": fmt.Sprint(i)}}))
			}
		})
	}
	wg.Wait()
	r, err := repo.Open(ctx, st, password)
	require.NoError(t, err)
	rep, err := r.VerifyAudit(ctx, nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, rep.Entries, 21)
	require.NoError(t, r.AppendAudit(ctx, repo.AuditEntry{Op: "verify"}))
	rep, err = r.VerifyAudit(ctx, nil)
	require.NoError(t, err)
	assert.Len(t, rep.Heads, 1, "one append merges every head: %s", strings.Join(rep.Heads, " "))
}

// An append killed after writing k of its shards leaves a readable entry
// short of redundancy: verify reports it as an interrupted write while it
// is among the newest entries, the next append completes it, and a shard
// missing from an older entry is damage.
func TestAuditAppendKilledMidWrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r, st := newRepo(t, dir)
	require.NoError(t, r.AppendAudit(ctx, repo.AuditEntry{Op: "backup"}))
	var name string
	for n, err := range st.List(ctx, "audit/") {
		require.NoError(t, err)
		name = n
	}
	require.NotEmpty(t, name)
	require.NoError(t, deleteShard(st, dir, name, 0))

	rep, err := r.Check(ctx, repo.CheckOptions{ReadData: true})
	require.NoError(t, err)
	assert.Empty(t, rep.Findings)
	assert.Equal(t, []string{name}, rep.Incomplete)

	require.NoError(t, r.AppendAudit(ctx, repo.AuditEntry{Op: "verify"}))
	h, err := st.Check(ctx, name, true)
	require.NoError(t, err)
	assert.True(t, h.OK(), "the next append completes the entry: %v", h.Bad)

	// Past the newest entries, a missing shard is damage.
	for range 6 {
		require.NoError(t, r.AppendAudit(ctx, repo.AuditEntry{Op: "backup"}))
	}
	require.NoError(t, deleteShard(st, dir, name, 1))
	rep, err = r.Check(ctx, repo.CheckOptions{ReadData: true})
	require.NoError(t, err)
	assert.True(t, rep.Damaged())
	assert.Empty(t, rep.Incomplete)
}
