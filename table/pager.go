package table

import (
	"context"
	"encoding/binary"

	"github.com/custodia-backup/custodia/internal/bufpool"
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

// pager cuts sorted entries into pages and hands each to the saver, which
// encodes, names and stores it on a goroutine of its own; the cut
// function sees the stored pages in order.
type pager struct {
	r      *repo.Repository
	s      *saver
	header []byte     // magic (and kind) of an index page
	names  *pageNames // the field names of a record page, or nil
	min    int
	ebuf   []byte

	body   []byte
	sealed []byte // record pages: the bytes of the encrypted values
	count  uint64
	first  []byte

	// cut is called with each stored page, in order: its first key, ID,
	// entry count and plaintext size.
	cut func(first []byte, id ID, count uint64, size int) error

	seq    uint64     // pages handed to the saver
	queue  []*pageJob // handed to the saver, not yet cut, in order
	stored uint64     // all cut pages' bytes
}

// maxQueue is how many pages of one pager may wait for the saver before
// the pager waits for the oldest.
const maxQueue = 8

func newPager(r *repo.Repository, s *saver, header []byte, min int, cut func([]byte, ID, uint64, int) error) *pager {
	return &pager{r: r, s: s, header: header, min: min, cut: cut}
}

// newRecordPager returns a pager of version-3 record pages.
func newRecordPager(r *repo.Repository, s *saver, cut func([]byte, ID, uint64, int) error) *pager {
	p := newPager(r, s, nil, minPage, cut)
	p.names = newPageNames()
	return p
}

// addRecord adds one record (the encoding of AppendRecord) with its key to
// a record page and returns its position in its page; the page is number
// p.seq (0-based) of the pager before the call.
func (p *pager) addRecord(ctx context.Context, key, rec []byte) (uint64, error) {
	var err error
	if p.ebuf, err = p.names.appendEntry(p.ebuf[:0], &p.sealed, key, rec); err != nil {
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
	if size := len(p.body) + len(p.sealed); size >= maxPage || (size >= p.min && p.boundary(key)) {
		return pos, p.flush(ctx)
	}
	return pos, nil
}

func (p *pager) boundary(key []byte) bool {
	id := p.r.BlobID(key)
	return id[0]&cutMask == 0
}

// flush hands the current page, if any, to the saver.
func (p *pager) flush(ctx context.Context) error {
	if p.count == 0 {
		return nil
	}
	j := &pageJob{first: append([]byte(nil), p.first...), count: p.count, done: make(chan struct{})}
	if p.names != nil {
		size := binary.MaxVarintLen64 * (2 + len(p.names.list))
		for _, n := range p.names.list {
			size += len(n)
		}
		text := p.names.appendHeader(bufpool.Get(size + len(p.body))[:0])
		p.names.reset()
		text = binary.AppendUvarint(text, p.count)
		j.text, j.sealed = append(text, p.body...), append(bufpool.Get(len(p.sealed))[:0], p.sealed...)
	} else {
		buf := bufpool.Get(len(p.header) + binary.MaxVarintLen64 + len(p.body))[:0]
		buf = append(buf, p.header...)
		buf = binary.AppendUvarint(buf, p.count)
		j.data = append(buf, p.body...)
	}
	p.body, p.sealed, p.count = p.body[:0], p.sealed[:0], 0
	if err := p.s.save(j); err != nil {
		return err
	}
	p.seq++
	p.queue = append(p.queue, j)
	return p.drain(false)
}

// drain cuts the pages the saver has stored, in order: all of them if all
// is set, else those done so far, waiting only while too many wait.
func (p *pager) drain(all bool) error {
	for len(p.queue) > 0 {
		j := p.queue[0]
		if !all && len(p.queue) <= maxQueue {
			select {
			case <-j.done:
			default:
				return nil
			}
		}
		<-j.done
		if j.err != nil {
			return j.err
		}
		p.queue[0] = nil
		p.queue = p.queue[1:]
		p.stored += uint64(j.size)
		if err := p.cut(j.first, j.id, j.count, j.size); err != nil {
			return err
		}
	}
	return nil
}

// finish stores the current page and waits until every page is stored
// and cut.
func (p *pager) finish(ctx context.Context) error {
	if err := p.flush(ctx); err != nil {
		return err
	}
	return p.drain(true)
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
		w.top = append(w.top, repo.IndexRef{First: first, Blob: id, Entries: n})
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

func (w *indexWriter) finish(ctx context.Context) error { return w.p.finish(ctx) }
