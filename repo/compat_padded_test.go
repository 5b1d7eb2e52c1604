package repo_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"math/bits"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/mkvectors/source"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
)

// paddedDir is the committed vector set with padded packs (FORMAT.md
// 12.1): the v1 content written by the writer that pads. Never regenerate
// it in place.
const paddedDir = "testdata/v1-padded"

// specPadding checks a pack's padding as FORMAT.md 12.1 describes it: the
// bytes between the end of the last blob and the trailer are none, or a
// sealed message of zeros under the index key bound to the pack ID. It
// returns the padding's length.
func specPadding(t *testing.T, k *specKeySet, pack []byte, packID [32]byte, entries []specPackEntry, trailerStart int) int {
	t.Helper()
	end := 0
	for _, e := range entries {
		end = max(end, int(e.offset+e.length))
	}
	require.LessOrEqual(t, end, trailerStart)
	if end == trailerStart {
		return 0
	}
	plain, err := specOpen(t, k.index, pack[end:trailerStart], append([]byte("CPKP"), packID[:]...))
	require.NoError(t, err, "padding authenticates")
	require.Equal(t, make([]byte, len(plain)), plain, "padding is zeros")
	return trailerStart - end
}

// specPadme is the Padmé length of FORMAT.md 12.1.
func specPadme(u int) int {
	e := bits.Len(uint(u)) - 1
	s := bits.Len(uint(e))
	mask := 1<<(e-s) - 1
	return (u + mask) &^ mask
}

// TestFormatV1PaddedSpecReader reads the padded vector set with the
// independent reader (every pack, blob, tree and snapshot, the padding
// included) and checks that every pack has padding and a Padmé length.
func TestFormatV1PaddedSpecReader(t *testing.T) {
	specReadV1(t, paddedDir)

	k, ok := specUnlock(t, paddedDir, source.Password)
	require.True(t, ok)
	packFiles, err := filepath.Glob(filepath.Join(paddedDir, "packs", "*", "*.0"))
	require.NoError(t, err)
	require.NotEmpty(t, packFiles)
	for _, f := range packFiles {
		hexID := strings.TrimSuffix(filepath.Base(f), ".0")
		pack := specObject(t, paddedDir, "packs/"+hexID[:2]+"/"+hexID)
		id, err := hex.DecodeString(hexID)
		require.NoError(t, err)
		start := len(pack) - 4 - int(binary.BigEndian.Uint32(pack[len(pack)-4:]))
		trailer, err := specOpen(t, k.index, pack[start:len(pack)-4], append([]byte("CPKT"), id...))
		require.NoError(t, err)
		entries, _ := specPackEntries(t, trailer[24:], int(binary.BigEndian.Uint32(trailer[20:24])))
		pad := specPadding(t, k, pack, [32]byte(id), entries, start)
		require.GreaterOrEqual(t, pad, 40, "%s is padded", hexID)
		assert.Equal(t, specPadme(len(pack)-pad+40), len(pack), "%s has a Padmé length", hexID)
	}
}

// TestFormatV1PaddedVectors opens the padded vector set with the library,
// restores both snapshots byte-identically and checks every blob and
// every padding.
func TestFormatV1PaddedVectors(t *testing.T) {
	ctx := context.Background()
	r, err := v1Open(t, copyVectors(t, paddedDir), source.Password)
	require.NoError(t, err)
	rep, err := r.Check(ctx, repo.CheckOptions{ReadData: true})
	require.NoError(t, err)
	require.Empty(t, rep.Findings)
	assert.Equal(t, rep.Packs, rep.PacksRead)
	want := v1WriteSource(t)
	kinds := map[string]bool{}
	for s, err := range r.Snapshots(ctx) {
		require.NoError(t, err)
		kinds[s.Kind] = true
		got := t.TempDir()
		_, err := restore.Snapshot(ctx, r, s, got)
		require.NoError(t, err)
		if s.Kind == repo.KindStream {
			b, err := os.ReadFile(filepath.Join(got, source.StreamName))
			require.NoError(t, err)
			require.True(t, bytes.Equal(source.Stream(), b))
			continue
		}
		diffs, err := fixture.Diff(want, got, true)
		require.NoError(t, err)
		require.Empty(t, diffs)
	}
	assert.Equal(t, map[string]bool{repo.KindFiles: true, repo.KindStream: true}, kinds)
}
