package table

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
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

// writeFullOld stores entries (canonical records) as an older writer did:
// version-1 pages ("CRP1", encrypted values as text) or version-2 pages
// ("CRP2", encrypted values raw among the rest), 40 records a page.
func writeFullOld(t *testing.T, r *repo.Repository, entries []Entry, version int) []repo.IndexRef {
	ctx := context.Background()
	sv := newSaver(ctx, r)
	idx := newIndexWriter(r, sv, indexKindPages)
	pages := newPager(r, sv, nil, 0, func(first []byte, id ID, n uint64, _ int) error {
		return idx.addPageRef(ctx, PageRef{First: first, Page: id, Records: n})
	})
	for len(entries) > 0 {
		n := min(40, len(entries))
		var page []byte
		switch version {
		case 1:
			page = appendPageHeader(nil)
			page = binary.AppendUvarint(page, uint64(n))
			for _, e := range entries[:n] {
				dec, err := DecodeRecord(e.Record)
				require.NoError(t, err)
				page = appendRecordV1(page, e.Key, dec)
			}
		case 2:
			var keys, recs [][]byte
			for _, e := range entries[:n] {
				keys, recs = append(keys, e.Key), append(recs, e.Record)
			}
			page = buildPageV2(t, keys, recs)
		}
		j := &pageJob{data: page, first: entries[0].Key, count: uint64(n), done: make(chan struct{})}
		require.NoError(t, sv.save(j))
		pages.queue = append(pages.queue, j)
		require.NoError(t, pages.drain(false))
		entries = entries[n:]
	}
	require.NoError(t, pages.drain(true))
	require.NoError(t, idx.finish(ctx))
	require.NoError(t, sv.wait())
	require.NoError(t, r.Flush(ctx))
	return idx.top
}

// TestOldPagesReadAsVersion3 checks that a table stored with version-1 or
// version-2 record pages reads back record for record as the version-3
// writer encodes the same source: an incremental after the upgrade finds
// every unchanged record unchanged, and restores decrypt the old pages.
func TestOldPagesReadAsVersion3(t *testing.T) {
	for _, version := range []int{1, 2} {
		t.Run(fmt.Sprintf("version %d", version), func(t *testing.T) { testOldPages(t, version) })
	}
}

func testOldPages(t *testing.T, version int) {
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

	old := &repo.Snapshot{Kind: repo.KindTable, Table: &repo.TableInfo{Name: "customers", Index: writeFullOld(t, r, entries, version)}}
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
		assert.Equal(t, b.Value, a.Value, "level-1 %s decrypted from a version-%d page", name, version)
	}
}
