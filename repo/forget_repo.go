package repo

import (
	"context"
	"fmt"
	"time"
)

// PlanForget reads the repository's snapshots and retention floors and
// applies opts to them (ApplyForget); opts.Floors is replaced by the
// repository's floors. Snapshots that cannot be read are in no group, so
// they are never removed; they are returned as warnings.
func (r *Repository) PlanForget(ctx context.Context, opts ForgetOptions) (*ForgetPlan, []error, error) {
	if err := opts.Policy.validate(); err != nil {
		return nil, nil, err
	}
	floors, err := r.RetentionFloors(ctx)
	if err != nil {
		return nil, nil, err
	}
	opts.Floors = floors
	var (
		snaps    []*Snapshot
		warnings []error
	)
	for s, err := range r.Snapshots(ctx) {
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			warnings = append(warnings, err)
			continue
		}
		snaps = append(snaps, s)
	}
	plan, err := ApplyForget(snaps, opts)
	return plan, warnings, err
}

// Forget removes the snapshots plan removes, oldest first, and returns
// those it removed. Just before removing each one it checks it again
// against the retention floors as they are then, so that a floor set
// meanwhile is never violated: such a snapshot is left and reported by an
// error wrapping ErrFloorHolds at the end. It refuses in append-only mode.
// It removes only snapshot objects; the data they alone referenced stays
// until Prune.
func (r *Repository) Forget(ctx context.Context, plan *ForgetPlan) ([]*Snapshot, error) {
	if err := r.refuseIfAppendOnly(ctx, "forget snapshots"); err != nil {
		return nil, err
	}
	floors, err := r.RetentionFloors(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var (
		removed []*Snapshot
		held    error
	)
	for _, s := range plan.Remove() {
		if f := floorHolding(floors, s, now); f != nil {
			if held == nil {
				held = fmt.Errorf("%w: snapshot %s (%s)", ErrFloorHolds, s.ID.String()[:8], f.Reason())
			}
			continue
		}
		if err := r.store.Delete(ctx, snapshotName(s.ID)); err != nil {
			return removed, fmt.Errorf("remove snapshot %s: %w", s.ID, err)
		}
		removed = append(removed, s)
	}
	return removed, held
}

// floorHolding returns a floor that holds s at now, or nil.
func floorHolding(floors []RetentionFloor, s *Snapshot, now time.Time) *RetentionFloor {
	for i := range floors {
		if floors[i].Holds(s, now) {
			return &floors[i]
		}
	}
	return nil
}
