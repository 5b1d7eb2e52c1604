package table

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"

	"github.com/custodia-backup/custodia/internal/extsort"
	"github.com/custodia-backup/custodia/repo"
)

// ErrDuplicateKey means two records of one backup have the same key.
var ErrDuplicateKey = errors.New("duplicate key")

// Entry is one record with its key, both encoded.
type Entry struct {
	Key, Record []byte
}

// Change is one change of a table, in ascending key order: a new or changed
// record (Record set) or a deleted key.
type Change struct {
	Key     []byte
	Record  []byte
	Deleted bool
}

// Layout is what a writer stored: the index tops, the tree reaching every
// blob the snapshot needs, and byte counts.
type Layout struct {
	Index []repo.IndexRef
	Delta []repo.IndexRef
	Tree  ID
	// Records counts the records written to record pages.
	Records uint64
	// Added counts the plaintext bytes of new blobs.
	Added uint64

	root *repo.Tree // saved once the pages are stored
}

// WriteFull stores sorted, key-unique entries as a full table snapshot's
// record pages and sparse index, and the tree naming them.
func WriteFull(ctx context.Context, r *repo.Repository, entries iter.Seq2[Entry, error]) (*Layout, error) {
	sv := newSaver(ctx, r)
	lay, err := writeFull(ctx, r, sv, entries)
	if werr := sv.wait(); err == nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	return finish(ctx, r, sv, lay)
}

// finish saves the layout's tree once its pages are stored.
func finish(ctx context.Context, r *repo.Repository, sv *saver, lay *Layout) (*Layout, error) {
	id, err := r.SaveTableTree(ctx, lay.root)
	if err != nil {
		return nil, err
	}
	lay.Tree, lay.root = id, nil
	lay.Added = sv.added.Load()
	return lay, nil
}

func writeFull(ctx context.Context, r *repo.Repository, sv *saver, entries iter.Seq2[Entry, error]) (*Layout, error) {
	idx := newIndexWriter(r, sv, indexKindPages)
	pages := &pageList{r: r}
	rec := newRecordPager(r, sv, func(first []byte, id ID, n uint64, size int) error {
		if err := pages.add(ctx, id, size); err != nil {
			return err
		}
		return idx.addPageRef(ctx, PageRef{First: first, Page: id, Records: n})
	})
	var (
		prev []byte
		lay  Layout
	)
	for e, err := range entries {
		if err != nil {
			return nil, err
		}
		if prev != nil && bytes.Compare(prev, e.Key) >= 0 {
			if bytes.Equal(prev, e.Key) {
				return nil, fmt.Errorf("%w: %s", ErrDuplicateKey, KeyString(e.Key))
			}
			return nil, fmt.Errorf("table: entries out of key order at %s", KeyString(e.Key))
		}
		prev = append(prev[:0], e.Key...)
		if _, err := rec.addRecord(ctx, e.Key, e.Record); err != nil {
			return nil, err
		}
		lay.Records++
	}
	if err := rec.finish(ctx); err != nil {
		return nil, err
	}
	if err := idx.finish(ctx); err != nil {
		return nil, err
	}
	records, err := pages.node(ctx, "records", rec.stored)
	if err != nil {
		return nil, err
	}
	lay.root = &repo.Tree{Nodes: []repo.Node{
		fileNode("index", idx.pages, idx.p.stored),
		records,
	}}
	lay.Index = idx.top
	return &lay, nil
}

func fileNode(name string, content []ID, size uint64) repo.Node {
	return repo.Node{Name: name, Type: repo.NodeFile, Mode: 0o600, Content: content, Size: size}
}

// DeltaOptions are the inputs of WriteDelta besides the changes.
type DeltaOptions struct {
	// Base is the full snapshot the delta applies to.
	Base *repo.Snapshot
	// Previous is the delta index to carry forward (the parent's, for an
	// incremental whose parent is not a full); nil for none.
	Previous iter.Seq2[DeltaEntry, error]
	// TempDir holds the spool of delta entries, and Memory bounds it
	// when Budget is nil.
	TempDir string
	Memory  int
	// Budget, when set, is shared with the sort that produced the
	// changes (Finish'ed): the spool takes what it has free and counts
	// in it what it holds.
	Budget *extsort.Budget
}

// spool values: how a delta entry is kept until its page is known.
const (
	spoolDelete   = 0
	spoolResolved = 1 // page ID[32] || uvarint(ordinal)
	spoolPending  = 2 // uvarint(page sequence) || uvarint(ordinal)
)

// WriteDelta stores the records of changes (ascending, key-unique) in new
// record pages and writes the delta index: the previous delta index with
// changes applied. It returns the layout of the new snapshot.
func WriteDelta(ctx context.Context, r *repo.Repository, changes iter.Seq2[Change, error], o DeltaOptions) (*Layout, error) {
	sv := newSaver(ctx, r)
	lay, err := writeDelta(ctx, r, sv, changes, o)
	if werr := sv.wait(); err == nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	return finish(ctx, r, sv, lay)
}

func writeDelta(ctx context.Context, r *repo.Repository, sv *saver, changes iter.Seq2[Change, error], o DeltaOptions) (*Layout, error) {
	var spool *extsort.Sorter
	if o.Budget != nil {
		spool = extsort.New(o.TempDir, 0, extsort.Shared(o.Budget))
	} else {
		spool = extsort.New(o.TempDir, o.Memory)
	}
	defer spool.Close()
	var (
		pages []ID // by sequence
		vbuf  []byte
		lay   Layout
	)
	rec := newRecordPager(r, sv, func(_ []byte, id ID, _ uint64, _ int) error {
		pages = append(pages, id)
		return nil
	})
	put := func(key []byte, v []byte) error { return spool.Add(key, v) }

	var nextPrev func() (DeltaEntry, error, bool)
	if o.Previous != nil {
		next, stop := iter.Pull2(o.Previous)
		defer stop()
		nextPrev = next
	} else {
		nextPrev = func() (DeltaEntry, error, bool) { return DeltaEntry{}, nil, false }
	}
	carry := func(e DeltaEntry) error {
		vbuf = encodeResolved(vbuf[:0], e)
		return put(e.Key, vbuf)
	}
	pe, perr, pok := nextPrev()
	var prev []byte
	for c, err := range changes {
		if err != nil {
			return nil, err
		}
		if prev != nil && bytes.Compare(prev, c.Key) >= 0 {
			return nil, fmt.Errorf("%w: %s", ErrDuplicateKey, KeyString(c.Key))
		}
		prev = append(prev[:0], c.Key...)
		for ; pok && perr == nil && bytes.Compare(pe.Key, c.Key) < 0; pe, perr, pok = nextPrev() {
			if err := carry(pe); err != nil {
				return nil, err
			}
		}
		if perr != nil {
			return nil, perr
		}
		if pok && bytes.Equal(pe.Key, c.Key) {
			pe, perr, pok = nextPrev()
		}
		if c.Deleted {
			if err := put(c.Key, []byte{spoolDelete}); err != nil {
				return nil, err
			}
			continue
		}
		seq := rec.seq
		pos, err := rec.addRecord(ctx, c.Key, c.Record)
		if err != nil {
			return nil, err
		}
		lay.Records++
		vbuf = append(vbuf[:0], spoolPending)
		vbuf = binary.AppendUvarint(vbuf, seq)
		vbuf = binary.AppendUvarint(vbuf, pos)
		if err := put(c.Key, vbuf); err != nil {
			return nil, err
		}
	}
	for ; pok && perr == nil; pe, perr, pok = nextPrev() {
		if err := carry(pe); err != nil {
			return nil, err
		}
	}
	if perr != nil {
		return nil, perr
	}
	if err := rec.finish(ctx); err != nil {
		return nil, err
	}

	idx := newIndexWriter(r, sv, indexKindDelta)
	var referenced []ID
	seen := map[ID]bool{}
	for p, err := range spool.Sorted() {
		if err != nil {
			return nil, err
		}
		e, err := decodeSpool(p.Key, p.Value, pages)
		if err != nil {
			return nil, err
		}
		if !e.Deleted && !seen[e.Page] {
			seen[e.Page] = true
			referenced = append(referenced, e.Page)
		}
		if err := idx.addDelta(ctx, e); err != nil {
			return nil, err
		}
	}
	if err := idx.finish(ctx); err != nil {
		return nil, err
	}
	lay.root = &repo.Tree{Nodes: []repo.Node{
		{Name: "base", Type: repo.NodeDir, Mode: 0o700, Subtree: &o.Base.Tree},
		fileNode("delta", idx.pages, idx.p.stored),
		fileNode("records", referenced, 0),
	}}
	lay.Index = o.Base.Table.Index
	lay.Delta = idx.top
	return &lay, nil
}

func encodeResolved(dst []byte, e DeltaEntry) []byte {
	if e.Deleted {
		return append(dst, spoolDelete)
	}
	dst = append(dst, spoolResolved)
	dst = append(dst, e.Page[:]...)
	return binary.AppendUvarint(dst, e.Ordinal)
}

func decodeSpool(key, v []byte, pages []ID) (DeltaEntry, error) {
	e := DeltaEntry{Key: key}
	if len(v) == 0 {
		return e, errors.New("table: bad spool entry")
	}
	switch v[0] {
	case spoolDelete:
		e.Deleted = true
	case spoolResolved:
		if len(v) < 33 {
			return e, errors.New("table: bad spool entry")
		}
		copy(e.Page[:], v[1:33])
		o, _, err := uvarint(v[33:])
		if err != nil {
			return e, err
		}
		e.Ordinal = o
	case spoolPending:
		seq, rest, err := uvarint(v[1:])
		if err != nil {
			return e, err
		}
		o, _, err := uvarint(rest)
		if err != nil || seq >= uint64(len(pages)) {
			return e, errors.New("table: bad spool entry")
		}
		e.Page, e.Ordinal = pages[seq], o
	default:
		return e, errors.New("table: bad spool entry")
	}
	return e, nil
}
