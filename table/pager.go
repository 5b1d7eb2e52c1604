package table

import (
	"context"
	"encoding/binary"

	"github.com/custodia-backup/custodia/repo"
)

// ID names blobs: a keyed hash of their plaintext.
type ID = repo.ID

// Page cutting: a page ends after an entry once it holds at least minPage
// bytes and a keyed hash of the entry's key has its low six bits zero, or
// once it holds maxPage bytes. Cuts depend on keys, not on offsets, so a
// changed record changes only its own page and unchanged pages keep their
// IDs (and deduplicate) from one full snapshot to the next.
const (
	minPage  = 16 << 10
	maxPage  = 128 << 10
	cutMask  = 63
	minIndex = 8 << 10
)

// pager cuts sorted entries into pages and stores each as a data blob.
type pager struct {
	r      *repo.Repository
	s      *saver
	header []byte     // magic (and kind)
	names  *pageNames // the field names of a record page, or nil
	min    int
	ebuf   []byte

	body  []byte
	count uint64
	first []byte

	// cut is called with each stored page: its first key, ID, entry count
	// and plaintext size.
	cut func(first []byte, id ID, count uint64, size int) error

	stored uint64 // all pages' bytes
}

func newPager(r *repo.Repository, s *saver, header []byte, min int, cut func([]byte, ID, uint64, int) error) *pager {
	return &pager{r: r, s: s, header: header, min: min, cut: cut}
}

// newRecordPager returns a pager of version-2 record pages.
func newRecordPager(r *repo.Repository, s *saver, cut func([]byte, ID, uint64, int) error) *pager {
	p := newPager(r, s, []byte(recordPageMagicV2), minPage, cut)
	p.names = newPageNames()
	return p
}

// addRecord adds one record (the encoding of AppendRecord) with its key to
// a record page and returns its position in its page.
func (p *pager) addRecord(ctx context.Context, key, rec []byte) (uint64, error) {
	var err error
	if p.ebuf, err = p.names.appendEntry(p.ebuf[:0], key, rec); err != nil {
		return 0, err
	}
	return p.add(ctx, key, p.ebuf)
}

// add appends one encoded entry (appendEntry writes it to the body) with its
// key, and stores the page when the cutting rule says so. It returns the
// entry's position in its page.
func (p *pager) add(ctx context.Context, key []byte, entry []byte) (uint64, error) {
	if p.count == 0 {
		p.first = append(p.first[:0], key...)
	}
	p.body = append(p.body, entry...)
	pos := p.count
	p.count++
	if len(p.body) >= maxPage || (len(p.body) >= p.min && p.boundary(key)) {
		return pos, p.flush(ctx)
	}
	return pos, nil
}

func (p *pager) boundary(key []byte) bool {
	id := p.r.BlobID(key)
	return id[0]&cutMask == 0
}

// flush stores the current page, if any.
func (p *pager) flush(ctx context.Context) error {
	if p.count == 0 {
		return nil
	}
	names := 0
	if p.names != nil {
		names = binary.MaxVarintLen64 * (1 + len(p.names.list))
		for _, n := range p.names.list {
			names += len(n)
		}
	}
	buf := make([]byte, 0, len(p.header)+names+binary.MaxVarintLen64+len(p.body))
	buf = append(buf, p.header...)
	if p.names != nil {
		buf = p.names.appendHeader(buf)
		p.names.reset()
	}
	buf = binary.AppendUvarint(buf, p.count)
	buf = append(buf, p.body...)
	id := p.r.BlobID(buf)
	if err := p.s.save(id, buf); err != nil {
		return err
	}
	p.stored += uint64(len(buf))
	count, first := p.count, p.first
	p.body, p.count = p.body[:0], 0
	return p.cut(first, id, count, len(buf))
}

// indexWriter builds a two-level index: entries go into index pages, and
// each index page becomes one IndexRef of the top level.
type indexWriter struct {
	p     *pager
	top   []repo.IndexRef
	pages []ID
	ebuf  []byte
}

func newIndexWriter(r *repo.Repository, s *saver, kind byte) *indexWriter {
	w := &indexWriter{}
	w.p = newPager(r, s, appendIndexHeader(nil, kind), minIndex, func(first []byte, id ID, n uint64, _ int) error {
		w.top = append(w.top, repo.IndexRef{First: append([]byte(nil), first...), Blob: id, Entries: n})
		w.pages = append(w.pages, id)
		return nil
	})
	return w
}

func (w *indexWriter) addPageRef(ctx context.Context, ref PageRef) error {
	w.ebuf = appendPageRef(w.ebuf[:0], ref)
	_, err := w.p.add(ctx, ref.First, w.ebuf)
	return err
}

func (w *indexWriter) addDelta(ctx context.Context, e DeltaEntry) error {
	w.ebuf = appendDeltaEntry(w.ebuf[:0], e)
	_, err := w.p.add(ctx, e.Key, w.ebuf)
	return err
}

func (w *indexWriter) finish(ctx context.Context) error { return w.p.flush(ctx) }
