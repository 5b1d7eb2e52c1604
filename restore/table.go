package restore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/table"
)

// ErrRecordNotFound means a table snapshot holds no record with a key asked
// for.
var ErrRecordNotFound = errors.New("no record with this key")

// tableProtection returns the stored decisions of a table snapshot with
// the keys its records were protected with (the repository's, or those a
// copy brought along).
func tableProtection(ctx context.Context, r *repo.Repository, s *repo.Snapshot) (*table.Protection, error) {
	if s.Kind != repo.KindTable || s.Table == nil {
		return nil, fmt.Errorf("%w: snapshot %s", table.ErrNotTable, s.ID.String()[:8])
	}
	fk, tk, err := r.SnapshotTableKeys(ctx, s)
	if err != nil {
		return nil, err
	}
	return table.StoredProtection(s.Table, table.Keys{Field: fk[:], Token: tk[:]})
}

// Table yields every record of table snapshot s in key order, as it was
// stored (level 2 masked, dropped fields absent) with encrypted (level 1)
// fields decrypted. Field order is kept.
func Table(ctx context.Context, r *repo.Repository, s *repo.Snapshot) iter.Seq2[classify.Record, error] {
	return func(yield func(classify.Record, error) bool) {
		prot, err := tableProtection(ctx, r, s)
		if err != nil {
			yield(nil, err)
			return
		}
		rd, err := table.NewReader(r, s)
		if err != nil {
			yield(nil, err)
			return
		}
		for e, err := range rd.All(ctx) {
			if err != nil {
				yield(nil, err)
				return
			}
			rec, err := prot.Reveal(e.Key, e.Record)
			if err != nil {
				yield(nil, fmt.Errorf("record %s: %w", table.KeyString(e.Key), err))
				return
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// TableRecords yields the records of table snapshot s with the given keys
// (each the values of the table's key fields, in order), decrypted, in key
// order. Each is found through the snapshot's key index, reading a few
// objects rather than the table. Keys with no record are reported at the
// end by one error wrapping ErrRecordNotFound that names them.
func TableRecords(ctx context.Context, r *repo.Repository, s *repo.Snapshot, keys [][]string) iter.Seq2[classify.Record, error] {
	return func(yield func(classify.Record, error) bool) {
		prot, err := tableProtection(ctx, r, s)
		if err != nil {
			yield(nil, err)
			return
		}
		rd, err := table.NewReader(r, s)
		if err != nil {
			yield(nil, err)
			return
		}
		type want struct {
			stored []byte
			shown  string
		}
		ws := make([]want, 0, len(keys))
		for _, k := range keys {
			stored, err := prot.ProtectKey(k)
			if err != nil {
				yield(nil, err)
				return
			}
			ws = append(ws, want{stored, strings.Join(k, ",")})
		}
		slices.SortFunc(ws, func(a, b want) int { return table.CompareKeys(a.stored, b.stored) })
		ws = slices.CompactFunc(ws, func(a, b want) bool { return table.CompareKeys(a.stored, b.stored) == 0 })
		var missing []string
		for _, w := range ws {
			enc, ok, err := rd.Get(ctx, w.stored)
			if err != nil {
				yield(nil, err)
				return
			}
			if !ok {
				missing = append(missing, w.shown)
				continue
			}
			rec, err := prot.Reveal(w.stored, enc)
			if err != nil {
				yield(nil, fmt.Errorf("record %s: %w", w.shown, err))
				return
			}
			if !yield(rec, nil) {
				return
			}
		}
		if len(missing) > 0 {
			yield(nil, fmt.Errorf("%w: %s", ErrRecordNotFound, strings.Join(missing, "; ")))
		}
	}
}
