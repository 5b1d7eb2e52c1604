package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The append-only mode is the object "appendonly" (envelope kind "CAPO",
// data key, JSON payload {"since": time}), docs/FORMAT.md section 19.8.
// While it exists, forget, prune and the weakening of retention floors
// refuse. custodia offers no way to leave the mode: that takes deleting
// the object with the storage's own credentials.
const (
	appendOnlyName  = "appendonly"
	magicAppendOnly = "CAPO"
)

// ErrAppendOnly means the repository is in append-only mode and the
// operation would delete something.
var ErrAppendOnly = errors.New("the repository is append-only")

// AppendOnly reports whether the repository is in append-only mode. An
// error reading the mode is returned as such; callers that delete treat
// it as "yes".
func (r *Repository) AppendOnly(ctx context.Context) (bool, error) {
	return anyObject(ctx, r.store, appendOnlyName)
}

// SetAppendOnly puts the repository in append-only mode for good (see
// AppendOnly). Setting it again is a no-op. The audit log records it (op
// "retention append-only").
func (r *Repository) SetAppendOnly(ctx context.Context) error {
	return r.audit(ctx, "retention append-only", nil, r.setAppendOnly(ctx))
}

func (r *Repository) setAppendOnly(ctx context.Context) error {
	on, err := r.AppendOnly(ctx)
	if err != nil {
		return err
	}
	if on {
		return nil
	}
	payload, err := json.Marshal(map[string]time.Time{"since": time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		return err
	}
	if err := r.store.Put(ctx, appendOnlyName, sealEnvelope(magicAppendOnly, r.dataKey, appendOnlyName, payload)); err != nil {
		return fmt.Errorf("write the append-only mark: %w", err)
	}
	return nil
}

// refuseIfAppendOnly fails with ErrAppendOnly, naming what, when the
// repository is append-only, and when its mode cannot be read.
func (r *Repository) refuseIfAppendOnly(ctx context.Context, what string) error {
	on, err := r.AppendOnly(ctx)
	if err != nil {
		return fmt.Errorf("cannot %s: reading the append-only mode: %w", what, err)
	}
	if on {
		return fmt.Errorf("%w: cannot %s", ErrAppendOnly, what)
	}
	return nil
}
