package repo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/custodia-backup/custodia/storage"
)

// DefaultPruneMargin is the wait between the two phases of a prune: it
// must be longer than any backup, plus the clock difference between any two
// machines writing to the repository (docs/FORMAT.md §19.6).
const DefaultPruneMargin = 24 * time.Hour

// DefaultPruneMemory bounds the memory prune uses for blob IDs; beyond it
// they are sorted in temporary files.
const DefaultPruneMemory = 256 << 20

// PruneOptions configures Prune.
type PruneOptions struct {
	// Margin is how long after marking a candidate prune waits before
	// deleting it; zero means DefaultPruneMargin. Every backup must
	// finish within Margin/2, less the clock skew between machines.
	Margin time.Duration
	// MaxUnused is the fraction of a pack's bytes that may be unused
	// before the pack is rewritten with only its used blobs; zero means
	// 0.5, and 1 never rewrites.
	MaxUnused float64
	// Memory bounds, in bytes, the memory used for blob IDs; zero means
	// DefaultPruneMemory. The tree blobs' index and one index file at a
	// time are held in memory besides.
	Memory int
	// TempDir is where blob IDs spill; "" means os.TempDir().
	TempDir string
	// DryRun reports what would be done and changes nothing.
	DryRun bool
}

func (o *PruneOptions) defaults() error {
	if o.Margin == 0 {
		o.Margin = DefaultPruneMargin
	}
	if o.Margin < 0 {
		return fmt.Errorf("%w: a negative prune margin", ErrBadPolicy)
	}
	if o.MaxUnused == 0 {
		o.MaxUnused = 0.5
	}
	if o.MaxUnused < 0 || o.MaxUnused > 1 {
		return fmt.Errorf("%w: the unused fraction that rewrites a pack must be in (0, 1], not %g", ErrBadPolicy, o.MaxUnused)
	}
	if o.Memory == 0 {
		o.Memory = DefaultPruneMemory
	}
	if o.Memory < 1<<20 {
		return fmt.Errorf("%w: prune needs at least 1 MiB of memory, not %d bytes", ErrBadPolicy, o.Memory)
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	return nil
}

// PruneReport says what Prune did (or, with DryRun, would do).
type PruneReport struct {
	DryRun    bool `json:"dry_run"`
	Snapshots int  `json:"snapshots"`
	// IndexEntries counts the blob places of the index; UsedBlobs the
	// distinct blobs the snapshots reference.
	IndexEntries int64 `json:"index_entries"`
	UsedBlobs    int64 `json:"used_blobs"`

	// Phase 2: markers at least Margin old.
	MarkersSwept      int `json:"markers_swept"`
	PacksDeleted      int `json:"packs_deleted"`
	PacksRescued      int `json:"packs_rescued"`
	IndexRewritten    int `json:"index_files_rewritten"`
	IncompleteDeleted int `json:"incomplete_deleted"`
	// TemporariesRemoved counts the temporary files of interrupted shard
	// writes, older than the margin, removed from local sites (not
	// counted with DryRun).
	TemporariesRemoved int       `json:"temporaries_removed"`
	BytesFreed         int64     `json:"bytes_freed"`
	MarkersPending     int       `json:"markers_pending"`
	NextSweep          time.Time `json:"next_sweep,omitzero"`

	// Phase 1: candidates marked now, deleted by a prune at least Margin
	// later.
	PacksMarkedUnused int   `json:"packs_marked_unused"`
	PacksRepacked     int   `json:"packs_repacked"`
	BlobsCopied       int64 `json:"blobs_copied"`
	BytesCopied       int64 `json:"bytes_copied"`
	UnindexedMarked   int   `json:"unindexed_packs_marked"`
	IncompleteMarked  int   `json:"incomplete_objects_marked"`
	BytesMarked       int64 `json:"bytes_marked"`

	// Object lock (docs/FORMAT.md §19.8). PacksLocked counts the packs
	// left, neither deleted nor rewritten, because they or an index file
	// naming them are locked; IndexLocked the locked index files that
	// named a pack to delete; LocksExtended the objects whose locks were
	// extended.
	PacksLocked   int `json:"packs_locked,omitempty"`
	IndexLocked   int `json:"index_files_locked,omitempty"`
	LocksExtended int `json:"locks_extended,omitempty"`
}

// ErrPruneUnsafe means prune found the repository in a state where
// deleting could lose data (an unreadable snapshot or index file, a blob a
// snapshot needs missing from the index) and changed nothing.
var ErrPruneUnsafe = errors.New("prune would not be safe")

// Prune deletes what no snapshot references, in two phases separated by
// opts.Margin, so that it is safe while other processes back up into the
// same repository (docs/FORMAT.md §19.6):
//
//   - phase 2 (sweep) acts on the prune markers at least Margin old: it
//     lists the snapshots again, keeps ("rescues") every condemned pack
//     holding a blob that a snapshot now needs and that no other pack
//     holds, rewrites the index files naming the other condemned packs,
//     then deletes those packs, the interrupted writes the marker names,
//     and the marker;
//   - phase 1 (mark) finds the packs no snapshot uses, copies the used
//     blobs of packs more than MaxUnused unused into new packs (with an
//     index file), finds packs no index file names and objects left with
//     fewer than k shards by interrupted writes, and writes a marker
//     naming them all. Writers do not deduplicate against marked packs.
//
// Before both, it removes the temporary files that interrupted shard
// writes left on local sites and that are older than opts.Margin (at
// least a minute; storage.Store.RemoveStaleTemporaries).
//
// Both phases run in every call, so running prune daily deletes each
// day what was marked Margin before. A crash at any point leaves a
// repository that verifies; running Prune again finishes the work. It
// refuses in append-only mode and, changing nothing, when a snapshot or
// index file cannot be read (ErrPruneUnsafe).
//
// Memory is bounded by opts.Memory (blob IDs spill to opts.TempDir) plus
// the index of tree blobs and one index file at a time. Open the
// repository WithoutIndex to keep the whole index out of memory.
//
// Except with DryRun, the audit log records the call (op "prune") with
// what it deleted and marked, also when it fails or is refused; when the
// entry cannot be written, Prune returns that error rather than success.
func (r *Repository) Prune(ctx context.Context, opts PruneOptions) (*PruneReport, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	rep, err := r.prune(ctx, opts)
	if opts.DryRun {
		return rep, err
	}
	actx := ctx
	if rep != nil {
		// It ran: a kill while its entry is written must leave an
		// interrupted prune step, which the next prune finishes.
		actx = journalAudit(ctx)
	}
	return rep, r.audit(actx, "prune", rep.auditArgs(), err)
}

// auditArgs are the audit log's arguments of a prune: what it deleted
// and what it marked for deletion by a later run.
func (rep *PruneReport) auditArgs() map[string]string {
	if rep == nil {
		return nil
	}
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	return map[string]string{
		"packs_deleted":          n(int64(rep.PacksDeleted)),
		"bytes_freed":            n(rep.BytesFreed),
		"index_files_rewritten":  n(int64(rep.IndexRewritten)),
		"incomplete_deleted":     n(int64(rep.IncompleteDeleted)),
		"temporaries_removed":    n(int64(rep.TemporariesRemoved)),
		"markers_swept":          n(int64(rep.MarkersSwept)),
		"packs_marked_unused":    n(int64(rep.PacksMarkedUnused)),
		"packs_repacked":         n(int64(rep.PacksRepacked)),
		"unindexed_packs_marked": n(int64(rep.UnindexedMarked)),
		"incomplete_marked":      n(int64(rep.IncompleteMarked)),
		"bytes_marked":           n(rep.BytesMarked),
		"packs_locked":           n(int64(rep.PacksLocked)),
		"locks_extended":         n(int64(rep.LocksExtended)),
	}
}

func (r *Repository) prune(ctx context.Context, opts PruneOptions) (*PruneReport, error) {
	if err := r.refuseIfAppendOnly(ctx, "prune"); err != nil {
		return nil, err
	}
	if err := r.checkLockPolicy(opts); err != nil {
		return nil, err
	}
	rep := &PruneReport{DryRun: opts.DryRun}
	if !opts.DryRun {
		// First, before this prune writes: a Store's first write starts
		// its own removal of older temporary files (storage package).
		n, err := r.store.RemoveStaleTemporaries(ctx, opts.Margin)
		rep.TemporariesRemoved = n
		if err != nil {
			return rep, fmt.Errorf("prune: %w", err)
		}
	}
	if err := r.Flush(ctx); err != nil {
		return rep, err
	}
	p := &pruner{r: r, opts: opts, rep: rep, now: time.Now()}
	defer p.close()
	if err := p.readMarkers(ctx); err != nil {
		return nil, err
	}
	p.setupLocks()
	// Snapshots before the index: every index file a listed snapshot
	// needs was complete before it, so the index read next has it all.
	if err := p.readSnapshots(ctx); err != nil {
		return nil, err
	}
	if err := p.readIndex(ctx); err != nil {
		return nil, err
	}
	if err := p.walkTrees(ctx); err != nil {
		return nil, err
	}
	if err := p.join(ctx); err != nil {
		return nil, err
	}
	if err := p.sweep(ctx); err != nil {
		return p.rep, err
	}
	if err := p.mark(ctx); err != nil {
		return p.rep, err
	}
	if err := p.extendLocks(ctx); err != nil {
		return p.rep, err
	}
	return p.rep, nil
}

// incomplete reports whether the object name is an interrupted write:
// fewer than k shards, every other one missing (none corrupt).
func (r *Repository) incomplete(ctx context.Context, name string) (bool, error) {
	h, err := r.store.Check(ctx, name, false)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, nil
	}
	return !h.Recoverable() && onlyMissing(h), nil
}

// WithoutIndex opens the repository without loading its index into
// memory, for Prune on a large repository: its memory is then bounded by
// PruneOptions.Memory and the tree blobs. Such a repository can prune,
// forget and list snapshots, but not read or write blobs.
func WithoutIndex() OpenOption {
	return func(o *openOptions) { o.noIndex = true }
}
