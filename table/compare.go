package table

import (
	"bytes"
	"context"
	"fmt"
	"iter"

	"github.com/custodia-backup/custodia/repo"
)

// Compare merges a newer and an older sorted stream of records and yields
// the changes that turn the older into the newer: new and changed records,
// and deleted keys. It counts them in st. A key repeated in newer is an
// error wrapping ErrDuplicateKey.
func Compare(newer, older iter.Seq2[Entry, error], st *repo.TableChanges) iter.Seq2[Change, error] {
	return func(yield func(Change, error) bool) {
		next, stop := iter.Pull2(older)
		defer stop()
		o, oerr, ook := next()
		var prev []byte
		for n, err := range newer {
			if err != nil {
				yield(Change{}, err)
				return
			}
			if prev != nil && bytes.Compare(prev, n.Key) >= 0 {
				if bytes.Equal(prev, n.Key) {
					yield(Change{}, fmt.Errorf("%w: %s", ErrDuplicateKey, KeyString(n.Key)))
				} else {
					yield(Change{}, fmt.Errorf("table: records out of key order at %s", KeyString(n.Key)))
				}
				return
			}
			prev = append(prev[:0], n.Key...)
			for ; ook && oerr == nil && bytes.Compare(o.Key, n.Key) < 0; o, oerr, ook = next() {
				st.Deleted++
				if !yield(Change{Key: o.Key, Deleted: true}, nil) {
					return
				}
			}
			if oerr != nil {
				yield(Change{}, oerr)
				return
			}
			if ook && bytes.Equal(o.Key, n.Key) {
				same := bytes.Equal(o.Record, n.Record)
				o, oerr, ook = next()
				if same {
					st.Unchanged++
					continue
				}
				st.Changed++
			} else {
				st.Added++
			}
			if !yield(Change{Key: n.Key, Record: n.Record}, nil) {
				return
			}
		}
		for ; ook && oerr == nil; o, oerr, ook = next() {
			st.Deleted++
			if !yield(Change{Key: o.Key, Deleted: true}, nil) {
				return
			}
		}
		if oerr != nil {
			yield(Change{}, oerr)
		}
	}
}

// Upserts yields the changes of newer (sorted: only the changed rows of a
// source, and deleted keys as entries with an empty Record) against rd's
// records: each key is looked up, so the cost grows with the changes, not
// with the table. A row equal to rd's is not a change, and deleting a key
// rd does not hold is nothing.
func Upserts(ctx context.Context, rd *Reader, newer iter.Seq2[Entry, error], st *repo.TableChanges) iter.Seq2[Change, error] {
	return func(yield func(Change, error) bool) {
		var prev []byte
		for n, err := range newer {
			if err != nil {
				yield(Change{}, err)
				return
			}
			if prev != nil && bytes.Equal(prev, n.Key) {
				yield(Change{}, fmt.Errorf("%w: %s", ErrDuplicateKey, KeyString(n.Key)))
				return
			}
			prev = append(prev[:0], n.Key...)
			old, ok, err := rd.Get(ctx, n.Key)
			if err != nil {
				yield(Change{}, err)
				return
			}
			switch {
			case len(n.Record) == 0 && ok:
				st.Deleted++
				if !yield(Change{Key: n.Key, Deleted: true}, nil) {
					return
				}
				continue
			case len(n.Record) == 0:
				continue
			case ok && bytes.Equal(old, n.Record):
				st.Unchanged++
				continue
			case ok:
				st.Changed++
			default:
				st.Added++
			}
			if !yield(Change{Key: n.Key, Record: n.Record}, nil) {
				return
			}
		}
	}
}
