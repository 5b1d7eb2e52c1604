package table

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"iter"

	"github.com/custodia-backup/custodia/repo"
)

// Pages lets repo.CopySnapshots copy table snapshots into another
// repository (repo.WithTablePages): it implements repo.TablePages. Record
// pages are copied as they are; index pages name record pages by blob ID,
// which is keyed per repository, so they are written again naming the
// record pages' IDs in the destination (docs/FORMAT.md 19.9).
type Pages struct{}

// Relink returns the table page b with every blob ID it names replaced by
// relink(id): a record page is returned as it is (it names none), a sparse
// or delta index page is encoded again with the new IDs, same entries,
// same order. Anything else is an error wrapping ErrMalformed.
func (Pages) Relink(b []byte, relink func(ID) (ID, error)) ([]byte, error) {
	switch {
	case bytes.HasPrefix(b, []byte(recordPageMagic)) || bytes.HasPrefix(b, []byte(recordPageMagicV2)) || bytes.HasPrefix(b, []byte(recordPageMagicV3)):
		if _, err := DecodePage(b); err != nil {
			return nil, err
		}
		return b, nil
	case len(b) > 4 && string(b[:4]) == indexPageMagic && b[4] == indexKindPages:
		refs, err := DecodePageIndex(b)
		if err != nil {
			return nil, err
		}
		out := binary.AppendUvarint(appendIndexHeader(make([]byte, 0, len(b)), indexKindPages), uint64(len(refs)))
		for _, r := range refs {
			if r.Page, err = relink(r.Page); err != nil {
				return nil, err
			}
			out = appendPageRef(out, r)
		}
		return out, nil
	case len(b) > 4 && string(b[:4]) == indexPageMagic && b[4] == indexKindDelta:
		es, err := DecodeDeltaIndex(b)
		if err != nil {
			return nil, err
		}
		out := binary.AppendUvarint(appendIndexHeader(make([]byte, 0, len(b)), indexKindDelta), uint64(len(es)))
		for _, e := range es {
			if !e.Deleted {
				if e.Page, err = relink(e.Page); err != nil {
					return nil, err
				}
			}
			out = appendDeltaEntry(out, e)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: not a table page", ErrMalformed)
}

// Compare reads every record of table snapshot a in src and of b in dst,
// in key order, and fails at the first difference of key or stored bytes,
// and when either holds a record the other lacks or their record counts
// differ from what the snapshots say. Each side is also looked up by the
// first and last key through its key index, as a restore of one record
// would.
func (Pages) Compare(ctx context.Context, src *repo.Repository, a *repo.Snapshot, dst *repo.Repository, b *repo.Snapshot) error {
	ra, err := NewReader(src, a)
	if err != nil {
		return err
	}
	rb, err := NewReader(dst, b)
	if err != nil {
		return err
	}
	next, stop := iter.Pull2(rb.All(ctx))
	defer stop()
	var (
		n           uint64
		first, last []byte
	)
	for ea, err := range ra.All(ctx) {
		if err != nil {
			return fmt.Errorf("source: %w", err)
		}
		eb, err, ok := next()
		switch {
		case err != nil:
			return fmt.Errorf("copy: %w", err)
		case !ok:
			return fmt.Errorf("the copy lacks record %s", KeyString(ea.Key))
		case !bytes.Equal(ea.Key, eb.Key):
			return fmt.Errorf("record %s of the source is %s in the copy", KeyString(ea.Key), KeyString(eb.Key))
		case !bytes.Equal(ea.Record, eb.Record):
			return fmt.Errorf("record %s differs from its copy", KeyString(ea.Key))
		}
		if n == 0 {
			first = bytes.Clone(ea.Key)
		}
		last = append(last[:0], ea.Key...)
		n++
	}
	if eb, err, ok := next(); err != nil {
		return fmt.Errorf("copy: %w", err)
	} else if ok {
		return fmt.Errorf("the copy has record %s the source lacks", KeyString(eb.Key))
	}
	if n != a.Table.Records || n != b.Table.Records {
		return fmt.Errorf("%d records read, the source says %d and the copy %d", n, a.Table.Records, b.Table.Records)
	}
	for _, k := range [][]byte{first, last} {
		if k == nil {
			continue
		}
		if _, ok, err := rb.Get(ctx, k); err != nil || !ok {
			return fmt.Errorf("record %s is not found through the copy's key index (%v)", KeyString(k), err)
		}
	}
	return nil
}
