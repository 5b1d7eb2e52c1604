package repo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

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
// read back from dst and compared with the source, file by file.
//
// Table snapshots are refused (ErrUnsupported): their pages name each
// other by blob ID, and dst's IDs differ.
func CopySnapshots(ctx context.Context, src, dst *Repository, snaps []*Snapshot, verify bool) (*CopyReport, error) {
	c := &copier{src: src, dst: dst, trees: map[ID]ID{}, rep: &CopyReport{}}
	for _, s := range snaps {
		if s.Kind != KindFiles && s.Kind != KindStream {
			return c.rep, fmt.Errorf("%w: snapshot %s is a %s snapshot, which this build cannot copy into a repository with other keys", ErrUnsupported, s.ID.String()[:8], s.Kind)
		}
	}
	for _, s := range snaps {
		have, err := dst.LoadSnapshot(ctx, s.ID)
		switch {
		case err == nil:
			c.rep.Skipped++
			if verify {
				if err := c.compare(ctx, s.Tree, have.Tree); err != nil {
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
		root, err := c.tree(ctx, s.Tree)
		if err != nil {
			return c.rep, fmt.Errorf("copy snapshot %s: %w", s.ID.String()[:8], err)
		}
		cp := *s
		cp.Tree = root
		if err := dst.saveSnapshotAs(ctx, &cp, s.ID); err != nil {
			return c.rep, err
		}
		c.rep.Copied++
		if verify {
			if err := c.compare(ctx, s.Tree, root); err != nil {
				return c.rep, fmt.Errorf("verify copy of snapshot %s: %w", s.ID.String()[:8], err)
			}
			c.rep.Verified++
		}
	}
	return c.rep, nil
}

type copier struct {
	src, dst *Repository
	trees    map[ID]ID // source tree → destination tree
	rep      *CopyReport
	buf      []byte
}

// tree copies a tree and everything below it and returns its ID in dst.
func (c *copier) tree(ctx context.Context, id ID) (ID, error) {
	if out, ok := c.trees[id]; ok {
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
			sub, err := c.tree(ctx, *n.Subtree)
			if err != nil {
				return ID{}, err
			}
			n.Subtree = &sub
		case NodeFile:
			for j, b := range n.Content {
				if n.Content[j], err = c.blob(ctx, b); err != nil {
					return ID{}, err
				}
			}
		}
	}
	out, err := c.dst.SaveTree(ctx, t)
	if err != nil {
		return ID{}, err
	}
	c.trees[id] = out
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
