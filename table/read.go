package table

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"sort"

	"github.com/custodia-backup/custodia/repo"
)

// ErrNotTable means a snapshot is not a table snapshot.
var ErrNotTable = errors.New("not a table snapshot")

// Reader reads the records of one table snapshot: the full's pages merged
// with the delta index. It caches a few decoded pages; it is not safe for
// concurrent use.
type Reader struct {
	r    *repo.Repository
	info *repo.TableInfo

	cache    map[ID]*Page
	order    []ID
	maxCache int
	loads    int
}

// Loads returns how many blobs the reader has read: each is one range read
// of one pack object.
func (rd *Reader) Loads() int { return rd.loads }

// NewReader returns a reader of snapshot s.
func NewReader(r *repo.Repository, s *repo.Snapshot) (*Reader, error) {
	if s.Kind != repo.KindTable || s.Table == nil {
		return nil, fmt.Errorf("%w: snapshot %s", ErrNotTable, s.ID.String()[:8])
	}
	return &Reader{r: r, info: s.Table, cache: map[ID]*Page{}, maxCache: 32}, nil
}

// Info returns the snapshot's table section.
func (rd *Reader) Info() *repo.TableInfo { return rd.info }

func (rd *Reader) loadBlob(ctx context.Context, id ID) ([]byte, error) {
	rd.loads++
	return rd.r.LoadBlob(ctx, repo.BlobHandle{Type: repo.DataBlob, ID: id}, nil)
}

// page loads a record page through the cache.
func (rd *Reader) page(ctx context.Context, id ID) (*Page, error) {
	if p, ok := rd.cache[id]; ok {
		return p, nil
	}
	b, err := rd.loadBlob(ctx, id)
	if err != nil {
		return nil, err
	}
	p, err := DecodePage(b)
	if err != nil {
		return nil, fmt.Errorf("record page %s: %w", id, err)
	}
	if len(rd.order) >= rd.maxCache {
		delete(rd.cache, rd.order[0])
		rd.order = rd.order[1:]
	}
	rd.cache[id] = p
	rd.order = append(rd.order, id)
	return p, nil
}

func (rd *Reader) pageIndex(ctx context.Context, ref repo.IndexRef) ([]PageRef, error) {
	b, err := rd.loadBlob(ctx, ref.Blob)
	if err != nil {
		return nil, err
	}
	refs, err := DecodePageIndex(b)
	if err != nil {
		return nil, fmt.Errorf("index page %s: %w", ref.Blob, err)
	}
	if uint64(len(refs)) != ref.Entries || !bytes.Equal(refs[0].First, ref.First) {
		return nil, fmt.Errorf("%w: index page %s does not match its reference", ErrMalformed, ref.Blob)
	}
	return refs, nil
}

func (rd *Reader) deltaIndex(ctx context.Context, ref repo.IndexRef) ([]DeltaEntry, error) {
	b, err := rd.loadBlob(ctx, ref.Blob)
	if err != nil {
		return nil, err
	}
	es, err := DecodeDeltaIndex(b)
	if err != nil {
		return nil, fmt.Errorf("delta page %s: %w", ref.Blob, err)
	}
	if uint64(len(es)) != ref.Entries || !bytes.Equal(es[0].Key, ref.First) {
		return nil, fmt.Errorf("%w: delta page %s does not match its reference", ErrMalformed, ref.Blob)
	}
	return es, nil
}

// Full yields the full snapshot's records in key order, ignoring the delta.
func (rd *Reader) Full(ctx context.Context) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		var prev []byte
		for _, top := range rd.info.Index {
			refs, err := rd.pageIndex(ctx, top)
			if err != nil {
				yield(Entry{}, err)
				return
			}
			for _, ref := range refs {
				b, err := rd.loadBlob(ctx, ref.Page)
				if err != nil {
					yield(Entry{}, err)
					return
				}
				p, err := DecodePage(b)
				if err != nil {
					yield(Entry{}, fmt.Errorf("record page %s: %w", ref.Page, err))
					return
				}
				if uint64(p.Len()) != ref.Records || !bytes.Equal(p.keys[0], ref.First) || (prev != nil && bytes.Compare(prev, ref.First) >= 0) {
					yield(Entry{}, fmt.Errorf("%w: record page %s does not match its index entry", ErrMalformed, ref.Page))
					return
				}
				for i := range p.keys {
					if !yield(Entry{Key: p.keys[i], Record: p.recs[i]}, nil) {
						return
					}
				}
				prev = p.keys[len(p.keys)-1]
			}
		}
	}
}

// Delta yields the delta index entries in key order (none for a full).
func (rd *Reader) Delta(ctx context.Context) iter.Seq2[DeltaEntry, error] {
	return func(yield func(DeltaEntry, error) bool) {
		var prev []byte
		for _, top := range rd.info.Delta {
			es, err := rd.deltaIndex(ctx, top)
			if err != nil {
				yield(DeltaEntry{}, err)
				return
			}
			if prev != nil && bytes.Compare(prev, es[0].Key) >= 0 {
				yield(DeltaEntry{}, fmt.Errorf("%w: delta pages out of order", ErrMalformed))
				return
			}
			for _, e := range es {
				if !yield(e, nil) {
					return
				}
			}
			prev = es[len(es)-1].Key
		}
	}
}

// resolve returns the record a delta put entry points to.
func (rd *Reader) resolve(ctx context.Context, e DeltaEntry) ([]byte, error) {
	p, err := rd.page(ctx, e.Page)
	if err != nil {
		return nil, err
	}
	if e.Ordinal >= uint64(p.Len()) || !bytes.Equal(p.keys[e.Ordinal], e.Key) {
		return nil, fmt.Errorf("%w: delta entry %s does not match record page %s", ErrMalformed, KeyString(e.Key), e.Page)
	}
	return p.recs[e.Ordinal], nil
}

// All yields every record of the snapshot in key order. The slices are
// valid until the next step.
func (rd *Reader) All(ctx context.Context) iter.Seq2[Entry, error] {
	if len(rd.info.Delta) == 0 {
		return rd.Full(ctx)
	}
	return func(yield func(Entry, error) bool) {
		next, stop := iter.Pull2(rd.Delta(ctx))
		defer stop()
		d, derr, dok := next()
		emitDelta := func() bool {
			if d.Deleted {
				return true
			}
			rec, err := rd.resolve(ctx, d)
			if err != nil {
				yield(Entry{}, err)
				return false
			}
			return yield(Entry{Key: d.Key, Record: rec}, nil)
		}
		for e, err := range rd.Full(ctx) {
			if err != nil {
				yield(Entry{}, err)
				return
			}
			for ; dok && derr == nil && bytes.Compare(d.Key, e.Key) < 0; d, derr, dok = next() {
				if !emitDelta() {
					return
				}
			}
			if derr != nil {
				yield(Entry{}, derr)
				return
			}
			if dok && bytes.Equal(d.Key, e.Key) {
				ok := emitDelta()
				d, derr, dok = next()
				if !ok {
					return
				}
				continue
			}
			if !yield(e, nil) {
				return
			}
		}
		for ; dok && derr == nil; d, derr, dok = next() {
			if !emitDelta() {
				return
			}
		}
		if derr != nil {
			yield(Entry{}, derr)
		}
	}
}

// topFor returns the position of the last top-level entry whose first key
// is at most key, or -1.
func topFor(refs []repo.IndexRef, key []byte) int {
	return sort.Search(len(refs), func(i int) bool { return bytes.Compare(refs[i].First, key) > 0 }) - 1
}

// Get returns the encoded record with the given key, or false. It reads at
// most one delta index page, one full index page and one record page.
func (rd *Reader) Get(ctx context.Context, key []byte) ([]byte, bool, error) {
	if i := topFor(rd.info.Delta, key); i >= 0 {
		es, err := rd.deltaIndex(ctx, rd.info.Delta[i])
		if err != nil {
			return nil, false, err
		}
		j := sort.Search(len(es), func(j int) bool { return bytes.Compare(es[j].Key, key) >= 0 })
		if j < len(es) && bytes.Equal(es[j].Key, key) {
			if es[j].Deleted {
				return nil, false, nil
			}
			rec, err := rd.resolve(ctx, es[j])
			return rec, err == nil, err
		}
	}
	i := topFor(rd.info.Index, key)
	if i < 0 {
		return nil, false, nil
	}
	refs, err := rd.pageIndex(ctx, rd.info.Index[i])
	if err != nil {
		return nil, false, err
	}
	j := sort.Search(len(refs), func(j int) bool { return bytes.Compare(refs[j].First, key) > 0 }) - 1
	if j < 0 {
		return nil, false, nil
	}
	p, err := rd.page(ctx, refs[j].Page)
	if err != nil {
		return nil, false, err
	}
	k, ok := p.Find(key)
	if !ok {
		return nil, false, nil
	}
	return p.recs[k], true, nil
}
