package custodia_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia"
)

// TestSplitAndOpenWithShares splits a repository's key 2 of 3 and requires
// that the password and one custodian alone are refused, that a share of
// another repository is named wrong, and that any two custodians (a text
// share and a password) restore a backup byte for byte, with an Open
// event for the session.
func TestSplitAndOpenWithShares(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	site := filepath.Join(dir, "repo")
	src := filepath.Join(dir, "ledger")
	require.NoError(t, os.MkdirAll(src, 0o755))
	content := []byte("2026-11 凭证 0001 应收账款 1234.56\n")
	require.NoError(t, os.WriteFile(filepath.Join(src, "vouchers.txt"), content, 0o644))
	password := []byte("the administrator's password, long enough")
	carol := []byte("carol's own custody password")

	r, err := custodia.Create(ctx, []string{site}, password)
	require.NoError(t, err)
	res, err := r.Backup(ctx, []string{src})
	require.NoError(t, err)
	split, err := r.Split(ctx, 2, []custodia.Custodian{{Name: "alice"}, {Name: "bob"}, {Name: "carol", Password: carol}})
	require.NoError(t, err)
	require.NoError(t, r.Close(ctx))
	assert.Equal(t, 2, split.Threshold)
	assert.Equal(t, 3, split.Shares)
	require.Len(t, split.TextShares, 2, "carol's share is in a custody slot, not text")
	assert.NotEmpty(t, split.Removed, "the single-person password slot is removed")

	_, err = custodia.Open(ctx, []string{site}, password)
	require.ErrorIs(t, err, custodia.ErrWrongPassword)

	alice := custodia.ShareInput{Text: split.TextShares["alice"], From: "alice"}
	_, err = custodia.OpenWithShares(ctx, []string{site}, custodia.Shares(alice))
	require.ErrorIs(t, err, custodia.ErrNotEnoughShares)
	_, err = custodia.OpenWithShares(ctx, []string{site}, custodia.Shares())
	require.ErrorIs(t, err, custodia.ErrNotEnoughShares)

	// A share of another repository's split.
	other := filepath.Join(dir, "other")
	o, err := custodia.Create(ctx, []string{other}, password)
	require.NoError(t, err)
	osplit, err := o.Split(ctx, 2, []custodia.Custodian{{Name: "alice"}, {Name: "bob"}})
	require.NoError(t, err)
	require.NoError(t, o.Close(ctx))
	_, err = custodia.OpenWithShares(ctx, []string{site}, custodia.Shares(custodia.ShareInput{Text: osplit.TextShares["alice"], From: "stray"}))
	require.ErrorIs(t, err, custodia.ErrWrongShare)

	var events []custodia.Event
	two, err := custodia.OpenWithShares(ctx, []string{site},
		custodia.Shares(alice, custodia.ShareInput{Password: []byte("carol's own custody password"), From: "carol"}),
		custodia.WithEvents(func(e custodia.Event) { events = append(events, e) }))
	require.NoError(t, err)
	defer two.Close(ctx)
	require.Len(t, events, 2)
	assert.Equal(t, custodia.EventStart, events[0].Kind)
	assert.Equal(t, custodia.EventFinish, events[1].Kind)
	assert.EqualValues(t, "open", events[1].Op)

	target := filepath.Join(dir, "restored")
	_, err = two.Restore(ctx, res.Snapshot, target)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(target, "ledger", "vouchers.txt"))
	require.NoError(t, err)
	assert.Equal(t, content, got)
}

// TestOpenWithSharesNoRepository requires ErrNotInitialized where there is
// no repository.
func TestOpenWithSharesNoRepository(t *testing.T) {
	dir := t.TempDir()
	_, err := custodia.OpenWithShares(t.Context(), []string{dir}, custodia.Shares(custodia.ShareInput{Text: "x"}))
	require.ErrorIs(t, err, custodia.ErrNotInitialized)
}
