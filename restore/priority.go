package restore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"time"

	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/repo"
)

// ErrNoDestination means an Item of All names no destination fitting its
// snapshot: a folder for files, a writer for a stream (or a folder), a
// record consumer for a table.
var ErrNoDestination = errors.New("no destination for the snapshot's kind")

// Item is one snapshot All restores, and where it goes.
type Item struct {
	// Snapshot is what to restore.
	Snapshot *repo.Snapshot
	// Target is the folder a files (or stream) snapshot is restored into,
	// as by Snapshot.
	Target string
	// Stream, if not nil, receives a stream snapshot's content, as by
	// Stream.
	Stream io.Writer
	// Records receives a table snapshot's records, in key order; it
	// returns when it has consumed them (the first error of the sequence
	// ends it and should be returned).
	Records func(iter.Seq2[classify.Record, error]) error
	// Priority overrides the snapshot's recovery priority when not 0.
	Priority int
}

// Available reports that one item of All has been restored, or failed.
type Available struct {
	// Index is the item's place in the slice given to All.
	Index int
	// Snapshot is the item's snapshot.
	Snapshot *repo.Snapshot
	// Priority is the priority it was restored by (1 first).
	Priority int
	// Files and Bytes count what a files or stream restore wrote;
	// Records what a table restore handed over.
	Files, Bytes, Records uint64
	// Duration is the time this item took; After the time from the start
	// of All until it was available (or failed).
	Duration, After time.Duration
	// At is when it became available.
	At time.Time
}

// PriorityOrder returns the indexes of items in the order All restores
// them: by ascending priority (the item's, else its snapshot's), in the
// given order among equals.
func PriorityOrder(items []Item) []int {
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return items[a].priority() - items[b].priority() })
	return order
}

func (it *Item) priority() int {
	if it.Priority >= repo.PriorityCritical && it.Priority <= repo.PriorityLow {
		return it.Priority
	}
	return it.Snapshot.RecoveryPriority()
}

// All restores the items one after the other in PriorityOrder, the most
// critical first, and yields each as it becomes available, with the error
// that stopped it if any (the next items are still restored unless the
// loop stops). opts apply to the files restores.
func All(ctx context.Context, r *repo.Repository, items []Item, opts ...Option) iter.Seq2[*Available, error] {
	return func(yield func(*Available, error) bool) {
		start := time.Now()
		for _, i := range PriorityOrder(items) {
			if ctx.Err() != nil {
				yield(nil, context.Cause(ctx))
				return
			}
			it := &items[i]
			t0 := time.Now()
			a := &Available{Index: i, Snapshot: it.Snapshot, Priority: it.priority()}
			err := restoreItem(ctx, r, it, a, opts)
			a.At = time.Now()
			a.Duration, a.After = a.At.Sub(t0), a.At.Sub(start)
			if err != nil {
				err = fmt.Errorf("snapshot %s: %w", it.Snapshot.ID.String()[:8], err)
			}
			if !yield(a, err) {
				return
			}
		}
	}
}

func restoreItem(ctx context.Context, r *repo.Repository, it *Item, a *Available, opts []Option) error {
	s := it.Snapshot
	switch {
	case s.Kind == repo.KindTable && it.Records != nil:
		recs := Table(ctx, r, s)
		return it.Records(func(yield func(classify.Record, error) bool) {
			for rec, err := range recs {
				if err == nil {
					a.Records++
				}
				if !yield(rec, err) {
					return
				}
			}
		})
	case s.Kind == repo.KindStream && it.Stream != nil:
		n, err := Stream(ctx, r, s, it.Stream)
		a.Files, a.Bytes = 1, uint64(n)
		return err
	case s.Kind != repo.KindTable && it.Target != "":
		res, err := Snapshot(ctx, r, s, it.Target, opts...)
		if res != nil {
			a.Files, a.Bytes = res.Files, res.Bytes
		}
		return err
	}
	return fmt.Errorf("%w (%s)", ErrNoDestination, s.Kind)
}
