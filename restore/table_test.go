package restore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/tablegen"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
)

func tableBackup(t *testing.T, r *repo.Repository, data []byte, opts ...backup.TableOption) *repo.Snapshot {
	t.Helper()
	s, err := backup.Table(context.Background(), r, "customers", []string{"id"}, classify.Read(bytes.NewReader(data), classify.CSV), opts...)
	require.NoError(t, err)
	return s
}

func TestDiffTable(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	g := tablegen.Gen{Seed: 11}
	v1, v2 := g.CSV(3000, 1), g.CSV(3000, 2)
	s1 := tableBackup(t, r, v1)
	s2 := tableBackup(t, r, v2)

	var diffs []restore.RecordDiff
	for d, err := range restore.DiffTable(ctx, r, s1, s2) {
		require.NoError(t, err)
		diffs = append(diffs, d)
	}
	count := map[string]uint64{}
	for _, d := range diffs {
		count[d.Change]++
		if d.Change == restore.RecordChanged {
			assert.NotEmpty(t, d.Fields)
			for _, f := range d.Fields {
				assert.Contains(t, []string{"bank_card", "phone", "address", "balance", "updated_at"}, f)
			}
		}
	}
	c := s2.Table.Changes
	assert.Equal(t, c.Added, count[restore.RecordAdded])
	assert.Equal(t, c.Deleted, count[restore.RecordRemoved])
	assert.Equal(t, c.Changed, count[restore.RecordChanged])
	assert.NotZero(t, c.Added*c.Deleted*c.Changed)

	// Never a value: no field of the source but the key appears.
	out, err := json.Marshal(diffs)
	require.NoError(t, err)
	for _, data := range [][]byte{v1, v2} {
		for rec, err := range classify.Read(bytes.NewReader(data), classify.CSV) {
			require.NoError(t, err)
			for _, f := range rec[1:] {
				assert.NotContains(t, string(out), f.Value)
			}
		}
	}

	// The other way round, added and removed swap.
	n := 0
	for d, err := range restore.DiffTable(ctx, r, s2, s1) {
		require.NoError(t, err)
		if d.Change == restore.RecordAdded {
			n++
		}
	}
	assert.EqualValues(t, c.Deleted, n)
	for _, err := range restore.DiffTable(ctx, r, s2, s2) {
		t.Fatal("a snapshot differs from itself", err)
	}
}

func TestVerifyTableSample(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	g := tablegen.Gen{Seed: 12}
	v1, v2 := g.CSV(2000, 1), g.CSV(2000, 2)
	s1 := tableBackup(t, r, v1)
	s2 := tableBackup(t, r, v2)
	rng := rand.New(rand.NewPCG(1, 2))

	rep, err := restore.VerifyTableSample(ctx, r, s2, classify.Read(bytes.NewReader(v2), classify.CSV), 50, rng)
	require.NoError(t, err)
	assert.True(t, rep.OK())
	assert.Equal(t, 50, rep.Sampled)
	assert.Equal(t, 2000+2000/100-int(s2.Table.Changes.Deleted), rep.Source)

	// The v2 source against the v1 backup: every changed and added record
	// is reported, by key.
	rep, err = restore.VerifyTableSample(ctx, r, s1, classify.Read(bytes.NewReader(v2), classify.CSV), 1_000_000, rng)
	require.NoError(t, err)
	assert.False(t, rep.OK())
	assert.EqualValues(t, s2.Table.Changes.Changed, len(rep.Mismatched))
	assert.EqualValues(t, s2.Table.Changes.Added, len(rep.Missing))
	for _, k := range rep.Missing {
		require.Len(t, k, 1)
		id, err := strconv.Atoi(k[0])
		require.NoError(t, err)
		assert.Greater(t, id, 2000, "only appended customers are missing from v1")
	}
}
