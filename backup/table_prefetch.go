package backup

import (
	"iter"

	"github.com/custodia-backup/custodia/internal/bufpool"
	"github.com/custodia-backup/custodia/table"
)

// prefetch runs entries on a goroutine of its own, which copies them into
// batches of streamBatch bytes (at most four batches wait), so that what
// produces the entries (the external sort's merge) overlaps with what
// takes them (building pages). Each entry is valid until the next one is
// asked for.
func prefetch(entries iter.Seq2[table.Entry, error]) iter.Seq2[table.Entry, error] {
	return func(yield func(table.Entry, error) bool) {
		ch := make(chan streamBatchOf, 4)
		stop := make(chan struct{})
		var err error // set before ch is closed
		go func() {
			defer close(ch)
			var b streamBatchOf
			send := func() bool {
				select {
				case ch <- b:
					b = streamBatchOf{}
					return true
				case <-stop:
					bufpool.Put(b.buf)
					return false
				}
			}
			for e, e2 := range entries {
				if e2 != nil {
					err = e2
					break
				}
				n := len(e.Key) + len(e.Record)
				if len(b.buf)+n > cap(b.buf) {
					if len(b.entries) > 0 && !send() {
						return
					}
					bufpool.Put(b.buf)
					b.buf = bufpool.Get(max(streamBatch, n))[:0]
				}
				start, mid := len(b.buf), len(b.buf)+len(e.Key)
				b.buf = append(append(b.buf, e.Key...), e.Record...)
				b.entries = append(b.entries, table.Entry{Key: b.buf[start:mid:mid], Record: b.buf[mid:len(b.buf):len(b.buf)]})
			}
			if len(b.entries) > 0 {
				send()
			} else {
				bufpool.Put(b.buf)
			}
		}()
		defer func() {
			close(stop)
			for b := range ch {
				bufpool.Put(b.buf)
			}
		}()
		for b := range ch {
			for _, e := range b.entries {
				if !yield(e, nil) {
					bufpool.Put(b.buf)
					return
				}
			}
			bufpool.Put(b.buf)
		}
		if err != nil {
			yield(table.Entry{}, err)
		}
	}
}
