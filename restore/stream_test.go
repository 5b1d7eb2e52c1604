package restore_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/storage"
)

func newStreamRepo(t *testing.T) *repo.Repository {
	t.Helper()
	ctx := context.Background()
	st, err := storage.Open(ctx, []string{t.TempDir()}, storage.WithCreate())
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	r, err := repo.Init(ctx, st, []byte("stream test password"), repo.WithArgon2(crypto.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}))
	require.NoError(t, err)
	return r
}

// TestStream: a stream snapshot is written to an io.Writer byte for byte,
// empty or of many chunks; a files snapshot is refused with ErrNotStream.
func TestStream(t *testing.T) {
	ctx := context.Background()
	r := newStreamRepo(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 3<<20 + 11} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		res, err := backup.Stream(ctx, r, "ledger.sql", bytes.NewReader(data))
		require.NoError(t, err)
		var out bytes.Buffer
		n, err := restore.Stream(ctx, r, res.Snapshot, &out)
		require.NoError(t, err)
		assert.Equal(t, int64(size), n)
		assert.True(t, bytes.Equal(data, out.Bytes()), "size %d", size)
	}

	res, err := backup.Files(ctx, r, []string{t.TempDir()})
	require.NoError(t, err)
	_, err = restore.Stream(ctx, r, res.Snapshot, &bytes.Buffer{})
	require.ErrorIs(t, err, restore.ErrNotStream)
}

// TestStreamWriterError: a failing writer stops the restore with its error.
func TestStreamWriterError(t *testing.T) {
	ctx := context.Background()
	r := newStreamRepo(t)
	res, err := backup.Stream(ctx, r, "x", bytes.NewReader([]byte("some data")))
	require.NoError(t, err)
	boom := errors.New("disk full")
	_, err = restore.Stream(ctx, r, res.Snapshot, failWriter{boom})
	require.ErrorIs(t, err, boom)
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }
