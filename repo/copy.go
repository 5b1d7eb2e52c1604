package repo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/storage"
)

// CopyReport says what CopySnapshots did.
type CopyReport struct {
	// Copied and Skipped count snapshots written to the destination and
	// those it already had.
	Copied, Skipped int
	// Blobs counts the blobs read from the source; BlobsNew those the
	// destination did not have.
	Blobs, BlobsNew uint64
	// Verified counts the copies read back and compared with the source.
	Verified int
}

// CopySnapshots copies snapshots of src into dst, another repository with
// its own keys, sites and coding. Every blob is read from src and stored in
// dst under dst's keys (its ID is dst's keyed hash, so trees are rewritten
// with the new IDs), deduplicated against what dst holds. The snapshot
// keeps its ID and metadata, only its tree changes. A snapshot dst already
// has is skipped, so an interrupted copy resumes where it stopped, and the
// blobs it uploaded are deduplicated against. With verify, each copy is
// read back from dst and compared with the source, file by file (record by
// record for a table).
//
// Table snapshots need WithTablePages (package table's Pages), since their
// index pages name record pages by blob ID; without it they are refused
// (ErrUnsupported). Their records are copied as stored, protected under
// the keys of the repository they were backed up in, which the copy brings
// along in dst (docs/FORMAT.md 19.9); that needs read access to both.
//
// The audit log of dst records the copy (op "copy").
func CopySnapshots(ctx context.Context, src, dst *Repository, snaps []*Snapshot, verify bool, opts ...CopyOption) (*CopyReport, error) {
	rep, err := copySnapshots(ctx, src, dst, snaps, verify, opts)
	args := map[string]string{"from": src.Config().ID.String(), "copied": strconv.Itoa(rep.Copied), "skipped": strconv.Itoa(rep.Skipped)}
	return rep, dst.audit(ctx, "copy", args, err)
}

// CopyOption configures CopySnapshots.
type CopyOption func(*copier)

// TablePages knows the layout of table pages (docs/FORMAT.md 25.4–25.5),
// which this package does not: package table's Pages implements it.
type TablePages interface {
	// Relink returns the table page b with every blob ID it names
	// replaced by relink(id).
	Relink(b []byte, relink func(ID) (ID, error)) ([]byte, error)
	// Compare reads every record of table snapshot a in src and of its
	// copy b in dst and fails at the first difference.
	Compare(ctx context.Context, src *Repository, a *Snapshot, dst *Repository, b *Snapshot) error
}

// WithTablePages lets CopySnapshots copy table snapshots.
func WithTablePages(p TablePages) CopyOption {
	return func(c *copier) { c.pages = p }
}

func copySnapshots(ctx context.Context, src, dst *Repository, snaps []*Snapshot, verify bool, opts []CopyOption) (*CopyReport, error) {
	c := &copier{src: src, dst: dst, rep: &CopyReport{}, memory: DefaultCopyMemory}
	for _, o := range opts {
		o(c)
	}
	// The bound is shared by the three maps: file trees get half, table
	// trees and pages a quarter each.
	entries := max(c.memory, 0) / copyEntryBytes
	c.trees, c.tableTrees, c.tableBlobs = newIDMap(entries/2), newIDMap(entries/4), newIDMap(entries/4)
	for _, s := range snaps {
		switch {
		case s.Kind == KindFiles || s.Kind == KindStream:
		case s.Kind == KindTable && s.Table != nil && c.pages != nil:
		case s.Kind == KindTable && s.Table != nil:
			return c.rep, fmt.Errorf("%w: snapshot %s is a table snapshot, and copying one needs the table page layout (WithTablePages)", ErrUnsupported, s.ID.String()[:8])
		default:
			return c.rep, fmt.Errorf("%w: snapshot %s is a %s snapshot, which this build cannot copy into a repository with other keys", ErrUnsupported, s.ID.String()[:8], s.Kind)
		}
	}
	for _, s := range snaps {
		have, err := dst.LoadSnapshot(ctx, s.ID)
		switch {
		case err == nil:
			c.rep.Skipped++
			if verify {
				if err := c.verify(ctx, s, have); err != nil {
					return c.rep, fmt.Errorf("verify copy of snapshot %s: %w", s.ID.String()[:8], err)
				}
				c.rep.Verified++
			}
			continue
		case errors.Is(err, storage.ErrNotFound):
		default:
			// Left incomplete by an interrupted copy: write it again.
			if inc, _ := dst.incomplete(ctx, snapshotName(s.ID)); !inc {
				return c.rep, fmt.Errorf("destination snapshot %s: %w", s.ID.String()[:8], err)
			}
			if err := dst.store.Delete(ctx, snapshotName(s.ID)); err != nil {
				return c.rep, err
			}
		}
		cp := *s
		if s.Kind == KindTable {
			err = c.table(ctx, &cp)
		} else {
			cp.Tree, err = c.tree(ctx, s.Tree)
		}
		if err != nil {
			return c.rep, fmt.Errorf("copy snapshot %s: %w", s.ID.String()[:8], err)
		}
		if err := dst.saveSnapshotAs(ctx, &cp, s.ID); err != nil {
			return c.rep, err
		}
		c.rep.Copied++
		if verify {
			if err := c.verify(ctx, s, &cp); err != nil {
				return c.rep, fmt.Errorf("verify copy of snapshot %s: %w", s.ID.String()[:8], err)
			}
			c.rep.Verified++
		}
	}
	return c.rep, nil
}

// verify compares snapshot s of src with its copy in dst.
func (c *copier) verify(ctx context.Context, s, copied *Snapshot) error {
	if s.Kind == KindTable {
		if c.pages == nil {
			return fmt.Errorf("%w: verifying a table snapshot's copy needs WithTablePages", ErrUnsupported)
		}
		return c.pages.Compare(ctx, c.src, s, c.dst, copied)
	}
	return c.compare(ctx, s.Tree, copied.Tree)
}

type copier struct {
	src, dst *Repository
	trees    *idMap // source tree → destination tree (copy_cache.go)
	rep      *CopyReport
	buf      []byte
	memory   int // bound of the three maps, in bytes

	// Table snapshots (copy_table.go).
	pages      TablePages
	tableTrees *idMap // source table tree → destination tree
	tableBlobs *idMap // source page → destination page
	keys       map[[2]crypto.Key]*ID
}

// tree copies a tree and everything below it and returns its ID in dst.
func (c *copier) tree(ctx context.Context, id ID) (ID, error) {
	return c.copyTree(ctx, id, c.trees, c.blob)
}

// copyTree copies a tree, copying its files' blobs with blob, and returns
// its ID in dst; done remembers trees already copied.
func (c *copier) copyTree(ctx context.Context, id ID, done *idMap, blob func(context.Context, ID) (ID, error)) (ID, error) {
	if out, ok := done.get(id); ok {
		return out, nil
	}
	t, err := c.src.LoadTree(ctx, id)
	if err != nil {
		return ID{}, err
	}
	for i := range t.Nodes {
		n := &t.Nodes[i]
		switch n.Type {
		case NodeDir:
			sub, err := c.copyTree(ctx, *n.Subtree, done, blob)
			if err != nil {
				return ID{}, err
			}
			n.Subtree = &sub
		case NodeFile:
			for j, b := range n.Content {
				if n.Content[j], err = blob(ctx, b); err != nil {
					return ID{}, err
				}
			}
		}
	}
	out, err := c.dst.SaveTree(ctx, t)
	if err != nil {
		return ID{}, err
	}
	done.put(id, out)
	return out, nil
}

// blob copies a data blob and returns its ID in dst.
func (c *copier) blob(ctx context.Context, id ID) (ID, error) {
	data, err := c.src.LoadBlob(ctx, BlobHandle{Type: DataBlob, ID: id}, c.buf)
	if err != nil {
		return ID{}, err
	}
	c.buf = data
	c.rep.Blobs++
	return c.save(ctx, data)
}

// save stores data as a data blob of dst, deduplicated, and returns its ID.
func (c *copier) save(ctx context.Context, data []byte) (ID, error) {
	nid := c.dst.BlobID(data)
	added, err := c.dst.SaveBlob(ctx, DataBlob, nid, data, true)
	if err != nil {
		return ID{}, err
	}
	if added {
		c.rep.BlobsNew++
	}
	return nid, nil
}

// compare reads a source tree and its copy and fails on any difference of
// names, types, metadata or content.
func (c *copier) compare(ctx context.Context, srcID, dstID ID) error {
	a, err := c.src.LoadTree(ctx, srcID)
	if err != nil {
		return err
	}
	b, err := c.dst.LoadTree(ctx, dstID)
	if err != nil {
		return err
	}
	if len(a.Nodes) != len(b.Nodes) {
		return fmt.Errorf("a folder has %d entries, its copy %d", len(a.Nodes), len(b.Nodes))
	}
	for i := range a.Nodes {
		x, y := a.Nodes[i], b.Nodes[i]
		if x.Name != y.Name || x.Type != y.Type || x.Mode != y.Mode || !x.ModTime.Equal(y.ModTime) || x.Size != y.Size || x.LinkTarget != y.LinkTarget {
			return fmt.Errorf("%q differs from its copy", x.Name)
		}
		switch x.Type {
		case NodeDir:
			if err := c.compare(ctx, *x.Subtree, *y.Subtree); err != nil {
				return err
			}
		case NodeFile:
			if err := c.compareContent(ctx, x, y); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *copier) compareContent(ctx context.Context, x, y Node) error {
	if len(x.Content) != len(y.Content) {
		return fmt.Errorf("%q has %d blobs, its copy %d", x.Name, len(x.Content), len(y.Content))
	}
	for i := range x.Content {
		a, err := c.src.LoadBlob(ctx, BlobHandle{Type: DataBlob, ID: x.Content[i]}, nil)
		if err != nil {
			return err
		}
		b, err := c.dst.LoadBlob(ctx, BlobHandle{Type: DataBlob, ID: y.Content[i]}, nil)
		if err != nil {
			return fmt.Errorf("%q in the copy: %w", x.Name, err)
		}
		if !bytes.Equal(a, b) {
			return fmt.Errorf("%q differs from its copy", x.Name)
		}
	}
	return nil
}

// saveSnapshotAs is SaveSnapshot under a given ID (a copy keeps its
// source's). It refuses to replace an existing snapshot.
func (r *Repository) saveSnapshotAs(ctx context.Context, s *Snapshot, id ID) error {
	if err := r.Flush(ctx); err != nil {
		return err
	}
	if err := r.checkPruneOverlap(ctx); err != nil {
		return err
	}
	if _, err := r.LoadTree(ctx, s.Tree); err != nil {
		return fmt.Errorf("snapshot tree: %w", err)
	}
	payload, err := json.Marshal(s)
	if err != nil {
		return err
	}
	name := snapshotName(id)
	if err := r.store.Create(ctx, name, sealEnvelope(magicSnapshot, r.dataKey, name, payload)); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	s.ID = id
	return nil
}
