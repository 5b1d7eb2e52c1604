package repo

import (
	"context"
	"fmt"
	"slices"

	"github.com/custodia-backup/custodia/crypto"
)

// table copies table snapshot s (a copy of the source's, changed in
// place): its tree with every page relinked to the destination's blob
// IDs, its index top levels likewise, and the keys its records were
// protected with (docs/FORMAT.md 19.9).
func (c *copier) table(ctx context.Context, s *Snapshot) error {
	keys, err := c.tableKeys(ctx, s)
	if err != nil {
		return err
	}
	if s.Tree, err = c.copyTree(ctx, s.Tree, c.tableTrees, c.page); err != nil {
		return err
	}
	info := *s.Table
	info.Keys = keys
	info.Index = slices.Clone(info.Index)
	info.Delta = slices.Clone(info.Delta)
	for _, refs := range [][]IndexRef{info.Index, info.Delta} {
		for i := range refs {
			if refs[i].Blob, err = c.page(ctx, refs[i].Blob); err != nil {
				return err
			}
		}
	}
	s.Table = &info
	return nil
}

// tableKeys returns the tablekeys object of dst holding the keys s's
// records were protected with, writing it if needed, or nil when those
// are dst's own.
func (c *copier) tableKeys(ctx context.Context, s *Snapshot) (*ID, error) {
	field, token, err := c.src.SnapshotTableKeys(ctx, s)
	if err != nil {
		return nil, err
	}
	if id, ok := c.keys[[2]crypto.Key{field, token}]; ok {
		return id, nil
	}
	dfield, dtoken, err := c.dst.TableKeys()
	if err != nil {
		return nil, err
	}
	var ref *ID
	if !field.Equal(dfield) || !token.Equal(dtoken) {
		id, err := c.dst.putTableKeys(ctx, field, token, c.src.Config().ID)
		if err != nil {
			return nil, err
		}
		ref = &id
	}
	if c.keys == nil {
		c.keys = map[[2]crypto.Key]*ID{}
	}
	c.keys[[2]crypto.Key{field, token}] = ref
	return ref, nil
}

// page copies a table page (and, for an index page, the record pages it
// names) and returns its ID in dst.
func (c *copier) page(ctx context.Context, id ID) (ID, error) {
	if out, ok := c.tableBlobs.get(id); ok {
		return out, nil
	}
	data, err := c.src.LoadBlob(ctx, BlobHandle{Type: DataBlob, ID: id}, nil)
	if err != nil {
		return ID{}, err
	}
	c.rep.Blobs++
	data, err = c.pages.Relink(data, func(ref ID) (ID, error) { return c.page(ctx, ref) })
	if err != nil {
		return ID{}, fmt.Errorf("table page %s: %w", id, err)
	}
	nid, err := c.save(ctx, data)
	if err != nil {
		return ID{}, err
	}
	c.tableBlobs.put(id, nid)
	return nid, nil
}
