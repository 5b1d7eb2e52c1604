package repo

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/custodia-backup/custodia/internal/extsort"
)

// Verify's walk of the snapshots' trees holds no set of what it has seen:
// the trees of each level are deduplicated by sorting, as prune's walk
// does, and every tree and data blob reached goes to a sorter of
// references, read back in order at the end to count them once each and
// to look every data blob up in the index (in key order, which suits an
// index kept in cache files). Both sorters spill to the index's cache
// folder beyond their share of the index's memory bound, so the walk's
// memory does not grow with the repository.
//
// A reference's key is its type and blob ID (33 bytes); a data blob's
// value is the tree naming it and the node's position there (36 bytes),
// to name the file if the blob is missing.
const (
	walkKeySize   = 1 + 32
	walkValueSize = 32 + 4
)

// walkMemory returns the memory each of the walk's three sorters (the
// references, a level's trees, the next level's) may hold, together
// about a tenth of the index's bound, and their spill folder.
func (c *checker) walkMemory() (int, string) {
	cfg := c.r.idx.cfg
	if cfg.noDisk {
		return math.MaxInt / 4, "" // the index keeps everything in memory: so does the walk
	}
	return max(cfg.memory/32, 64<<10), cfg.dir
}

// walkTrees walks every tree reachable from roots, reporting trees that
// cannot be read and data blobs the index does not list, and counts the
// distinct trees and data blobs reached.
func (c *checker) walkTrees(ctx context.Context, roots []ID) error {
	mem, dir := c.walkMemory()
	refs := extsort.New(dir, mem)
	level := extsort.New(dir, mem)
	var next *extsort.Sorter
	defer func() {
		refs.Close()
		level.Close()
		if next != nil {
			next.Close()
		}
	}()
	for _, id := range roots {
		if err := level.Add(id[:], nil); err != nil {
			return walkErr(err)
		}
	}
	// Trees that failed to load, reported once even when reached at
	// several depths: as many as the damage, not the repository.
	failed := map[ID]bool{}
	var key [walkKeySize]byte
	var val [walkValueSize]byte
	for {
		next = extsort.New(dir, mem)
		more := false
		var prev ID
		first := true
		for p, err := range level.Sorted() {
			if err != nil {
				return walkErr(err)
			}
			id := ID(p.Key)
			if !first && id == prev {
				continue
			}
			prev, first = id, false
			if failed[id] {
				continue
			}
			t, err := c.r.LoadTree(ctx, id)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err := c.r.idx.failed(); err != nil {
					return errLocalIndexCache(err)
				}
				failed[id] = true
				c.add(Finding{Severity: Lost, Object: "tree " + id.String(), Message: fmt.Sprintf("tree %s: %v", id, err)})
				continue
			}
			key[0] = byte(TreeBlob)
			copy(key[1:], id[:])
			if err := refs.Add(key[:], nil); err != nil {
				return walkErr(err)
			}
			copy(val[:32], id[:])
			for i, n := range t.Nodes {
				switch {
				case n.Type == NodeDir && n.Subtree != nil:
					if err := next.Add(n.Subtree[:], nil); err != nil {
						return walkErr(err)
					}
					more = true
				case n.Type == NodeFile:
					key[0] = byte(DataBlob)
					binary.BigEndian.PutUint32(val[32:], uint32(i))
					for _, b := range n.Content {
						copy(key[1:], b[:])
						if err := refs.Add(key[:], val[:]); err != nil {
							return walkErr(err)
						}
					}
				}
			}
		}
		c.walkSpills += level.Spilled()
		level.Close()
		level, next = next, nil
		if !more {
			break
		}
	}
	var last [walkKeySize]byte
	first := true
	c.walkSpills += refs.Spilled()
	for p, err := range refs.Sorted() {
		if err != nil {
			return walkErr(err)
		}
		if !first && bytes.Equal(last[:], p.Key) {
			continue
		}
		copy(last[:], p.Key)
		first = false
		if BlobType(p.Key[0]) == TreeBlob {
			c.rep.Trees++
			continue
		}
		c.rep.DataBlobs++
		id := ID(p.Key[1:])
		if !c.r.idx.has(BlobHandle{Type: DataBlob, ID: id}) {
			if err := c.r.idx.failed(); err != nil {
				return errLocalIndexCache(err)
			}
			name := c.fileName(ctx, ID(p.Value[:32]), binary.BigEndian.Uint32(p.Value[32:]))
			c.add(Finding{Severity: Lost, Object: "blob " + id.String(), Message: fmt.Sprintf("data blob %s of %q is not in the index", id, name)})
		}
	}
	return ctx.Err()
}

// fileName returns the name of node i of tree id (which the walk read),
// for a finding.
func (c *checker) fileName(ctx context.Context, id ID, i uint32) string {
	t, err := c.r.LoadTree(ctx, id)
	if err != nil || int(i) >= len(t.Nodes) {
		return "?"
	}
	return t.Nodes[i].Name
}

func walkErr(err error) error {
	return fmt.Errorf("verify: sort the trees' references: %w", err)
}
