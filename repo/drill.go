package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/storage"
)

// A drill record is the sealed summary of one restore drill, kept so that
// later drills can show the history of recovery times: the object
// "drills/<64 hex>" (envelope kind "CDRL", data key, JSON payload,
// docs/FORMAT.md section 26).
const (
	drillPrefix = "drills/"
	magicDrill  = "CDRL"
	// maxDrillPayload bounds a decoded drill record.
	maxDrillPayload = 256 << 10
	// maxDrillItems bounds the items named in one record.
	maxDrillItems = 1024
)

// DrillRecord summarises one restore drill.
type DrillRecord struct {
	// ID is the record's object ID (not stored in the JSON).
	ID ID `json:"-"`
	// Time is when the drill started; Host where it ran.
	Time time.Time `json:"time"`
	Host string    `json:"host,omitempty"`
	// Duration is the time to restore and check every item; RTO the
	// target it was measured against (0: none).
	Duration time.Duration `json:"duration_ns"`
	RTO      time.Duration `json:"rto_ns,omitempty"`
	// Passed is true when every check passed; WithinRTO when Duration
	// did not exceed a set RTO.
	Passed    bool `json:"passed"`
	WithinRTO bool `json:"within_rto"`
	// Items, Bytes and Records count what was restored.
	Items   int    `json:"items"`
	Bytes   uint64 `json:"bytes"`
	Records uint64 `json:"records,omitempty"`
	// Failed names the items whose checks failed.
	Failed []string `json:"failed,omitempty"`
}

func decodeDrill(id ID, b []byte) (*DrillRecord, error) {
	var d DrillRecord
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%w: drill record %s: %v", ErrMalformed, id, err)
	}
	if d.Duration < 0 || d.RTO < 0 || d.Items < 0 || len(d.Failed) > maxDrillItems {
		return nil, fmt.Errorf("%w: drill record %s: out of range", ErrMalformed, id)
	}
	d.ID = id
	return &d, nil
}

func drillName(id ID) string { return drillPrefix + id.String() }

// SaveDrill stores the summary of a drill and returns its ID.
func (r *Repository) SaveDrill(ctx context.Context, d *DrillRecord) (ID, error) {
	if err := r.readable(); err != nil {
		return ID{}, err
	}
	if len(d.Failed) > maxDrillItems {
		d.Failed = d.Failed[:maxDrillItems]
	}
	payload, err := json.Marshal(d)
	if err != nil {
		return ID{}, err
	}
	id, err := randomID()
	if err != nil {
		return ID{}, err
	}
	name := drillName(id)
	if err := r.store.Put(ctx, name, sealEnvelope(magicDrill, r.dataKey, name, payload)); err != nil {
		return ID{}, fmt.Errorf("write drill record: %w", err)
	}
	d.ID = id
	return id, nil
}

// Drills returns the records of earlier drills, oldest first. A record
// that cannot be read is skipped and reported in the error slice; the
// history is informative, never a reason to fail.
func (r *Repository) Drills(ctx context.Context) ([]DrillRecord, []error, error) {
	if err := r.readable(); err != nil {
		return nil, nil, err
	}
	var out []DrillRecord
	var bad []error
	for name, err := range r.store.List(ctx, drillPrefix) {
		if err != nil {
			return nil, nil, fmt.Errorf("list drill records: %w", err)
		}
		id, err := chunk.ParseID(strings.TrimPrefix(name, drillPrefix))
		if err != nil {
			continue
		}
		b, _, err := r.store.Get(ctx, name)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err == nil {
			var payload []byte
			payload, err = openEnvelope(magicDrill, b, name, r.keyFor(kindDrill), maxDrillPayload)
			if err == nil {
				var d *DrillRecord
				if d, err = decodeDrill(id, payload); err == nil {
					out = append(out, *d)
					continue
				}
			}
		}
		bad = append(bad, fmt.Errorf("drill record %s: %w", name, err))
	}
	slices.SortFunc(out, func(a, b DrillRecord) int { return a.Time.Compare(b.Time) })
	return out, bad, nil
}
