package backup

import (
	"bytes"
	"context"
	"errors"
	"iter"

	"github.com/custodia-backup/custodia/internal/bufpool"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/table"
)

// streamBatch is how many bytes of protected records go to the page writer
// at once.
const streamBatch = 64 << 10

// streamBatchOf is a batch of entries and the buffer they point into,
// which goes back to the pool once the page writer has taken them.
type streamBatchOf struct {
	entries []table.Entry
	buf     []byte
}

// errStreamStopped ends the page writer of a stream that is given up.
var errStreamStopped = errors.New("table stream stopped")

// streamWriter writes a full snapshot's pages while the records are still
// being read, as long as they arrive in key order (exports and queries
// ordered by key mostly do): no sort, no run files, and parsing and
// protection overlap with building, compressing and sealing pages.
//
// At the first record out of order it falls back: the pages written so
// far are finished as a layout of their own (the prefix), the rest goes
// through the external sort, and the snapshot is written from the prefix,
// read back, merged with the sorted rest. Pages are cut by key, so the
// prefix's pages are mostly stored again unchanged and deduplicate.
type streamWriter struct {
	ctx  context.Context
	r    *repo.Repository
	ch   chan streamBatchOf
	done chan struct{}
	// free holds the entry slices the page writer is done with, for the
	// next batches: a slice grown by append for each batch was about a
	// tenth of a table backup's allocations, garbage that a collection
	// running meanwhile counts as live.
	free chan []table.Entry
	lay  *table.Layout // set by the writer before done is closed
	err  error

	batch  []table.Entry
	buf    []byte
	prev   []byte
	closed bool
	stop   bool // set before ch is closed to give up

	// prefix is the layout of the pages written before the records came
	// out of order; nil while the stream goes on.
	prefix *table.Layout
}

func startStream(ctx context.Context, r *repo.Repository) *streamWriter {
	const queued = 4
	s := &streamWriter{ctx: ctx, r: r, ch: make(chan streamBatchOf, queued), done: make(chan struct{}), free: make(chan []table.Entry, queued+2)}
	go func() {
		defer close(s.done)
		s.lay, s.err = table.WriteFull(ctx, r, func(yield func(table.Entry, error) bool) {
			for b := range s.ch {
				for _, e := range b.entries {
					if !yield(e, nil) {
						return
					}
				}
				// The writer copies what it keeps of an entry.
				bufpool.Put(b.buf)
				clear(b.entries) // no hold on the buffer just given back
				select {
				case s.free <- b.entries[:0]:
				default:
				}
			}
			if s.stop {
				yield(table.Entry{}, errStreamStopped)
			}
		})
	}()
	return s
}

// streaming reports whether records still go to the stream.
func (s *streamWriter) streaming() bool { return s != nil && s.prefix == nil && !s.closed }

// add passes one record to the page writer; it returns false, with the
// stream finished as the prefix, if key comes before the previous key.
func (s *streamWriter) add(key, rec []byte) (bool, error) {
	if s.prev != nil && bytes.Compare(key, s.prev) < 0 {
		lay, err := s.finish()
		if err != nil {
			return false, err
		}
		s.prefix = lay
		// The prefix's packs are stored now (mergeWrite reads them back),
		// so that the pack buffers they took are not held while the rest
		// fills the sort: Flush lets them go.
		if err := s.r.Flush(s.ctx); err != nil {
			return false, err
		}
		return false, nil
	}
	s.prev = append(s.prev[:0], key...)
	if len(s.buf)+len(key)+len(rec) > cap(s.buf) {
		if err := s.send(); err != nil {
			return false, err
		}
		s.buf = bufpool.Get(max(streamBatch, len(key)+len(rec)))[:0]
	}
	start := len(s.buf)
	s.buf = append(append(s.buf, key...), rec...)
	if s.batch == nil {
		select {
		case s.batch = <-s.free:
		default:
		}
	}
	s.batch = append(s.batch, table.Entry{Key: s.buf[start : start+len(key) : start+len(key)], Record: s.buf[start+len(key):]})
	return true, nil
}

// send hands the batch to the page writer.
func (s *streamWriter) send() error {
	if len(s.batch) == 0 {
		return nil
	}
	select {
	case s.ch <- streamBatchOf{s.batch, s.buf}:
		s.batch, s.buf = nil, nil
		return nil
	case <-s.done:
		// The writer stops early only on an error.
		return s.err
	}
}

// finish writes the rest and returns the layout of every page written.
func (s *streamWriter) finish() (*table.Layout, error) {
	err := s.send()
	s.closed = true
	close(s.ch)
	<-s.done
	if err != nil {
		return nil, err
	}
	return s.lay, s.err
}

// abort gives up a stream still going: its pages stay unreferenced.
func (s *streamWriter) abort() {
	if s == nil || s.closed {
		return
	}
	s.closed, s.stop = true, true
	close(s.ch)
	<-s.done
}

// mergeWrite writes the full snapshot of the prefix's records merged with
// rest, the records after the stream fell back, sorted.
func (s *streamWriter) mergeWrite(ctx context.Context, r *repo.Repository, rest iter.Seq2[table.Entry, error]) (*table.Layout, error) {
	if len(s.prefix.Index) == 0 {
		return table.WriteFull(ctx, r, rest)
	}
	// The prefix's pages are read back: they must be in the index first.
	if err := r.Flush(ctx); err != nil {
		return nil, err
	}
	rd, err := table.NewReader(r, &repo.Snapshot{Kind: repo.KindTable, Table: &repo.TableInfo{Index: s.prefix.Index}})
	if err != nil {
		return nil, err
	}
	return table.WriteFull(ctx, r, mergeEntries(rd.Full(ctx), rest))
}

// mergeEntries merges two sequences of entries in key order; equal keys
// are both yielded, a's first (the writer reports them as duplicates).
// Only a, the prefix's few pages, is pulled entry by entry; b, most of the
// table, is ranged over, without a coroutine switch per entry.
func mergeEntries(a, b iter.Seq2[table.Entry, error]) iter.Seq2[table.Entry, error] {
	return func(yield func(table.Entry, error) bool) {
		nextA, stopA := iter.Pull2(a)
		defer stopA()
		ea, erra, okA := nextA()
		// takeA yields the entries of a up to key (all with key nil); it
		// returns false to stop.
		takeA := func(key []byte) bool {
			for okA && (erra != nil || key == nil || bytes.Compare(ea.Key, key) <= 0) {
				if erra != nil {
					yield(table.Entry{}, erra)
					return false
				}
				if !yield(ea, nil) {
					return false
				}
				ea, erra, okA = nextA()
			}
			return true
		}
		for eb, errb := range b {
			if errb != nil {
				yield(table.Entry{}, errb)
				return
			}
			if !takeA(eb.Key) || !yield(eb, nil) {
				return
			}
		}
		takeA(nil)
	}
}
