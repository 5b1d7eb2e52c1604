package table

import (
	"bytes"
	"context"
	"iter"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/tablegen"
	"github.com/custodia-backup/custodia/repo"
)

// writeFullV1 stores entries (canonical records) as the version-1 writer
// did: "CRP1" pages whose records hold encrypted values as text.
func writeFullV1(t *testing.T, r *repo.Repository, entries []Entry) []repo.IndexRef {
	ctx := context.Background()
	sv := newSaver(ctx, r)
	idx := newIndexWriter(r, sv, indexKindPages)
	rec := newPager(r, sv, []byte(recordPageMagic), minPage, func(first []byte, id ID, n uint64, _ int) error {
		return idx.addPageRef(ctx, PageRef{First: first, Page: id, Records: n})
	})
	for _, e := range entries {
		dec, err := DecodeRecord(e.Record)
		require.NoError(t, err)
		_, err = rec.add(ctx, e.Key, appendRecordV1(nil, e.Key, dec))
		require.NoError(t, err)
	}
	require.NoError(t, rec.flush(ctx))
	require.NoError(t, idx.finish(ctx))
	require.NoError(t, sv.wait())
	require.NoError(t, r.Flush(ctx))
	return idx.top
}

// TestVersion1PagesReadAsVersion2 checks that a table stored with
// version-1 record pages reads back record for record as the version-2
// writer encodes the same source: an incremental after the upgrade finds
// every unchanged record unchanged, and restores decrypt the old pages.
func TestVersion1PagesReadAsVersion2(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	var recs []classify.Record
	for rec, err := range classify.Read(bytes.NewReader(tablegen.Gen{Seed: 3}.CSV(3000, 1)), classify.CSV) {
		require.NoError(t, err)
		recs = append(recs, rec)
	}
	prof := classify.NewProfiler()
	for _, rec := range recs {
		prof.Observe(rec)
	}
	k := Keys{Field: bytes.Repeat([]byte{1}, 32), Token: bytes.Repeat([]byte{2}, 32)}
	prot, err := NewProtection("customers", []string{"id"}, classify.DefaultPolicy(), prof.Result(), k)
	require.NoError(t, err)
	var entries []Entry
	for _, rec := range recs {
		key, enc, err := prot.Protect(nil, rec)
		require.NoError(t, err)
		entries = append(entries, Entry{Key: key, Record: enc})
	}
	slices.SortFunc(entries, func(a, b Entry) int { return bytes.Compare(a.Key, b.Key) })

	old := &repo.Snapshot{Kind: repo.KindTable, Table: &repo.TableInfo{Name: "customers", Index: writeFullV1(t, r, entries)}}
	rd, err := NewReader(r, old)
	require.NoError(t, err)
	var st repo.TableChanges
	newer := func(yield func(Entry, error) bool) {
		for _, e := range entries {
			if !yield(e, nil) {
				return
			}
		}
	}
	for c, err := range Compare(iter.Seq2[Entry, error](newer), rd.Full(ctx), &st) {
		require.NoError(t, err)
		t.Fatalf("change %s after the upgrade", KeyString(c.Key))
	}
	assert.EqualValues(t, len(entries), st.Unchanged)

	got, ok, err := rd.Get(ctx, entries[17].Key)
	require.NoError(t, err)
	require.True(t, ok)
	rec, err := prot.Reveal(entries[17].Key, got)
	require.NoError(t, err)
	id, _ := rec.Get("id")
	src := recs[slices.IndexFunc(recs, func(r classify.Record) bool { f, _ := r.Get("id"); return f.Value == id.Value })]
	for _, name := range []string{"resident_id", "bank_card"} {
		a, _ := rec.Get(name)
		b, _ := src.Get(name)
		assert.Equal(t, b.Value, a.Value, "level-1 %s decrypted from a version-1 page", name)
	}
}
