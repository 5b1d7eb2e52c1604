package repo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/custodia-backup/custodia/storage"
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
	if err != nil {
		return nil, warnings, err
	}
	if err := r.keepLocked(ctx, plan, time.Now()); err != nil {
		return nil, warnings, err
	}
	return plan, warnings, nil
}

// Forget removes the snapshots plan removes, oldest first, and returns
// those it removed. Just before removing each one it checks it again
// against the retention floors as they are then, so that a floor set
// meanwhile is never violated: such a snapshot is left and reported by an
// error wrapping ErrFloorHolds at the end; a snapshot whose object is
// locked (object lock) is left too, reported by an error wrapping
// storage.ErrLocked. It refuses in append-only mode.
// It removes only snapshot objects; the data they alone referenced stays
// until Prune.
//
// The audit log records the call (op "forget") with the snapshots it
// removed, also when it fails or is refused; when the entry cannot be
// written, Forget returns that error rather than success.
func (r *Repository) Forget(ctx context.Context, plan *ForgetPlan) ([]*Snapshot, error) {
	removed, err := r.forget(ctx, plan)
	return removed, r.audit(ctx, "forget", forgetAuditArgs(removed), err)
}

// maxAuditIDs bounds the IDs one audit entry lists; beyond it the entry
// gives their number only.
const maxAuditIDs = 1000

// forgetAuditArgs lists the removed snapshots' IDs for the audit log.
func forgetAuditArgs(removed []*Snapshot) map[string]string {
	ids := make([]string, 0, min(len(removed), maxAuditIDs))
	for _, s := range removed[:min(len(removed), maxAuditIDs)] {
		ids = append(ids, s.ID.String())
	}
	list := strings.Join(ids, ",")
	if len(removed) > maxAuditIDs {
		list += fmt.Sprintf(",... (%d more)", len(removed)-maxAuditIDs)
	}
	return map[string]string{"removed": strconv.Itoa(len(removed)), "snapshots": list}
}

func (r *Repository) forget(ctx context.Context, plan *ForgetPlan) ([]*Snapshot, error) {
	if err := r.refuseIfAppendOnly(ctx, "forget snapshots"); err != nil {
		return nil, err
	}
	if err := r.refuseUnlockable("forget snapshots"); err != nil {
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
		err := r.store.Delete(ctx, snapshotName(s.ID))
		if errors.Is(err, storage.ErrLocked) {
			if held == nil {
				held = fmt.Errorf("snapshot %s: %w", s.ID.String()[:8], err)
			}
			continue
		}
		if err != nil {
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
