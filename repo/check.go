package repo

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/storage"
)

// CheckOptions selects how deep Check looks.
type CheckOptions struct {
	// ReadData downloads every pack, verifies every shard checksum, opens
	// every blob and compares its keyed hash with its ID.
	ReadData bool
	// ReadDataFraction, in (0,1], reads only a random subset of the packs
	// (ReadData is implied): ceil(fraction × packs) of them, so at least one
	// pack of a non-empty repository. 0 means all packs when ReadData is
	// set. CheckReport.PacksRead says how many were read.
	ReadDataFraction float64
	// Repair rewrites damaged or missing shards of readable objects.
	Repair bool
}

// Severity of a check finding.
type Severity int

// Severities.
const (
	// Damaged means redundancy was lost but the data is still readable.
	Damaged Severity = iota + 1
	// Lost means data can no longer be read.
	Lost
)

// String returns "damaged" or "lost".
func (s Severity) String() string {
	if s == Lost {
		return "lost"
	}
	return "damaged"
}

// Finding is one problem found by Check.
type Finding struct {
	Severity Severity
	// Object is the storage object concerned, if any.
	Object string
	// Message describes the problem in one line.
	Message string
	// Repaired is set when Repair restored full redundancy.
	Repaired bool
}

// String returns the finding as one line.
func (f Finding) String() string {
	s := f.Severity.String() + ": " + f.Message
	if f.Repaired {
		s += " (repaired)"
	}
	return s
}

// CheckReport is what Check found.
type CheckReport struct {
	Snapshots    int
	Trees        int
	DataBlobs    int
	Packs        int
	PacksRead    int
	BlobsRead    int
	BytesRead    int64
	Unreferenced int
	// Incomplete lists snapshot, index and prune-marker objects left with
	// fewer than k shards, every other one missing, by an interrupted
	// write, and objects with missing shards that an interrupted prune
	// was writing or deleting (its journal names them). Nothing
	// references them, so they are not findings; prune finishes them.
	Incomplete []string
	Findings   []Finding
}

// Lost reports whether any data is no longer readable.
func (c *CheckReport) Lost() bool {
	return slices.ContainsFunc(c.Findings, func(f Finding) bool { return f.Severity == Lost })
}

// Damaged reports whether anything was found at all.
func (c *CheckReport) Damaged() bool { return len(c.Findings) > 0 }

type checker struct {
	r    *Repository
	opts CheckOptions
	mu   sync.Mutex
	rep  CheckReport
	// walkSpills counts the run files the tree walk's sorters wrote
	// (tests).
	walkSpills int
}

func (c *checker) add(f Finding) {
	c.mu.Lock()
	c.rep.Findings = append(c.rep.Findings, f)
	c.mu.Unlock()
}

// Check verifies the repository: every snapshot loads, every tree it
// reaches loads, every blob they name is indexed, every shard of every
// object exists; with ReadData it also downloads packs and authenticates
// and re-hashes every blob. It returns an error only when the check itself
// could not run; problems are findings in the report.
func (r *Repository) Check(ctx context.Context, opts CheckOptions) (*CheckReport, error) {
	if opts.ReadDataFraction > 0 {
		opts.ReadData = true
	}
	if err := r.readable(); err != nil {
		return nil, err
	}
	c := &checker{r: r, opts: opts}
	if err := r.Flush(ctx); err != nil {
		return nil, err
	}
	// The packs are read while the metadata objects are checked and then
	// the trees walked: the walk is serial, the metadata objects are many
	// small reads, and the pack checks leave the cores idle at times
	// (reading files, waiting on sites). They share nothing but the
	// findings and the read-only index; the walk needs the metadata
	// check's list of interrupted snapshot writes.
	var metaErr, snapErr error
	var walk sync.WaitGroup
	both, cancel := context.WithCancel(ctx) // either failing stops the other
	defer cancel()
	walk.Go(func() {
		if metaErr = c.checkMetadataObjects(both); metaErr != nil {
			cancel()
			return
		}
		if snapErr = c.checkSnapshots(both); snapErr != nil {
			cancel()
		}
	})
	packErr := c.checkPacks(both)
	if packErr != nil {
		cancel()
	}
	walk.Wait()
	// The root cause, not the cancellation it caused in the other.
	for _, err := range []error{metaErr, packErr, snapErr} {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	if err := cmp.Or(metaErr, packErr, snapErr); err != nil {
		return nil, err
	}
	slices.Sort(c.rep.Incomplete)
	slices.SortStableFunc(c.rep.Findings, func(a, b Finding) int { return strings.Compare(a.Object, b.Object) })
	return &c.rep, nil
}

// onlyMissing reports whether every bad shard of h is missing (none
// corrupt or unreadable), as after a write interrupted by a crash.
func onlyMissing(h storage.Health) bool {
	for _, p := range h.Bad {
		if !errors.Is(p.Err, storage.ErrShardMissing) {
			return false
		}
	}
	return true
}

// missingOrUnreachable is onlyMissing that also counts shards on a site
// that cannot be reached: while it is down, an object with too few shards
// elsewhere and none corrupt cannot be told from a write that the same
// outage cut short.
func missingOrUnreachable(h storage.Health) bool {
	for _, p := range h.Bad {
		if !errors.Is(p.Err, storage.ErrShardMissing) && !errors.Is(p.Err, storage.ErrSiteUnreachable) {
			return false
		}
	}
	return true
}

// health turns a storage health into findings, repairing when asked.
func (c *checker) health(ctx context.Context, name string, h storage.Health) {
	if h.OK() {
		return
	}
	repaired := false
	if c.opts.Repair {
		// Repair reports the health found before it rewrote the bad shards.
		if _, err := c.r.store.Repair(ctx, name); err == nil {
			repaired = true
		}
	}
	for _, p := range h.Bad {
		c.add(Finding{Severity: Damaged, Object: name, Message: p.String(), Repaired: repaired})
	}
}

func (c *checker) checkMetadataObjects(ctx context.Context) error {
	var names []string
	for _, prefix := range []string{configName, keysPrefix, keyInfoPrefix, sessionsPrefix, auditPrefix, indexPrefix, snapshotPrefix, prunePrefix, retentionPrefix, tableKeysPrefix, appendOnlyName} {
		for name, err := range c.r.store.List(ctx, prefix) {
			if err != nil {
				return err
			}
			if (prefix == configName || prefix == appendOnlyName) && name != prefix {
				continue
			}
			names = append(names, name)
		}
	}
	inFlight, err := c.r.pruneInFlight(ctx)
	if err != nil {
		return err
	}
	newestAudit, err := c.r.newestAuditEntries(ctx)
	if err != nil {
		return err
	}
	return parallel(ctx, len(names), 2*runtime.GOMAXPROCS(0), func(ctx context.Context, i int) error {
		h, indexErr, err := c.checkMetadataObject(ctx, names[i])
		if err != nil {
			c.add(Finding{Severity: Lost, Object: names[i], Message: fmt.Sprintf("%s: %v", names[i], err)})
			return nil
		}
		// An interrupted write: an unreferenced object too short to read
		// with nothing corrupt, or an object of a prune in flight or one
		// of the newest audit entries (an append killed after k of its
		// shards; the next append completes it) missing shards.
		interrupted := unreferencedKind(names[i]) && !h.Recoverable() && missingOrUnreachable(h) ||
			(interruptedPruneObject(names[i], inFlight) || newestAudit[names[i]]) && onlyMissing(h)
		if !h.OK() && interrupted {
			c.mu.Lock()
			c.rep.Incomplete = append(c.rep.Incomplete, names[i])
			c.mu.Unlock()
			return nil
		}
		if !h.Recoverable() {
			msg := fmt.Sprintf("%s: too few intact shards", names[i])
			if onlyMissing(h) {
				msg += " (all others are missing, none corrupt: an interrupted write leaves this too)"
			}
			c.add(Finding{Severity: Lost, Object: names[i], Message: msg})
		}
		c.health(ctx, names[i], h)
		if indexErr != nil {
			c.add(Finding{Severity: Lost, Object: names[i], Message: indexErr.Error()})
		}
		return nil
	})
}

// checkMetadataObject examines the shards of one metadata object (as
// Store.Check, reading them with ReadData), and reads an index file:
// indexErr says why it cannot be read. err is ErrNotFound or why the check
// could not run; damage alone is in the health. With ReadData an index
// file is read once: Store.Verify checks every shard and returns the
// object, authenticated as the index reader does (the index of a large
// repository is large).
func (c *checker) checkMetadataObject(ctx context.Context, name string) (h storage.Health, indexErr, err error) {
	if !strings.HasPrefix(name, indexPrefix) {
		h, err = c.r.store.Check(ctx, name, c.opts.ReadData)
		return h, nil, err
	}
	if !c.opts.ReadData {
		if h, err = c.r.store.Check(ctx, name, false); err == nil {
			_, indexErr = c.r.readIndexFile(ctx, name)
		}
		return h, indexErr, err
	}
	var payload []byte
	_, h, verr := c.r.store.Verify(ctx, name, nil, storage.MaxSize(int64(maxIndexPayload)+envelopeSlack), storage.Authenticate(func(b []byte) (err error) {
		payload, err = openEnvelope(magicIndex, b, name, c.r.keyForCtx(ctx, kindIndexFile), maxIndexPayload)
		return err
	}))
	switch {
	case verr == nil:
		_, indexErr = decodeIndexFile(payload)
	case errors.Is(verr, storage.ErrNotFound) || ctx.Err() != nil:
		return h, nil, verr
	default: // damage, or no write of it authenticates: the health says which shards
		indexErr = verr
	}
	if indexErr != nil {
		indexErr = fmt.Errorf("read %s: %w", name, indexErr)
	}
	return h, indexErr, nil
}

// unreferencedKind reports whether objects under name's prefix are
// referenced by no other object, so that an interrupted write of one
// loses nothing (§19.2): snapshots, index files (a snapshot needing a blob
// only it named is reported through that blob), prune markers, and audit
// entries (an append cut short by a site going down mid-write was
// reported to its operation as not written; audit --verify judges the
// chain).
func unreferencedKind(name string) bool {
	for _, p := range []string{snapshotPrefix, indexPrefix, prunePrefix, auditPrefix} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func (c *checker) checkSnapshots(ctx context.Context) error {
	var snaps []*Snapshot
	for s, err := range c.r.Snapshots(ctx) {
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if slices.ContainsFunc(c.rep.Incomplete, func(n string) bool {
				return strings.HasPrefix(n, snapshotPrefix) && strings.Contains(err.Error(), strings.TrimPrefix(n, snapshotPrefix))
			}) {
				continue // reported as an interrupted write
			}
			c.add(Finding{Severity: Lost, Object: "snapshots/", Message: err.Error()})
			continue
		}
		snaps = append(snaps, s)
	}
	c.rep.Snapshots = len(snaps)
	roots := make([]ID, len(snaps))
	for i, s := range snaps {
		roots[i] = s.Tree
	}
	if err := c.walkTrees(ctx, roots); err != nil {
		return err
	}
	// A local index cache that failed to read is this machine's trouble,
	// not the repository's: the check stops with it instead of reporting
	// the blobs it could not look up as lost.
	if err := c.r.idx.failed(); err != nil {
		return errLocalIndexCache(err)
	}
	return nil
}

func errLocalIndexCache(err error) error {
	return fmt.Errorf("read the local index cache: %w", err)
}

func (c *checker) checkPacks(ctx context.Context) error {
	c.r.idx.mu.RLock()
	packs := slices.Clone(c.r.idx.packs)
	c.r.idx.mu.RUnlock()
	c.rep.Packs = len(packs)

	// The listing of the packs folder, for the count of packs no index
	// file names, runs while the packs are read instead of before: it
	// shares nothing with the pack checks, and a site lists a large
	// repository a page of names at a time.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var listErr error
	var listing sync.WaitGroup
	listing.Go(func() {
		if listErr = c.countUnreferenced(ctx, packs); listErr != nil {
			cancel()
		}
	})
	err := c.readPacks(ctx, packs)
	if err != nil {
		cancel()
	}
	listing.Wait()
	// The root cause, not the cancellation it caused in the other.
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		return err
	case listErr != nil:
		return listErr
	}
	return err
}

// countUnreferenced counts the listed packs that are not among packs (the
// indexed ones) into the report.
func (c *checker) countUnreferenced(ctx context.Context, packs []packInfo) error {
	// The indexed packs' IDs, sorted (32 bytes a pack, not a map of
	// names).
	indexed := make([]ID, len(packs))
	for i, p := range packs {
		indexed[i] = p.id
	}
	byID := func(a, b ID) int { return bytes.Compare(a[:], b[:]) }
	slices.SortFunc(indexed, byID)
	for name, err := range c.r.store.List(ctx, packsPrefix) {
		if err != nil {
			return err
		}
		id, err := chunk.ParseID(name[strings.LastIndexByte(name, '/')+1:])
		if err != nil || packName(id) != name {
			c.rep.Unreferenced++ // not a pack name any writer makes
			continue
		}
		if _, found := slices.BinarySearchFunc(indexed, id, byID); !found {
			c.rep.Unreferenced++
		}
	}
	return nil
}

// readPacks checks every pack, reading those packsToRead chooses and
// checking the shards of the others.
func (c *checker) readPacks(ctx context.Context, packs []packInfo) error {
	toRead := c.packsToRead(len(packs))
	var read, blobs, bytesRead atomic.Int64
	workers := runtime.GOMAXPROCS(0)
	// One pack buffer and one blob buffer per worker, reused from pack
	// to pack (fresh memory costs page faults).
	bufs := make(chan []byte, workers)
	blobBufs := make(chan []byte, workers)
	for range workers {
		bufs <- nil
		blobBufs <- nil
	}
	// The largest packs first: each worker's pack buffer has its largest
	// size from its first pack on (no larger one allocated later), and the
	// last packs, which one worker may finish while the other has none
	// left, are the shortest.
	order := make([]int, len(packs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(packs[b].size, packs[a].size) })
	err := parallel(ctx, len(packs), workers, func(ctx context.Context, j int) error {
		i := order[j]
		p := packs[i]
		name := packName(p.id)
		if !toRead[i] {
			h, err := c.r.store.Check(ctx, name, false)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.packHealth(ctx, name, h, err)
			return nil
		}
		buf, blobBuf := <-bufs, <-blobBufs
		defer func() { bufs <- buf; blobBufs <- blobBuf }()
		var r packRead
		r, buf, blobBuf = c.readPack(ctx, p, buf, blobBuf)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.packHealth(ctx, name, r.health, r.err)
		if r.err != nil {
			return nil
		}
		read.Add(1)
		bytesRead.Add(r.bytes)
		blobs.Add(int64(r.blobs))
		if r.blobErr != nil {
			c.add(Finding{Severity: Lost, Object: name, Message: fmt.Sprintf("%s: %v", name, r.blobErr)})
		}
		return nil
	})
	c.rep.PacksRead = int(read.Load())
	c.rep.BlobsRead = int(blobs.Load())
	c.rep.BytesRead = bytesRead.Load()
	return err
}

// packsToRead chooses which of n packs a check downloads: all with
// ReadData, a random ceil(fraction × n) of them with ReadDataFraction,
// none otherwise.
func (c *checker) packsToRead(n int) []bool {
	read := make([]bool, n)
	if !c.opts.ReadData {
		return read
	}
	k := n
	if f := c.opts.ReadDataFraction; f > 0 && f < 1 {
		k = min(n, int(math.Ceil(f*float64(n)-1e-9)))
	}
	for _, i := range rand.Perm(n)[:k] {
		read[i] = true
	}
	return read
}

// packHealth reports the health of pack name and why it could not be
// read (err).
func (c *checker) packHealth(ctx context.Context, name string, h storage.Health, err error) {
	if !h.Recoverable() || err != nil {
		msg := fmt.Sprintf("%s: too few intact shards", name)
		if err != nil {
			msg = fmt.Sprintf("%s: %v", name, err)
		}
		c.add(Finding{Severity: Lost, Object: name, Message: msg})
	}
	c.health(ctx, name, h)
}

// packRead is what readPack found.
type packRead struct {
	health storage.Health
	err    error // the pack could not be read (damage is in health)
	bytes  int64 // the pack's size
	blobs  int
	// blobErr says which blobs failed (or the trailer, or the padding).
	blobErr error
}

// readPack reads pack p whole, verifying every shard (storage.Verify), and
// then its trailer, padding and every blob (verifyPack), reading into buf
// and decoding the blobs into blobBuf; it returns both for reuse.
//
// The pack is read with storage.CallerAuthenticates: every byte of a pack
// is sealed (each blob, the padding and the trailer by their AEADs, the
// trailer's length by where the trailer authenticates), so a pack whose
// shards are all intact and agree with its parity is not hashed a second
// time as a whole by the storage layer. When the AEADs do not hold, or the
// trailer's blobs do not cover the blob area, the pack is read again with
// the object hash, whose health names the shards to blame (a site that
// replaced them all consistently), so damage is reported as without the
// option.
func (c *checker) readPack(ctx context.Context, p packInfo, buf, blobBuf []byte) (packRead, []byte, []byte) {
	name := packName(p.id)
	var r packRead
	whole, h, err := c.r.store.Verify(ctx, name, buf, storage.CallerAuthenticates())
	if cap(whole) > cap(buf) {
		buf = whole // the pack buffer grew
	}
	r.health, r.err = h, err
	if err != nil {
		return r, buf[:0], blobBuf
	}
	var covered bool
	r.blobs, blobBuf, covered, r.blobErr = c.verifyPack(ctx, p, whole, blobBuf)
	if h.OK() && (r.blobErr != nil || !covered) && ctx.Err() == nil {
		// The object hash may have been skipped: read it again with it
		// (into fresh memory: damage is rare, the pooled buffer stays the
		// size of a pack).
		whole, r.health, r.err = c.r.store.Verify(ctx, name, nil)
		if r.err != nil {
			return r, buf[:0], blobBuf
		}
		r.blobs, blobBuf, _, r.blobErr = c.verifyPack(ctx, p, whole, blobBuf)
	}
	r.bytes = int64(len(whole))
	return r, buf[:0], blobBuf
}

// verifyPack checks a pack's trailer against the index and opens and
// re-hashes every blob in it, decoding them into buf; it returns the
// number of blobs, buf for reuse, and whether the blobs named by the
// trailer cover the blob area exactly (no byte between or under them
// unsealed, as every writer makes them).
func (c *checker) verifyPack(ctx context.Context, p packInfo, pack, buf []byte) (int, []byte, bool, error) {
	keyID, entries, err := parsePack(c.r.indexKey, p.id, pack)
	if err != nil {
		return 0, buf, false, err
	}
	if keyID != p.keyID {
		return 0, buf, false, fmt.Errorf("%w: trailer names key %s, index %s", ErrMalformed, keyID, p.keyID)
	}
	key, err := c.r.keyForCtx(ctx, kindBlob)(keyID)
	if err != nil {
		return 0, buf, false, err
	}
	var errs []error
	// A blob may be in a pack twice (two writers of one pack's blobs, as
	// a prune copying duplicates); the index names one of its places.
	places := make(map[BlobHandle][]PackEntry, len(entries))
	for _, e := range entries {
		places[e.Handle] = append(places[e.Handle], e)
	}
	for _, e := range entries {
		loc, lp, ok := c.r.idx.lookup(e.Handle)
		if ok && lp.id == p.id && !slices.ContainsFunc(places[e.Handle], func(o PackEntry) bool { return loc.offset == o.Offset && loc.length == o.Length }) {
			errs = append(errs, fmt.Errorf("%w: %s: trailer and index disagree on its place", ErrMalformed, e.Handle))
		}
		out, err := c.r.openBlob(key, e.Handle, pack[e.Offset:e.Offset+e.Length], buf, location{rawLength: e.RawLength})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		buf = out
	}
	return len(entries), buf, tiled(entries), errors.Join(errs...)
}

// tiled reports whether entries, in their order, lie end to end from
// offset 0 (as packBuilder writes them).
func tiled(entries []PackEntry) bool {
	var end uint64
	for _, e := range entries {
		if uint64(e.Offset) != end {
			return false
		}
		end += uint64(e.Length)
	}
	return true
}
