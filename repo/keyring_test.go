package repo_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/internal/testhook"
	"github.com/custodia-backup/custodia/repo"
)

var cheapArgon = crypto.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}

// readSnapshotData reads back the one file writeSnapshot stored.
func readSnapshotData(ctx context.Context, r *repo.Repository, id repo.ID) ([]byte, error) {
	sn, err := r.LoadSnapshot(ctx, id)
	if err != nil {
		return nil, err
	}
	tree, err := r.LoadTree(ctx, sn.Tree)
	if err != nil {
		return nil, err
	}
	return r.LoadBlob(ctx, repo.BlobHandle{Type: repo.DataBlob, ID: tree.Nodes[0].Content[0]}, nil)
}

func requireReads(t *testing.T, r *repo.Repository, id repo.ID, want string) {
	t.Helper()
	got, err := readSnapshotData(context.Background(), r, id)
	require.NoError(t, err)
	require.Equal(t, want, string(got))
}

func generationOf(t *testing.T, r *repo.Repository) int {
	t.Helper()
	keys, err := r.Keys(context.Background())
	require.NoError(t, err)
	for _, k := range keys {
		if k.Current {
			return k.Generation
		}
	}
	t.Fatal("no slot is current")
	return -1
}

// TestRotate: after a rotation the old password of a colleague reads what
// was written before but not what is written after, cannot administer, and
// can be removed; the rotated password reads everything; write-only slots
// of either generation go on backing up; the audit log and its
// checkpoints verify across generations.
func TestRotate(t *testing.T) {
	ctx := context.Background()
	full, wo, st := writeOnlyRepo(t)
	colleague := []byte("a former colleague's password")
	old, err := full.AddKey(ctx, colleague, repo.RoleFull, repo.WithLabel("colleague"), cheapKey)
	require.NoError(t, err)
	before := writeSnapshot(t, full, []byte("written before the rotation"))
	woBefore := writeSnapshot(t, wo, []byte("write-only, before"))
	cp, err := full.AuditCheckpoint(ctx)
	require.NoError(t, err)

	res, err := full.Rotate(ctx, repo.RotateOptions{Password: password, Argon2: cheapArgon})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Generation)
	assert.Equal(t, 1, res.Slot.Generation)
	var stale []string
	for _, k := range res.Stale {
		stale = append(stale, k.ID)
		assert.Equal(t, 0, k.Generation)
	}
	assert.Len(t, stale, 2, "the colleague's and the write-only slot")
	assert.Contains(t, stale, old.ID)
	after := writeSnapshot(t, full, []byte("written after the rotation"))

	// The rotated password: generation 1, reads everything.
	r, err := repo.Open(ctx, st, password)
	require.NoError(t, err)
	assert.Equal(t, 1, generationOf(t, r))
	requireReads(t, r, before, "written before the rotation")
	requireReads(t, r, woBefore, "write-only, before")
	requireReads(t, r, after, "written after the rotation")

	// The write-only slot of generation 0 still backs up, readable by
	// the newest generation.
	wo0, err := repo.Open(ctx, st, writeOnlyPassword)
	require.NoError(t, err)
	woOld := writeSnapshot(t, wo0, []byte("write-only slot of generation 0, after"))
	r, err = repo.Open(ctx, st, password)
	require.NoError(t, err)
	requireReads(t, r, woOld, "write-only slot of generation 0, after")
	// A write-only slot of generation 1 wraps to the new public key.
	newWO := []byte("the new nightly password")
	_, err = r.AddKey(ctx, newWO, repo.RoleWriteOnly, cheapKey)
	require.NoError(t, err)
	wo1, err := repo.Open(ctx, st, newWO)
	require.NoError(t, err)
	woNew := writeSnapshot(t, wo1, []byte("write-only slot of generation 1"))
	r, err = repo.Open(ctx, st, password)
	require.NoError(t, err)
	requireReads(t, r, woNew, "write-only slot of generation 1")

	// The colleague's old password: reads the old, not the new.
	c, err := repo.Open(ctx, st, colleague)
	require.NoError(t, err)
	assert.Equal(t, 0, generationOf(t, c))
	requireReads(t, c, before, "written before the rotation")
	_, err = readSnapshotData(ctx, c, after)
	require.ErrorIs(t, err, repo.ErrMalformed)
	assert.Contains(t, err.Error(), "unknown key")
	_, err = readSnapshotData(ctx, c, woNew)
	require.ErrorIs(t, err, repo.ErrMalformed, "a session wrapped to the new public key")
	_, err = c.AddKey(ctx, []byte("x"), repo.RoleFull, cheapKey)
	require.ErrorIs(t, err, repo.ErrStaleGeneration)
	_, err = c.Rotate(ctx, repo.RotateOptions{Password: colleague, Argon2: cheapArgon})
	require.ErrorIs(t, err, repo.ErrStaleGeneration)
	_, err = c.Split(ctx, 2, []repo.Custodian{{Name: "a"}, {Name: "b"}})
	require.ErrorIs(t, err, repo.ErrStaleGeneration)

	// The newest generation's only full slot cannot be removed, even
	// though an older one can read the older data ...
	err = r.RemoveKey(ctx, res.Slot.ID)
	require.ErrorIs(t, err, repo.ErrLastKey)
	// ... and the older one can.
	require.NoError(t, r.RemoveKey(ctx, old.ID))
	_, err = repo.Open(ctx, st, colleague)
	require.ErrorIs(t, err, repo.ErrWrongPassword)

	// A second rotation: generation 2 reads all three generations.
	res, err = r.Rotate(ctx, repo.RotateOptions{Password: password, Argon2: cheapArgon})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Generation)
	last := writeSnapshot(t, r, []byte("generation 2"))
	r2, err := repo.Open(ctx, st, password)
	require.NoError(t, err)
	assert.Equal(t, 2, generationOf(t, r2))
	for id, want := range map[repo.ID]string{before: "written before the rotation", after: "written after the rotation", woNew: "write-only slot of generation 1", last: "generation 2"} {
		requireReads(t, r2, id, want)
	}
	rep, err := r2.Check(ctx, repo.CheckOptions{ReadData: true})
	require.NoError(t, err)
	assert.False(t, rep.Damaged(), "%v", rep.Findings)

	// The audit log: every entry opens, the chain and the old checkpoint
	// (signed with the generation-0 key) verify.
	entries, err := r2.Audit(ctx, time.Time{})
	require.NoError(t, err)
	var ops []string
	for _, e := range entries {
		ops = append(ops, e.Op)
	}
	assert.Contains(t, ops, "init")
	assert.Contains(t, ops, "key rotate")
	_, err = r2.VerifyAudit(ctx, cp)
	require.NoError(t, err)
	cp2, err := r2.AuditCheckpoint(ctx)
	require.NoError(t, err)
	assert.Equal(t, cp.PublicKey, cp2.PublicKey, "checkpoints keep the generation-0 signing key")
}

// TestRotateCustody: a session opened by custodians rotates by splitting
// the new key again; the old shares open nothing, the new ones read the
// data of both generations.
func TestRotateCustody(t *testing.T) {
	ctx := context.Background()
	full, _, st := writeOnlyRepo(t)
	before := writeSnapshot(t, full, []byte("before"))
	res, err := full.Split(ctx, 2, []repo.Custodian{{Name: "alice"}, {Name: "bob"}, {Name: "carol"}}, repo.WithSplitArgon2(cheapArgon))
	require.NoError(t, err)
	r, err := repo.OpenWithShares(ctx, st, &shares{in: []repo.ShareInput{text(res.TextShares["alice"]), text(res.TextShares["bob"])}})
	require.NoError(t, err)

	_, err = r.Rotate(ctx, repo.RotateOptions{Password: password})
	require.ErrorIs(t, err, repo.ErrInvalidCustody, "custody sessions re-split, into no password slot")
	var delivered []string
	rot, err := r.Rotate(ctx, repo.RotateOptions{
		Custodians: []repo.Custodian{{Name: "alice"}, {Name: "bob"}, {Name: "dave"}},
		Argon2:     cheapArgon,
		DeliverShare: func(_ context.Context, name, share string) error {
			delivered = append(delivered, name)
			return nil
		},
	})
	require.NoError(t, err)
	assert.Equal(t, 1, rot.Generation)
	require.NotNil(t, rot.Split)
	assert.Equal(t, 2, rot.Split.Threshold, "the threshold of the split that opened the session")
	assert.Equal(t, []string{"alice", "bob", "dave"}, delivered)
	after := writeSnapshot(t, r, []byte("after"))

	_, err = repo.OpenWithShares(ctx, st, &shares{in: []repo.ShareInput{text(res.TextShares["alice"]), text(res.TextShares["carol"])}})
	require.ErrorIs(t, err, repo.ErrWrongShare, "the old split is gone")
	n, err := repo.OpenWithShares(ctx, st, &shares{in: []repo.ShareInput{text(rot.Split.TextShares["dave"]), text(rot.Split.TextShares["alice"])}})
	require.NoError(t, err)
	requireReads(t, n, before, "before")
	requireReads(t, n, after, "after")
}

// TestRotateInterrupted stops a rotation after each of its steps (the
// goroutine running it exits there, as if the process died) and checks
// that the password still opens the repository and reads everything, and
// that after the new slot was written it opens the newest generation.
func TestRotateInterrupted(t *testing.T) {
	ctx := context.Background()
	for stop := 1; ; stop++ {
		full, st := newRepo(t, "")
		before := writeSnapshot(t, full, []byte("before"))
		var (
			steps []string
			wg    sync.WaitGroup
		)
		remove := testhook.OnStep(func(name string) {
			steps = append(steps, name)
			if len(steps) == stop {
				runtime.Goexit()
			}
		})
		done := false
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := full.Rotate(ctx, repo.RotateOptions{Password: password, Argon2: cheapArgon})
			assert.NoError(t, err)
			done = true
		}()
		wg.Wait()
		remove()
		r, err := repo.Open(ctx, st, password)
		require.NoError(t, err, "stopped after %v", steps)
		requireReads(t, r, before, "before")
		if len(steps) >= 3 { // keyring, new description, new slot
			assert.Equal(t, 1, generationOf(t, r), "stopped after %v: the newest generation opens", steps)
		}
		writeSnapshot(t, r, []byte("after"))
		if done {
			require.Greater(t, stop, 3)
			return
		}
	}
}
