package repo_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

var writeOnlyPassword = []byte("the nightly backup machine's password")

// writeOnlyRepo returns a repository with a full and a write-only slot,
// and a session opened with the write-only one.
func writeOnlyRepo(t *testing.T) (full, wo *repo.Repository, st *storage.Store) {
	t.Helper()
	ctx := context.Background()
	full, st = newRepo(t, "")
	_, err := full.AddKey(ctx, writeOnlyPassword, repo.RoleWriteOnly, cheapKey)
	require.NoError(t, err)
	wo, err = repo.Open(ctx, st, writeOnlyPassword)
	require.NoError(t, err)
	require.True(t, wo.WriteOnly())
	return full, wo, st
}

// writeSnapshot stores one file of content data as a snapshot.
func writeSnapshot(t *testing.T, r *repo.Repository, data []byte) repo.ID {
	t.Helper()
	ctx := context.Background()
	id := r.BlobID(data)
	_, err := r.SaveBlob(ctx, repo.DataBlob, id, data, true)
	require.NoError(t, err)
	tree, err := r.SaveTree(ctx, &repo.Tree{Nodes: []repo.Node{{Name: "ledger.csv", Type: repo.NodeFile, Mode: 0o600, ModTime: time.Unix(1e9, 0).UTC(), Size: uint64(len(data)), Content: []repo.ID{id}}}})
	require.NoError(t, err)
	sid, err := r.SaveSnapshot(ctx, &repo.Snapshot{Time: time.Now(), Host: "backup-01", Kind: repo.KindFiles, Paths: []string{"/books"}, Tree: tree})
	require.NoError(t, err)
	return sid
}

// TestWriteOnlyCannotRead tries every read path with a write-only session.
func TestWriteOnlyCannotRead(t *testing.T) {
	ctx := context.Background()
	_, wo, _ := writeOnlyRepo(t)
	data := []byte("invoice 2026-001, 1,234.00 CNY\n")
	sid := writeSnapshot(t, wo, data)
	tree := wo.BlobID(data) // a data blob ID the session knows

	_, err := wo.LoadSnapshot(ctx, sid)
	assert.ErrorIs(t, err, repo.ErrWriteOnly, "LoadSnapshot")
	_, err = wo.FindSnapshot(ctx, "latest")
	assert.ErrorIs(t, err, repo.ErrWriteOnly, "FindSnapshot latest")
	_, err = wo.FindSnapshot(ctx, sid.String()[:8])
	assert.ErrorIs(t, err, repo.ErrWriteOnly, "FindSnapshot prefix")
	for _, err := range wo.Snapshots(ctx) {
		assert.ErrorIs(t, err, repo.ErrWriteOnly, "Snapshots")
	}
	_, err = wo.LoadBlob(ctx, repo.BlobHandle{Type: repo.DataBlob, ID: tree}, nil)
	assert.ErrorIs(t, err, repo.ErrWriteOnly, "LoadBlob")
	_, err = wo.LoadTree(ctx, tree)
	assert.ErrorIs(t, err, repo.ErrWriteOnly, "LoadTree")
	_, err = wo.Check(ctx, repo.CheckOptions{ReadData: true})
	assert.ErrorIs(t, err, repo.ErrWriteOnly, "Check")
	_, err = wo.AddKey(ctx, []byte("another"), repo.RoleFull, cheapKey)
	assert.ErrorIs(t, err, repo.ErrWriteOnly, "AddKey")
	for _, err := range []error{err} {
		assert.Equal(t, 1, len(bytes.Split([]byte(err.Error()), []byte("\n"))), "one line")
	}
	keys, err := wo.Keys(ctx)
	require.NoError(t, err, "a write-only session lists the key slots")
	assert.Len(t, keys, 2)
}

// TestFullReadsWriteOnly: the full role reads what write-only sessions
// wrote, and write-only sessions deduplicate against each other.
func TestFullReadsWriteOnly(t *testing.T) {
	ctx := context.Background()
	_, wo, st := writeOnlyRepo(t)
	data := bytes.Repeat([]byte("general ledger line\n"), 5000)
	sid := writeSnapshot(t, wo, data)
	require.NoError(t, wo.Close(ctx))

	wo2, err := repo.Open(ctx, st, writeOnlyPassword)
	require.NoError(t, err)
	isNew, err := wo2.SaveBlob(ctx, repo.DataBlob, wo2.BlobID(data), data, true)
	require.NoError(t, err)
	assert.False(t, isNew, "a second write-only session deduplicates")

	full, err := repo.Open(ctx, st, password)
	require.NoError(t, err)
	s, err := full.FindSnapshot(ctx, "latest")
	require.NoError(t, err)
	assert.Equal(t, sid, s.ID)
	tree, err := full.LoadTree(ctx, s.Tree)
	require.NoError(t, err)
	got, err := full.LoadBlob(ctx, repo.BlobHandle{Type: repo.DataBlob, ID: tree.Nodes[0].Content[0]}, nil)
	require.NoError(t, err)
	assert.Equal(t, data, got)
	rep, err := full.Check(ctx, repo.CheckOptions{ReadData: true})
	require.NoError(t, err)
	assert.Empty(t, rep.Findings)
}

// TestPoisonedDedup: a write-only writer stores a blob whose content does
// not match its ID. Reading it is damage, never wrong data, and a
// full-access writer stores the true content again instead of trusting
// the lying entry; readers then use the true copy.
func TestPoisonedDedup(t *testing.T) {
	ctx := context.Background()
	full, wo, st := writeOnlyRepo(t)
	truth := []byte("bank account 6222 0000 1111 2222, balance 98,000.00")
	lie := []byte("bank account 6222 0000 9999 8888, balance 98,000.00")
	id := wo.BlobID(truth)
	_, err := wo.SaveBlob(ctx, repo.DataBlob, id, lie, false)
	require.NoError(t, err)
	require.NoError(t, wo.Close(ctx))

	reader, err := repo.Open(ctx, st, password)
	require.NoError(t, err)
	_, err = reader.LoadBlob(ctx, repo.BlobHandle{Type: repo.DataBlob, ID: id}, nil)
	require.ErrorIs(t, err, repo.ErrMalformed)
	assert.Contains(t, err.Error(), "does not match its ID")

	full, err = repo.Open(ctx, st, password)
	require.NoError(t, err)
	assert.False(t, full.HasBlob(repo.BlobHandle{Type: repo.DataBlob, ID: id}), "an entry of a write-only session is not trusted for dedup")
	isNew, err := full.SaveBlob(ctx, repo.DataBlob, id, truth, false)
	require.NoError(t, err)
	require.True(t, isNew, "the full writer stores the blob again")
	require.NoError(t, full.Close(ctx))

	for range 3 { // index files load in any order
		r, err := repo.Open(ctx, st, password)
		require.NoError(t, err)
		got, err := r.LoadBlob(ctx, repo.BlobHandle{Type: repo.DataBlob, ID: id}, nil)
		require.NoError(t, err)
		assert.Equal(t, truth, got)
	}
}
