package backup

import (
	"context"
	"iter"
	"runtime"
	"sync"

	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/table"
)

// protectBatch is how many records a protection worker takes at once.
// (Batches of 64 held less in flight but left the cores waiting: a
// 4M-record table took 10 % longer on a quiet machine, for no peak
// memory that showed.)
const protectBatch = 256

type recordBatch struct {
	seq   uint64 // the batch's place in the input, from 0
	prot  *table.Protection
	first uint64 // position of the first record (1-based)
	recs  []classify.Record
	err   error // a read error after recs
}

type protectedBatch struct {
	seq  uint64
	buf  []byte
	ends []int // key end, record end, per record
	err  error
}

// protectAll reads recs on one goroutine, protects them on GOMAXPROCS
// workers, and hands each record's stored key and encoding to add, on the
// calling goroutine, in the order of recs. The protection comes from decide, called with the
// first sample records (held in memory) or, when sample is 0, with none.
// It returns the protection and the number of records read. The first
// error (a read error, a decision error or a *RecordError) stops
// everything.
func protectAll(parent context.Context, recs iter.Seq2[classify.Record, error], sample int, decide func([]classify.Record) (*table.Protection, error), add func(key, enc []byte) error) (*table.Protection, uint64, error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan recordBatch, workers)
	results := make(chan protectedBatch, workers)
	// Batch buffers go back to the workers once add has copied them, and
	// record slices to the reader once a worker is done with them: a few
	// are in use at any time, sized by the records seen. (A sync.Pool
	// lost them at each collection, frequent at GOGC=15, and buffers grown
	// again by append were a tenth of a table backup's allocations.)
	bufs := make(chan protectedBatch, 4*workers)
	recSlices := make(chan []classify.Record, 2*workers)
	var prot *table.Protection // set by the reader before its first batch
	go func() {
		defer close(jobs)
		var (
			held []classify.Record
			next uint64 = 1
			seq  uint64
		)
		send := func(recs []classify.Record, err error) bool {
			b := recordBatch{seq: seq, prot: prot, first: next, recs: recs, err: err}
			next += uint64(len(recs))
			seq++
			select {
			case jobs <- b:
				return true
			case <-ctx.Done():
				return false
			}
		}
		// release decides once the sample is in and sends it in batches.
		release := func() bool {
			p, err := decide(held)
			if err != nil {
				cancel(err)
				return false
			}
			prot = p
			for len(held) > 0 {
				n := min(len(held), protectBatch)
				if !send(held[:n:n], nil) {
					return false
				}
				held = held[n:]
			}
			held = nil
			return true
		}
		decided := false
		if sample <= 0 {
			if decided = release(); !decided {
				return
			}
		}
		var batch []classify.Record
		for rec, err := range recs {
			if err != nil {
				if !decided {
					cancel(err) // nothing was protected yet
					return
				}
				send(batch, err)
				return
			}
			if !decided {
				held = append(held, rec)
				if len(held) < sample {
					continue
				}
				if decided = release(); !decided {
					return
				}
				continue
			}
			batch = append(batch, rec)
			if len(batch) == protectBatch {
				if !send(batch, nil) {
					return
				}
				select {
				case batch = <-recSlices:
				default:
					batch = make([]classify.Record, 0, protectBatch)
				}
			}
		}
		if !decided && !release() {
			return
		}
		if len(batch) > 0 {
			send(batch, nil)
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range jobs {
				var out protectedBatch
				select {
				case out = <-bufs:
				default:
				}
				out.seq, out.buf, out.ends, out.err = b.seq, out.buf[:0], out.ends[:0], nil
				for i, rec := range b.recs {
					start := len(out.buf)
					buf, keyLen, err := b.prot.Append(out.buf, rec)
					if err != nil {
						out.err = &RecordError{Record: b.first + uint64(i), Err: err}
						break
					}
					out.buf = buf
					out.ends = append(out.ends, start+keyLen, len(buf))
				}
				if out.err == nil {
					out.err = b.err
				}
				if cap(b.recs) == protectBatch { // for the reader's next batch
					clear(b.recs)
					select {
					case recSlices <- b.recs[:0]:
					default:
					}
				}
				select {
				case results <- out:
				case <-ctx.Done():
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	// Batches come back in any order: those ahead of the next one in the
	// input wait (at most one per worker and per slot of results).
	var (
		n       uint64
		nextSeq uint64
		ahead   = map[uint64]protectedBatch{}
	)
	for res := range results {
		ahead[res.seq] = res
		for ctx.Err() == nil {
			res, ok := ahead[nextSeq]
			if !ok {
				break
			}
			delete(ahead, nextSeq)
			nextSeq++
			start := 0
			for i := 0; i+1 < len(res.ends); i += 2 {
				n++
				if err := add(res.buf[start:res.ends[i]], res.buf[res.ends[i]:res.ends[i+1]]); err != nil {
					cancel(err)
					break
				}
				start = res.ends[i+1]
			}
			if res.err != nil {
				cancel(res.err)
			}
			select {
			case bufs <- res:
			default:
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	cancel(nil)
	for range results {
	}
	if err := parent.Err(); err != nil {
		return nil, n, err
	}
	if err := context.Cause(ctx); err != context.Canceled {
		return nil, n, err
	}
	return prot, n, nil
}
