package repo

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeTableSnapshot fuzzes snapshots of kind "table" (FORMAT.md
// section 25.6): whatever decodes satisfies what readers rely on.
func FuzzDecodeTableSnapshot(f *testing.F) {
	base := ID{9}
	for _, t := range []*TableInfo{
		{Name: "customers", Kind: TableFull, Key: []string{"id"}, Plan: json.RawMessage(`{"version":1,"table":"customers","fields":[]}`),
			Index: []IndexRef{{First: []byte{0, 1, '1'}, Blob: ID{2}, Entries: 3}, {First: []byte{0, 1, '9'}, Blob: ID{3}, Entries: 1}}},
		{Name: "customers", Kind: TableIncremental, Base: &base, Chain: 2, Key: []string{"id"}, Plan: json.RawMessage(`{}`),
			Delta: []IndexRef{{First: []byte{0, 1, '5'}, Blob: ID{4}, Entries: 7}}},
	} {
		s := Snapshot{Kind: KindTable, Paths: []string{t.Name}, Tree: ID{1}, Table: t}
		b, err := json.Marshal(&s)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte(`{"kind":"table","tree":"` + ID{1}.String() + `"}`))
	f.Add([]byte(`{"kind":"table","table":{"name":"t","kind":"differential","key":["a"],"plan":{}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeSnapshot(ID{1}, b)
		requireTyped(t, err)
		if err != nil || s.Kind != KindTable {
			return
		}
		ti := s.Table
		require.NotNil(t, ti)
		require.NotEmpty(t, ti.Name)
		require.NotEmpty(t, ti.Key)
		require.NotEmpty(t, ti.Plan)
		if ti.Kind == TableFull {
			require.Nil(t, ti.Base)
			require.Empty(t, ti.Delta)
		} else {
			require.NotNil(t, ti.Base)
		}
		for _, list := range [][]IndexRef{ti.Index, ti.Delta} {
			for i := 1; i < len(list); i++ {
				require.Less(t, string(list[i-1].First), string(list[i].First))
			}
		}
	})
}
