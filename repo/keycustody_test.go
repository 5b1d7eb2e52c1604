package repo_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
)

// shares is a ShareSource that gives a fixed list of answers and records
// the requests.
type shares struct {
	in   []repo.ShareInput
	reqs []repo.ShareRequest
}

func (s *shares) NextShare(_ context.Context, req repo.ShareRequest) (repo.ShareInput, error) {
	s.reqs = append(s.reqs, req)
	if len(s.in) == 0 {
		return repo.ShareInput{}, io.EOF
	}
	in := s.in[0]
	s.in = s.in[1:]
	return in, nil
}

func text(t string) repo.ShareInput { return repo.ShareInput{Text: t, From: "file"} }

// TestCustodyTwoOfThree: after a 2-of-3 split no single password or share
// reads the repository, two custodians do, wrong shares are named, backups
// go on with the write-only key, and a re-split needs two of the old.
func TestCustodyTwoOfThree(t *testing.T) {
	ctx := context.Background()
	full, _, st := writeOnlyRepo(t)
	sid := writeSnapshot(t, full, []byte("quarterly VAT return"))
	res, err := full.Split(ctx, 2, []repo.Custodian{{Name: "alice"}, {Name: "bob"}, {Name: "carol", Password: []byte("carol's own passphrase")}})
	require.NoError(t, err)
	require.Len(t, res.TextShares, 2)
	assert.Len(t, res.Removed, 1, "the single full-access slot is removed")
	alice, bob := res.TextShares["alice"], res.TextShares["bob"]

	_, err = repo.Open(ctx, st, password)
	require.ErrorIs(t, err, repo.ErrWrongPassword, "no single-person read slot is left")
	wo, err := repo.Open(ctx, st, writeOnlyPassword)
	require.NoError(t, err, "backups go on")
	writeSnapshot(t, wo, []byte("written after the split"))

	// One custodian alone.
	src := &shares{in: []repo.ShareInput{text(alice)}}
	_, err = repo.OpenWithShares(ctx, st, src)
	require.ErrorIs(t, err, repo.ErrNotEnoughShares)
	assert.Contains(t, err.Error(), "alice")
	require.Len(t, src.reqs, 2)
	assert.Equal(t, "", src.reqs[0].Custodian, "the first custodian is not known yet")
	assert.Equal(t, "bob", src.reqs[1].Custodian, "then custodians are asked for by name")
	assert.ElementsMatch(t, []string{"bob", "carol"}, src.reqs[1].Pending)

	// A share altered (its checksum still right would need the binary;
	// a different split's share is named).
	other, _ := newRepo(t, "")
	ores, err := other.Split(ctx, 2, []repo.Custodian{{Name: "x"}, {Name: "y"}})
	require.NoError(t, err)
	_, err = repo.OpenWithShares(ctx, st, &shares{in: []repo.ShareInput{text(alice), {Text: ores.TextShares["x"], From: "x.share"}}})
	require.ErrorIs(t, err, repo.ErrWrongShare)
	assert.Contains(t, err.Error(), "x.share")
	_, err = repo.OpenWithShares(ctx, st, &shares{in: []repo.ShareInput{text(alice), {Text: "custodia-share-1-aaaa", From: "typo.share"}}})
	require.ErrorIs(t, err, repo.ErrWrongShare)
	assert.Contains(t, err.Error(), "typo.share")
	_, err = repo.OpenWithShares(ctx, st, &shares{in: []repo.ShareInput{text(alice), {Password: []byte("not carol's"), From: "carol at the terminal"}}})
	require.ErrorIs(t, err, repo.ErrWrongShare)

	// Two custodians: a text share and a password.
	r, err := repo.OpenWithShares(ctx, st, &shares{in: []repo.ShareInput{text(bob), {Password: []byte("carol's own passphrase")}}})
	require.NoError(t, err)
	s, err := r.LoadSnapshot(ctx, sid)
	require.NoError(t, err)
	_, err = r.LoadTree(ctx, s.Tree)
	require.NoError(t, err)
	snaps := 0
	for _, err := range r.Snapshots(ctx) {
		require.NoError(t, err)
		snaps++
	}
	assert.Equal(t, 2, snaps, "the custodians read what the write-only key wrote after the split")
	keys, err := r.Keys(ctx)
	require.NoError(t, err)
	var custody []string
	for _, k := range keys {
		if k.Role == repo.RoleCustody {
			custody = append(custody, k.Custodian+" "+strings.Repeat("*", k.Threshold))
		}
	}
	assert.Equal(t, []string{"carol **"}, custody)

	// Re-split with new custodians: needs this two-custodian session.
	res2, err := r.Split(ctx, 2, []repo.Custodian{{Name: "dave"}, {Name: "erin"}})
	require.NoError(t, err)
	_, err = repo.OpenWithShares(ctx, st, &shares{in: []repo.ShareInput{text(alice), text(bob)}})
	require.ErrorIs(t, err, repo.ErrWrongShare, "the old split is gone")
	r2, err := repo.OpenWithShares(ctx, st, &shares{in: []repo.ShareInput{text(res2.TextShares["erin"]), text(res2.TextShares["dave"])}})
	require.NoError(t, err)
	require.NoError(t, r2.Close(ctx))
	entries, err := r.Audit(ctx, s.Time.AddDate(-1, 0, 0))
	require.NoError(t, err)
	var ops []string
	for _, e := range entries {
		ops = append(ops, e.Op)
	}
	assert.Contains(t, ops, "key split")
	assert.Contains(t, ops, "open with custody shares")
}

// TestCustodyOnly: a repository whose only slots were removed by a split
// into text shares says so when opened with a password, and init refuses
// to replace it, even without any snapshot.
func TestCustodyOnly(t *testing.T) {
	ctx := context.Background()
	full, st := newRepo(t, "")
	_, err := full.Split(ctx, 2, []repo.Custodian{{Name: "alice"}, {Name: "bob"}})
	require.NoError(t, err)
	_, err = repo.Open(ctx, st, password)
	require.ErrorIs(t, err, repo.ErrCustodyOnly)
	_, err = repo.Init(ctx, st, password, fastArgon)
	require.ErrorIs(t, err, repo.ErrAlreadyInitialized)
}

// TestCustodyFailuresAudited: one custodian alone and a wrong share are
// appended to the audit log ("denied", "failed") without any share, and
// the log still verifies.
func TestCustodyFailuresAudited(t *testing.T) {
	ctx := context.Background()
	full, st := newRepo(t, "")
	res, err := full.Split(ctx, 2, []repo.Custodian{{Name: "alice"}, {Name: "bob"}, {Name: "carol"}})
	require.NoError(t, err)
	alice, bob := res.TextShares["alice"], res.TextShares["bob"]

	_, err = repo.OpenWithShares(ctx, st, &shares{in: []repo.ShareInput{text(alice)}})
	require.ErrorIs(t, err, repo.ErrNotEnoughShares)
	_, err = repo.OpenWithShares(ctx, st, &shares{in: []repo.ShareInput{text(alice), text(alice)}})
	require.ErrorIs(t, err, repo.ErrWrongShare)
	// Nothing can be audited for a share of no split of this repository.
	other, _ := newRepo(t, "")
	ores, err := other.Split(ctx, 2, []repo.Custodian{{Name: "x"}, {Name: "y"}})
	require.NoError(t, err)
	_, err = repo.OpenWithShares(ctx, st, &shares{in: []repo.ShareInput{text(ores.TextShares["x"])}})
	require.ErrorIs(t, err, repo.ErrWrongShare)

	r, err := repo.OpenWithShares(ctx, st, &shares{in: []repo.ShareInput{text(bob), text(alice)}})
	require.NoError(t, err)
	entries, err := r.Audit(ctx, time.Time{})
	require.NoError(t, err)
	var outcomes []string
	for _, e := range entries {
		if e.Op == "open with custody shares" {
			outcomes = append(outcomes, e.Outcome)
			assert.Equal(t, repo.RoleCustody, e.Role)
			assert.Equal(t, res.Split, e.Args["split"])
		}
		for _, s := range res.TextShares {
			body := s[len("custodia-share-1-"):]
			assert.NotContains(t, e.Outcome+e.Args["custodians"], body[:16], "no share in the audit log")
		}
	}
	require.Len(t, outcomes, 3, "%v", outcomes)
	assert.True(t, strings.HasPrefix(outcomes[0], "denied: not enough custodians"), outcomes[0])
	assert.Contains(t, outcomes[0], "alice")
	assert.True(t, strings.HasPrefix(outcomes[1], "failed: wrong custody share"), outcomes[1])
	assert.Equal(t, "ok", outcomes[2])
	_, err = r.VerifyAudit(ctx, nil)
	require.NoError(t, err)
}
