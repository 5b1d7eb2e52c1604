package repo_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
)

// auditTail returns the audit entries appended after the first skip ones.
func auditTail(t *testing.T, r *repo.Repository, skip int) []repo.AuditEntry {
	t.Helper()
	entries, err := r.Audit(context.Background(), time.Time{})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(entries), skip)
	return entries[skip:]
}

// TestRetentionChangesAudited: every floor change has its audit entry,
// naming the subject, the new and the replaced minimum, and whether it
// weakens; a refused weakening is recorded as failed.
func TestRetentionChangesAudited(t *testing.T) {
	ctx := context.Background()
	r, _ := newRepo(t, "")
	n := len(auditTail(t, r, 0))

	_, err := r.SetRetentionFloor(ctx, "invoice", "", repo.Span{Years: 10})
	require.NoError(t, err)
	_, err = r.SetRetentionFloor(ctx, "invoice", "", repo.Span{Years: 30})
	require.NoError(t, err)
	_, err = r.SetRetentionFloor(ctx, "invoice", "", repo.Span{Years: 5})
	require.NoError(t, err)
	_, err = r.RemoveRetentionFloor(ctx, "invoice", "")
	require.NoError(t, err)
	_, err = r.SetRetentionFloor(ctx, "", "customers", repo.Span{Years: 10})
	require.NoError(t, err)
	require.NoError(t, r.SetAppendOnly(ctx))
	_, err = r.SetRetentionFloor(ctx, "", "customers", repo.Span{Days: 30})
	require.ErrorIs(t, err, repo.ErrAppendOnly)
	_, err = r.RemoveRetentionFloor(ctx, "", "customers")
	require.ErrorIs(t, err, repo.ErrAppendOnly)

	got := auditTail(t, r, n)
	type entry struct {
		op   string
		args map[string]string
		ok   bool
	}
	want := []entry{
		{"retention set", map[string]string{"subject": "tag invoice", "min": "10y", "weakened": "false"}, true},
		{"retention set", map[string]string{"subject": "tag invoice", "min": "30y", "was": "10y", "weakened": "false"}, true},
		{"retention set", map[string]string{"subject": "tag invoice", "min": "5y", "was": "30y", "weakened": "true"}, true},
		{"retention remove", map[string]string{"subject": "tag invoice", "was": "5y", "weakened": "true"}, true},
		{"retention set", map[string]string{"subject": "table customers", "min": "10y", "weakened": "false"}, true},
		{"retention append-only", nil, true},
		{"retention set", map[string]string{"subject": "table customers", "min": "30d", "was": "10y", "weakened": "true"}, false},
		{"retention remove", map[string]string{"subject": "table customers", "was": "10y", "weakened": "true"}, false},
	}
	require.Len(t, got, len(want))
	for i, w := range want {
		assert.Equal(t, w.op, got[i].Op, i)
		assert.Equal(t, w.args, got[i].Args, i)
		if w.ok {
			assert.Equal(t, "ok", got[i].Outcome, i)
		} else {
			assert.True(t, strings.HasPrefix(got[i].Outcome, "failed: ") && strings.Contains(got[i].Outcome, "append-only"), got[i].Outcome)
		}
	}
	// The refused weakenings changed nothing.
	floors, err := r.RetentionFloors(ctx)
	require.NoError(t, err)
	require.Len(t, floors, 1)
	assert.Equal(t, repo.Span{Years: 10}, floors[0].Min)
}

// TestWeakeningNeedsItsAuditEntry: when the audit log cannot be written,
// a floor is neither shortened nor removed, and the error says so.
func TestWeakeningNeedsItsAuditEntry(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r, _ := newRepo(t, dir)
	_, err := r.SetRetentionFloor(ctx, "invoice", "", repo.Span{Years: 10})
	require.NoError(t, err)

	// The audit folder replaced by a file: appends fail, nothing else does.
	audit := filepath.Join(dir, "audit")
	require.NoError(t, os.Rename(audit, audit+".away"))
	require.NoError(t, os.WriteFile(audit, []byte("not a folder"), 0o600))

	_, err = r.SetRetentionFloor(ctx, "invoice", "", repo.Span{Years: 1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not shortened")
	_, err = r.RemoveRetentionFloor(ctx, "invoice", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not removed")
	floors, err := r.RetentionFloors(ctx)
	require.NoError(t, err)
	require.Len(t, floors, 1, "the new, shorter floor was taken back")
	assert.Equal(t, repo.Span{Years: 10}, floors[0].Min)

	require.NoError(t, os.Remove(audit))
	require.NoError(t, os.Rename(audit+".away", audit))
	_, err = r.SetRetentionFloor(ctx, "invoice", "", repo.Span{Years: 1})
	require.NoError(t, err)
	floors, err = r.RetentionFloors(ctx)
	require.NoError(t, err)
	require.Len(t, floors, 1)
	assert.Equal(t, repo.Span{Years: 1}, floors[0].Min)
}

// TestForgetAndPruneAudited: forget's entry names the snapshots it
// removed, prune's what it deleted and marked; a dry-run prune appends
// nothing; refusals are recorded as failed.
func TestForgetAndPruneAudited(t *testing.T) {
	ctx := context.Background()
	r, st := newRepo(t, "", repo.WithPackSize(1<<20))
	old := saveFiles(t, r, "h", 1)
	saveFiles(t, r, "h", 2)
	n := len(auditTail(t, r, 0))

	plan, _, err := r.PlanForget(ctx, repo.ForgetOptions{Policy: repo.KeepPolicy{Last: 1}})
	require.NoError(t, err)
	removed, err := r.Forget(ctx, plan)
	require.NoError(t, err)
	require.Len(t, removed, 1)
	_, err = r.Prune(ctx, repo.PruneOptions{Margin: time.Millisecond, DryRun: true})
	require.NoError(t, err)
	rep, err := r.Prune(ctx, repo.PruneOptions{Margin: time.Millisecond})
	require.NoError(t, err)
	require.Positive(t, rep.PacksMarkedUnused+rep.PacksRepacked)
	time.Sleep(5 * time.Millisecond)
	rep, err = r.Prune(ctx, repo.PruneOptions{Margin: time.Millisecond})
	require.NoError(t, err)
	require.Positive(t, rep.PacksDeleted)

	got := auditTail(t, r, n)
	require.Len(t, got, 3)
	assert.Equal(t, "forget", got[0].Op)
	assert.Equal(t, map[string]string{"removed": "1", "snapshots": old.String()}, got[0].Args)
	assert.Equal(t, "prune", got[1].Op)
	assert.Equal(t, "0", got[1].Args["packs_deleted"])
	assert.NotEqual(t, "0", got[1].Args["bytes_marked"])
	assert.Equal(t, "prune", got[2].Op)
	assert.Equal(t, strconv.Itoa(rep.PacksDeleted), got[2].Args["packs_deleted"])
	assert.Equal(t, strconv.FormatInt(rep.BytesFreed, 10), got[2].Args["bytes_freed"])
	for _, e := range got {
		assert.Equal(t, "ok", e.Outcome)
	}

	require.NoError(t, r.SetAppendOnly(ctx))
	_, err = r.Forget(ctx, plan)
	require.ErrorIs(t, err, repo.ErrAppendOnly)
	_, err = r.Prune(ctx, repo.PruneOptions{})
	require.ErrorIs(t, err, repo.ErrAppendOnly)
	got = auditTail(t, r, n+3)
	require.Len(t, got, 3)
	assert.Equal(t, "retention append-only", got[0].Op)
	for i, op := range []string{"forget", "prune"} {
		assert.Equal(t, op, got[i+1].Op)
		assert.Contains(t, got[i+1].Outcome, "failed: ")
		assert.Contains(t, got[i+1].Outcome, "append-only")
	}
	// The log verifies with the new entries.
	r2, err := repo.Open(ctx, st, password)
	require.NoError(t, err)
	_, err = r2.VerifyAudit(ctx, nil)
	require.NoError(t, err)
}
