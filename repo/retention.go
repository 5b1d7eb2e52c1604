package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/storage"
)

// A retention floor is a legal minimum kept in the repository: snapshots
// with a tag (or of a table) are kept at least Min after they were taken,
// whatever the keep rules of forget say. Each floor is the sealed object
// "retention/<64 hex>" (envelope kind "CRTN", data key, JSON payload,
// docs/FORMAT.md section 19.7).
const (
	retentionPrefix = "retention/"
	magicRetention  = "CRTN"
	// maxRetentionPayload bounds a decoded floor.
	maxRetentionPayload = 64 << 10
)

// ErrFloorNotFound means no retention floor has the given tag or table.
var ErrFloorNotFound = errors.New("no retention floor for it")

// RetentionFloor keeps the snapshots having Tag (or of Table) for at least
// Min after their time. Exactly one of Tag and Table is set.
type RetentionFloor struct {
	// ID is the floor's object ID (not stored in the JSON).
	ID      ID        `json:"-"`
	Tag     string    `json:"tag,omitempty"`
	Table   string    `json:"table,omitempty"`
	Min     Span      `json:"-"`
	Created time.Time `json:"created"`
}

type retentionWire struct {
	RetentionFloor
	Min string `json:"min"`
}

// Subject returns "tag T" or "table T".
func (f *RetentionFloor) Subject() string {
	if f.Table != "" {
		return "table " + f.Table
	}
	return "tag " + f.Tag
}

// Covers reports whether the floor is about snapshot s (has its tag or is
// of its table), whatever its age.
func (f *RetentionFloor) Covers(s *Snapshot) bool {
	if f.Table != "" {
		return TableOf(s) == f.Table
	}
	return slices.Contains(s.Tags, f.Tag)
}

// Until returns the time until which the floor holds s.
func (f *RetentionFloor) Until(s *Snapshot) time.Time { return f.Min.AddTo(s.Time) }

// Holds reports whether the floor forbids removing s at time now.
func (f *RetentionFloor) Holds(s *Snapshot, now time.Time) bool {
	return f.Covers(s) && f.Until(s).After(now)
}

// Reason says in one phrase why the floor keeps snapshots.
func (f *RetentionFloor) Reason() string {
	return fmt.Sprintf("retention floor: %s kept %s", f.Subject(), f.Min)
}

func (f *RetentionFloor) validate() error {
	if (f.Tag == "") == (f.Table == "") {
		return fmt.Errorf("%w: a retention floor names exactly one tag or one table", ErrBadPolicy)
	}
	if f.Min.IsZero() || f.Min.Years < 0 || f.Min.Months < 0 || f.Min.Days < 0 || f.Min.Hours < 0 {
		return fmt.Errorf("%w: a retention floor needs a positive minimum", ErrBadPolicy)
	}
	if strings.ContainsAny(f.Tag+f.Table, ",\x00\n") {
		return fmt.Errorf("%w: a floor's tag or table cannot contain commas or control characters", ErrBadPolicy)
	}
	return nil
}

func encodeRetentionFloor(f *RetentionFloor) ([]byte, error) {
	return json.Marshal(retentionWire{RetentionFloor: *f, Min: f.Min.String()})
}

func decodeRetentionFloor(id ID, b []byte) (*RetentionFloor, error) {
	var w retentionWire
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("%w: retention floor %s: %v", ErrMalformed, id, err)
	}
	f := w.RetentionFloor
	sp, err := ParseSpan(w.Min)
	if err != nil {
		return nil, fmt.Errorf("%w: retention floor %s: %v", ErrMalformed, id, err)
	}
	f.Min = sp
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("%w: retention floor %s: %v", ErrMalformed, id, err)
	}
	f.ID = id
	return &f, nil
}

func retentionName(id ID) string { return retentionPrefix + id.String() }

// RetentionFloors returns every retention floor of the repository, sorted
// by subject. A floor object that cannot be read is an error: a floor
// must never be ignored.
func (r *Repository) RetentionFloors(ctx context.Context) ([]RetentionFloor, error) {
	var floors []RetentionFloor
	for name, err := range r.store.List(ctx, retentionPrefix) {
		if err != nil {
			return nil, fmt.Errorf("list retention floors: %w", err)
		}
		id, err := chunk.ParseID(strings.TrimPrefix(name, retentionPrefix))
		if err != nil {
			continue
		}
		b, _, err := r.store.Get(ctx, name)
		if errors.Is(err, storage.ErrNotFound) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("read retention floor %s: %w", name, err)
		}
		payload, err := openEnvelope(magicRetention, b, name, r.keyFor(kindRetention), maxRetentionPayload)
		if err != nil {
			return nil, fmt.Errorf("retention floor %s: %w", name, err)
		}
		f, err := decodeRetentionFloor(id, payload)
		if err != nil {
			return nil, err
		}
		floors = append(floors, *f)
	}
	slices.SortFunc(floors, func(a, b RetentionFloor) int {
		if c := strings.Compare(a.Subject(), b.Subject()); c != 0 {
			return c
		}
		return a.Created.Compare(b.Created)
	})
	return floors, nil
}

// FloorChange says what SetRetentionFloor or RemoveRetentionFloor did.
type FloorChange struct {
	// Old are the floors replaced or removed; New is the floor written.
	Old []RetentionFloor
	New *RetentionFloor
	// Weakened is set when a floor was removed or its minimum shortened,
	// which the audit log records as a key holder's action.
	Weakened bool
}

// SetRetentionFloor sets the minimum retention of snapshots with tag (when
// table is "") or of table. An existing floor for the same subject is
// replaced: the new one is written first, then the old one removed, so a
// crash leaves both and the longer one holds. Shortening an existing
// floor is reported as Weakened. It fails in append-only mode when it
// would shorten a floor.
//
// Every change is recorded in the audit log (op "retention set"). A
// weakening is recorded before it takes effect: the old floor is removed
// only once its audit entry is written, and when the entry cannot be
// written the change is undone and reported as an error. A refused
// weakening is recorded too, as failed.
func (r *Repository) SetRetentionFloor(ctx context.Context, tag, table string, min Span) (*FloorChange, error) {
	f := RetentionFloor{Tag: tag, Table: table, Min: min, Created: time.Now().UTC().Truncate(time.Second)}
	if err := f.validate(); err != nil {
		return nil, err
	}
	floors, err := r.RetentionFloors(ctx)
	if err != nil {
		return nil, err
	}
	ch := &FloorChange{}
	for _, o := range floors {
		if o.Subject() == f.Subject() {
			ch.Old = append(ch.Old, o)
			if o.Min.Longer(f.Min, f.Created) {
				ch.Weakened = true
			}
		}
	}
	args := floorAuditArgs(f.Subject(), ch)
	args["min"] = f.Min.String()
	if ch.Weakened {
		if err := r.refuseIfAppendOnly(ctx, "shorten a retention floor"); err != nil {
			return nil, r.audit(ctx, opRetentionSet, args, err)
		}
	}
	id, err := randomID()
	if err != nil {
		return nil, err
	}
	f.ID = id
	payload, err := encodeRetentionFloor(&f)
	if err != nil {
		return nil, err
	}
	name := retentionName(id)
	if err := r.store.Put(ctx, name, sealEnvelope(magicRetention, r.dataKey, name, payload)); err != nil {
		return nil, r.audit(ctx, opRetentionSet, args, fmt.Errorf("write retention floor: %w", err))
	}
	ch.New = &f
	if ch.Weakened {
		// The weakening takes effect when the old floor goes: audit it first.
		if err := r.AppendAudit(ctx, AuditEntry{Op: opRetentionSet, Args: args}); err != nil {
			if derr := r.store.Delete(ctx, name); derr != nil {
				return nil, fmt.Errorf("the floor was not shortened (its audit entry could not be written: %w), and the new floor %s could not be removed: %w", err, id, derr)
			}
			return nil, fmt.Errorf("the floor was not shortened: its audit entry could not be written: %w", err)
		}
	}
	err = r.removeFloors(ctx, ch.Old, "remove the replaced retention floor")
	if ch.Weakened {
		if err != nil {
			_ = r.audit(ctx, opRetentionSet, args, err) // recorded as failed, best effort
		}
		return ch, err
	}
	return ch, r.audit(ctx, opRetentionSet, args, err)
}

// RemoveRetentionFloor removes the floor of tag (when table is "") or of
// table. It fails with ErrFloorNotFound when there is none, and in
// append-only mode. Removing a floor is a weakening: its audit entry (op
// "retention remove") is written before the floor is removed, and without
// it nothing is removed.
func (r *Repository) RemoveRetentionFloor(ctx context.Context, tag, table string) (*FloorChange, error) {
	want := RetentionFloor{Tag: tag, Table: table, Min: Span{Days: 1}}
	if err := want.validate(); err != nil {
		return nil, err
	}
	floors, err := r.RetentionFloors(ctx)
	if err != nil {
		return nil, err
	}
	ch := &FloorChange{Weakened: true}
	for _, o := range floors {
		if o.Subject() == want.Subject() {
			ch.Old = append(ch.Old, o)
		}
	}
	if len(ch.Old) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrFloorNotFound, want.Subject())
	}
	args := floorAuditArgs(want.Subject(), ch)
	if err := r.refuseIfAppendOnly(ctx, "remove a retention floor"); err != nil {
		return nil, r.audit(ctx, opRetentionRemove, args, err)
	}
	if err := r.AppendAudit(ctx, AuditEntry{Op: opRetentionRemove, Args: args}); err != nil {
		return nil, fmt.Errorf("the floor was not removed: its audit entry could not be written: %w", err)
	}
	if err := r.removeFloors(ctx, ch.Old, "remove retention floor"); err != nil {
		_ = r.audit(ctx, opRetentionRemove, args, err) // recorded as failed, best effort
		return ch, err
	}
	return ch, nil
}

// The audit log's operations for retention floors.
const (
	opRetentionSet    = "retention set"
	opRetentionRemove = "retention remove"
)

// floorAuditArgs are the audit arguments of a change to subject's floor:
// the subject, the minimums it replaces ("was"), and whether it weakens.
func floorAuditArgs(subject string, ch *FloorChange) map[string]string {
	args := map[string]string{"subject": subject, "weakened": strconv.FormatBool(ch.Weakened)}
	if len(ch.Old) > 0 {
		was := make([]string, len(ch.Old))
		for i, o := range ch.Old {
			was[i] = o.Min.String()
		}
		args["was"] = strings.Join(was, ",")
	}
	return args
}

// removeFloors deletes the floors fs.
func (r *Repository) removeFloors(ctx context.Context, fs []RetentionFloor, what string) error {
	for _, o := range fs {
		if err := r.store.Delete(ctx, retentionName(o.ID)); err != nil {
			return fmt.Errorf("%s %s: %w", what, o.ID, err)
		}
	}
	return nil
}

// ErrFloorHolds means a retention floor forbids removing a snapshot.
var ErrFloorHolds = errors.New("a retention floor holds the snapshot")
