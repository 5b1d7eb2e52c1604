package restore

import (
	"bytes"
	"context"
	"fmt"
	"iter"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/table"
)

// Record changes between two snapshots of a table.
const (
	RecordAdded   = "added"
	RecordRemoved = "removed"
	RecordChanged = "changed"
)

// RecordDiff is one record that differs between two snapshots of a table:
// its key (as stored: a tokenized key field shows its token), whether it
// was added, removed or changed, and for a change which fields differ. It
// never holds a field's value.
type RecordDiff struct {
	Key    []string `json:"key"`
	Change string   `json:"change"`
	Fields []string `json:"fields,omitempty"`
}

// DiffTable yields the records that differ between table snapshots a (the
// older) and b, in key order. It compares the stored (protected) records,
// so a change hidden by a mask (two values with the same masked form) does
// not show. Memory does not grow with the table.
func DiffTable(ctx context.Context, r *repo.Repository, a, b *repo.Snapshot) iter.Seq2[RecordDiff, error] {
	return func(yield func(RecordDiff, error) bool) {
		ra, err := table.NewReader(r, a)
		if err != nil {
			yield(RecordDiff{}, err)
			return
		}
		rb, err := table.NewReader(r, b)
		if err != nil {
			yield(RecordDiff{}, err)
			return
		}
		if ra.Info().Name != rb.Info().Name {
			yield(RecordDiff{}, fmt.Errorf("%w: snapshots of tables %q and %q", table.ErrNotTable, ra.Info().Name, rb.Info().Name))
			return
		}
		next, stop := iter.Pull2(ra.All(ctx))
		defer stop()
		ea, aerr, aok := next()
		emit := func(key []byte, change string, fields []string) bool {
			vals, err := table.KeyValues(key)
			if err != nil {
				return yield(RecordDiff{}, err)
			}
			return yield(RecordDiff{Key: vals, Change: change, Fields: fields}, nil)
		}
		for eb, err := range rb.All(ctx) {
			if err != nil {
				yield(RecordDiff{}, err)
				return
			}
			for ; aok && aerr == nil && bytes.Compare(ea.Key, eb.Key) < 0; ea, aerr, aok = next() {
				if !emit(ea.Key, RecordRemoved, nil) {
					return
				}
			}
			if aerr != nil {
				yield(RecordDiff{}, aerr)
				return
			}
			if aok && bytes.Equal(ea.Key, eb.Key) {
				if !bytes.Equal(ea.Record, eb.Record) {
					fields, err := table.ChangedFields(ea.Record, eb.Record)
					if err != nil {
						yield(RecordDiff{}, err)
						return
					}
					if !emit(eb.Key, RecordChanged, fields) {
						return
					}
				}
				ea, aerr, aok = next()
				continue
			}
			if !emit(eb.Key, RecordAdded, nil) {
				return
			}
		}
		for ; aok && aerr == nil; ea, aerr, aok = next() {
			if !emit(ea.Key, RecordRemoved, nil) {
				return
			}
		}
		if aerr != nil {
			yield(RecordDiff{}, aerr)
		}
	}
}
