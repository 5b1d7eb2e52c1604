package repo

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/storage"
)

var internalCount atomic.Int64

var testPassword = []byte("internal test password")

// cheapArgon keeps key slots cheap in tests.
var cheapArgon = crypto.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}

// internalRepo initialises a repository on a fresh in-memory site.
func internalRepo(t testing.TB) (*Repository, *storage.Store) {
	t.Helper()
	st, err := storage.Open(context.Background(), []string{fmt.Sprintf("mem://internal-%d", internalCount.Add(1))}, storage.WithCreate())
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	r, err := Init(context.Background(), st, testPassword, WithArgon2(cheapArgon))
	require.NoError(t, err)
	return r, st
}

// TestAllowedKeysTable checks every pair of object kind and key kind
// against the table of FORMAT.md §6.9.
func TestAllowedKeysTable(t *testing.T) {
	want := map[objectKind][]keyKind{
		kindConfig:    {keyIndex},
		kindIndexFile: {keyIndex},
		kindSnapshot:  {keyData, keySession},
		kindKeyring:   {keyKeyring},
		kindBlob:      {keyData, keySession},
	}
	for o, ok := range want {
		for _, k := range []keyKind{keyIndex, keyData, keySession, keyKeyring} {
			sk := newSealKey(k, crypto.Key{byte(k)})
			err := sk.allows(o)
			if containsKind(ok, k) {
				assert.NoError(t, err, "%s under %s", o, k)
			} else {
				assert.ErrorIs(t, err, ErrMalformed, "%s under %s", o, k)
			}
		}
	}
}

func containsKind(ks []keyKind, k keyKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// TestWrongKindKeyConfig: a config sealed under the data key is refused.
func TestWrongKindKeyConfig(t *testing.T) {
	ctx := context.Background()
	r, st := internalRepo(t)
	payload, err := json.Marshal(r.cfg)
	require.NoError(t, err)
	require.NoError(t, st.Put(ctx, configName, sealEnvelope(magicConfig, r.dataKey, configName, payload)))
	_, err = Open(ctx, st, testPassword)
	require.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "config sealed under the data key")
}

// TestWrongKindKeyIndexFile: an index file sealed under the data key is
// skipped (reported), so its blobs are unknown.
func TestWrongKindKeyIndexFile(t *testing.T) {
	ctx := context.Background()
	r, st := internalRepo(t)
	data := []byte("an index file sealed under the wrong key names this blob")
	id := r.BlobID(data)
	_, err := r.SaveBlob(ctx, DataBlob, id, data, false)
	require.NoError(t, err)
	require.NoError(t, r.Flush(ctx))
	// Rewrite every index file under the data key.
	for name, err := range st.List(ctx, indexPrefix) {
		require.NoError(t, err)
		packs, err := r.readIndexFile(ctx, name)
		require.NoError(t, err)
		require.NoError(t, st.Put(ctx, name, sealEnvelope(magicIndex, r.dataKey, name, encodeIndexFile(packs))))
	}
	r2, err := Open(ctx, st, testPassword)
	require.NoError(t, err)
	require.Len(t, r2.Warnings(), 1)
	assert.ErrorIs(t, r2.Warnings()[0], ErrMalformed)
	assert.Contains(t, r2.Warnings()[0].Error(), "index file sealed under the data key")
	assert.False(t, r2.HasBlob(BlobHandle{Type: DataBlob, ID: id}))
}

// TestWrongKindKeySnapshot: a snapshot sealed under the index key (which
// every write-only machine holds) does not load.
func TestWrongKindKeySnapshot(t *testing.T) {
	ctx := context.Background()
	r, st := internalRepo(t)
	tree, err := r.SaveTree(ctx, &Tree{})
	require.NoError(t, err)
	require.NoError(t, r.Flush(ctx))
	payload, err := json.Marshal(&Snapshot{Host: "forger", Kind: KindFiles, Tree: tree})
	require.NoError(t, err)
	id := ID{0x5e}
	name := snapshotName(id)
	require.NoError(t, st.Put(ctx, name, sealEnvelope(magicSnapshot, r.indexKey, name, payload)))
	_, err = r.LoadSnapshot(ctx, id)
	require.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "snapshot sealed under the index key")
	_, err = r.FindSnapshot(ctx, "latest")
	require.ErrorIs(t, err, ErrSnapshotNotFound)
}

// TestWrongKindKeyBlob: a pack whose trailer names the index key as the
// key of its blobs, blobs sealed under it, is refused on read and by a
// check.
func TestWrongKindKeyBlob(t *testing.T) {
	ctx := context.Background()
	r, st := internalRepo(t)
	data := []byte("a blob sealed under the index key")
	h := BlobHandle{Type: DataBlob, ID: r.BlobID(data)}
	p := &packBuilder{id: ID{0x9a}}
	p.add(h, r.indexKey.aead.Seal(nil, encodePayload(nil, data, nil), blobAD(h)), len(data))
	p.finish(r.indexKey, r.indexKey.id)
	require.NoError(t, st.Put(ctx, packName(p.id), p.buf))
	ip := IndexPack{ID: p.id, KeyID: r.indexKey.id, Entries: p.entries}
	name := indexPrefix + ID{0x9b}.String()
	require.NoError(t, st.Put(ctx, name, sealEnvelope(magicIndex, r.indexKey, name, encodeIndexFile([]IndexPack{ip}))))

	r2, err := Open(ctx, st, testPassword)
	require.NoError(t, err)
	_, err = r2.LoadBlob(ctx, h, nil)
	require.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "pack sealed under the index key")

	rep, err := r2.Check(ctx, CheckOptions{ReadData: true})
	require.NoError(t, err)
	require.True(t, rep.Lost())
	assert.Contains(t, fmt.Sprint(rep.Findings), "pack sealed under the index key")
}

// TestWrongKindKeyKeyring: a keyring object sealed under the data key is
// refused.
func TestWrongKindKeyKeyring(t *testing.T) {
	r, _ := internalRepo(t)
	name := "keyrings/" + r.master.ID().String()
	b := sealEnvelope(magicKeyring, r.dataKey, name, []byte("CSTDKRNG\x01\x00\x00"))
	_, err := openEnvelope(magicKeyring, b, name, r.keyFor(kindKeyring), 2<<20)
	require.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "keyring sealed under the data key")
}

// TestCloseWipesMasterKey: Close leaves no master key in the Repository.
func TestCloseWipesMasterKey(t *testing.T) {
	r, _ := internalRepo(t)
	require.False(t, crypto.Key(r.master).IsZero())
	require.NoError(t, r.Close(context.Background()))
	assert.True(t, crypto.Key(r.master).IsZero())
}
