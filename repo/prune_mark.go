package repo

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"iter"
	"strings"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/crypto"
)

// mark is phase 1: it decides pack by pack (the pack sorter yields each
// pack's entries together), copies the used blobs of mostly unused packs,
// finds unindexed packs, and writes one marker naming every candidate.
func (p *pruner) mark(ctx context.Context) error {
	m := &pruneMarker{Created: p.now.UTC(), Margin: p.opts.Margin, Incomplete: p.incomplete}
	rp := &repacker{r: p.r, dryRun: p.opts.DryRun, builders: map[crypto.KeyID]*packBuilder{}, made: map[ID]bool{}}

	listed, stop := iter.Pull2(p.r.store.List(ctx, packsPrefix))
	defer stop()
	var nextListed ID
	haveListed := false
	advanceListed := func() error {
		for {
			name, err, ok := listed()
			if err != nil {
				return fmt.Errorf("list packs: %w", err)
			}
			if !ok {
				haveListed = false
				return nil
			}
			id, err := chunk.ParseID(name[strings.LastIndexByte(name, '/')+1:])
			if err != nil || packName(id) != name {
				continue
			}
			nextListed, haveListed = id, true
			return nil
		}
	}
	// unindexedBefore marks the listed packs that sort before pack (all of
	// them when pack is nil) and are named by no index file.
	unindexedBefore := func(pack *ID) error {
		for haveListed && (pack == nil || bytes.Compare(nextListed[:], pack[:]) < 0) {
			if !p.condemned[nextListed] && !rp.made[nextListed] {
				m.Unindexed = append(m.Unindexed, nextListed)
			}
			if err := advanceListed(); err != nil {
				return err
			}
		}
		if haveListed && pack != nil && nextListed == *pack {
			return advanceListed()
		}
		return nil
	}
	if err := advanceListed(); err != nil {
		return err
	}

	var (
		cur        ID
		have       bool
		key        crypto.KeyID
		total, use int64
		usedOnes   []PackEntry
	)
	decide := func() error {
		if !have {
			return nil
		}
		if err := unindexedBefore(&cur); err != nil {
			return err
		}
		if p.condemned[cur] {
			return nil // pending, or deleted by this run's sweep
		}
		repack := float64(total-use) > p.opts.MaxUnused*float64(total) && p.opts.MaxUnused < 1
		if use > 0 && repack {
			if keep, err := p.keepLockedPack(ctx, cur); err != nil || keep {
				return err
			}
		}
		switch {
		case use == 0:
			m.Packs = append(m.Packs, cur)
			p.rep.PacksMarkedUnused++
			p.rep.BytesMarked += total
		case repack:
			if err := rp.copyBlobs(ctx, cur, key, usedOnes); err != nil {
				return err
			}
			m.Packs = append(m.Packs, cur)
			p.rep.PacksRepacked++
			p.rep.BlobsCopied += int64(len(usedOnes))
			p.rep.BytesCopied += use
			p.rep.BytesMarked += total - use
		}
		return nil
	}
	for rec, err := range p.packs.sorted() {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		pack := ID(rec[0:32])
		if !have || pack != cur {
			if err := decide(); err != nil {
				return err
			}
			cur, have, total, use, usedOnes = pack, true, 0, 0, usedOnes[:0]
			key = crypto.KeyID(rec[33:49])
		}
		e := PackEntry{
			Handle:    BlobHandle{Type: BlobType(rec[49]), ID: ID(rec[50:82])},
			Offset:    binary.BigEndian.Uint32(rec[82:]),
			Length:    binary.BigEndian.Uint32(rec[86:]),
			RawLength: binary.BigEndian.Uint32(rec[90:]),
		}
		total += int64(e.Length)
		if rec[32] == 1 {
			use += int64(e.Length)
			usedOnes = append(usedOnes, e)
		}
	}
	if err := decide(); err != nil {
		return err
	}
	if err := unindexedBefore(nil); err != nil {
		return err
	}
	// The copies are durable and indexed before the marker condemns the
	// packs they came from.
	if err := rp.finish(ctx); err != nil {
		return err
	}
	p.rep.UnindexedMarked = len(m.Unindexed)
	p.rep.IncompleteMarked = len(m.Incomplete)
	if p.lk != nil {
		m.Superseded = p.lk.carry
		p.lk.marker = m
	}
	if p.opts.DryRun || len(m.Packs)+len(m.Unindexed)+len(m.Incomplete)+len(m.Superseded) == 0 {
		return nil
	}
	if err := p.r.writePruneMarker(ctx, m); err != nil {
		return err
	}
	p.rep.MarkersPending++
	if t := m.Created.Add(m.Margin); p.rep.NextSweep.IsZero() || t.Before(p.rep.NextSweep) {
		p.rep.NextSweep = t
	}
	return nil
}

// repacker copies sealed blobs, as they are, into new packs: the blobs'
// additional data binds their handle, not their pack, so they need no
// re-encryption. It checks each one against its ID first.
type repacker struct {
	r        *Repository
	dryRun   bool
	builders map[crypto.KeyID]*packBuilder
	done     []IndexPack // uploaded, not yet in an index file
	entries  int
	made     map[ID]bool // packs this run uploaded
}

// maxRepackIndexEntries bounds the entries of uploaded packs held before
// they are written as an index file.
const maxRepackIndexEntries = 100_000

func (rp *repacker) copyBlobs(ctx context.Context, pack ID, key crypto.KeyID, used []PackEntry) error {
	if rp.dryRun {
		return nil
	}
	whole, _, err := rp.r.store.Get(ctx, packName(pack))
	if err != nil {
		return fmt.Errorf("prune: read %s to rewrite it: %w", packName(pack), err)
	}
	k, err := rp.r.keyFor(kindBlob)(key)
	if err != nil {
		return err
	}
	var plain []byte
	for _, e := range used {
		if uint64(e.Offset)+uint64(e.Length) > uint64(len(whole)) {
			return fmt.Errorf("%w: %s lies outside %s", ErrMalformed, e.Handle, packName(pack))
		}
		sealed := whole[e.Offset : e.Offset+e.Length]
		// openBlob decrypts in place: check a copy.
		if plain, err = rp.r.openBlob(k, e.Handle, bytes.Clone(sealed), plain, location{rawLength: e.RawLength}); err != nil {
			return fmt.Errorf("prune: %s in %s: %w", e.Handle, packName(pack), err)
		}
		b := rp.builders[key]
		if b != nil && len(b.buf)+len(sealed)+(len(b.entries)+1)*packEntrySize > rp.r.cfg.PackSize {
			if err := rp.upload(ctx, key); err != nil {
				return err
			}
			b = nil
		}
		if b == nil {
			id, err := randomID()
			if err != nil {
				return err
			}
			b = &packBuilder{id: id}
			rp.builders[key] = b
		}
		b.add(e.Handle, sealed, int(e.RawLength))
	}
	return nil
}

func (rp *repacker) upload(ctx context.Context, key crypto.KeyID) error {
	b := rp.builders[key]
	delete(rp.builders, key)
	if b == nil || len(b.entries) == 0 {
		return nil
	}
	b.finish(rp.r.indexKey, key)
	if err := rp.r.store.Put(ctx, packName(b.id), b.buf); err != nil {
		return fmt.Errorf("prune: upload rewritten pack: %w", err)
	}
	rp.made[b.id] = true
	rp.done = append(rp.done, IndexPack{ID: b.id, KeyID: key, Entries: b.entries})
	rp.entries += len(b.entries)
	if rp.entries >= maxRepackIndexEntries {
		return rp.flushIndex(ctx)
	}
	return nil
}

func (rp *repacker) flushIndex(ctx context.Context) error {
	if len(rp.done) == 0 {
		return nil
	}
	id, err := randomID()
	if err != nil {
		return err
	}
	name := indexPrefix + id.String()
	if err := rp.r.journaled(ctx, []string{name}, nil, func() error { return rp.r.putIndexFileAs(ctx, name, rp.done) }); err != nil {
		return err
	}
	rp.done, rp.entries = nil, 0
	return nil
}

func (rp *repacker) finish(ctx context.Context) error {
	for key := range rp.builders {
		if err := rp.upload(ctx, key); err != nil {
			return err
		}
	}
	return rp.flushIndex(ctx)
}
