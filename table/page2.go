package table

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Version 2 of record pages names each field once per page instead of once
// per record:
//
//	"CRP2" || uvarint(names) || names × (uvarint(len(name)) || name)
//	       || uvarint(count) || count × (uvarint(len(key)) || key || record)
//	record = uvarint(fields) || fields × (uvarint(name index) || kind u8 || uvarint(len(value)) || value)
//
// Names are distinct, listed in the order of their first use, and each is
// used; count ≥ 1, keys strictly ascending; values as in [AppendRecord]
// (encrypted values raw, kind 5).

// pageNames is the field-name table of the version-2 record page being
// built.
type pageNames struct {
	index map[string]uint64
	list  []string
	// byPos caches the index of the last record's field names by
	// position: records mostly have the same fields in the same order.
	byPos []uint64
}

func newPageNames() *pageNames { return &pageNames{index: map[string]uint64{}} }

// reset empties the table for the next page.
func (n *pageNames) reset() {
	clear(n.index)
	n.list, n.byPos = n.list[:0], n.byPos[:0]
}

// appendHeader appends the name table.
func (n *pageNames) appendHeader(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(n.list)))
	for _, name := range n.list {
		dst = binary.AppendUvarint(dst, uint64(len(name)))
		dst = append(dst, name...)
	}
	return dst
}

// appendEntry appends key and rec (the encoding of AppendRecord) to a
// version-2 page body, naming rec's fields by their index in the table
// (added to it if new). With sealed not nil (version 3) the bytes of
// encrypted values go to *sealed instead, only their length to dst.
func (n *pageNames) appendEntry(dst []byte, sealed *[]byte, key, rec []byte) ([]byte, error) {
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	dst = append(dst, key...)
	fields, b, err := uvarint(rec)
	if err != nil {
		return nil, err
	}
	dst = binary.AppendUvarint(dst, fields)
	for j := range fields {
		var name, value []byte
		if name, b, err = lenBytes(b); err != nil {
			return nil, err
		}
		if len(b) < 1 {
			return nil, fmt.Errorf("%w: truncated record", ErrMalformed)
		}
		kind := b[0]
		if value, b, err = lenBytes(b[1:]); err != nil {
			return nil, err
		}
		i := n.indexOf(j, name)
		dst = binary.AppendUvarint(dst, i)
		dst = append(dst, kind)
		dst = binary.AppendUvarint(dst, uint64(len(value)))
		if kind == kindSealed && sealed != nil {
			*sealed = append(*sealed, value...)
			continue
		}
		dst = append(dst, value...)
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d stray bytes after a record", ErrMalformed, len(b))
	}
	return dst, nil
}

// indexOf returns the index of the name of field j of a record, added to
// the table if new.
func (n *pageNames) indexOf(j uint64, name []byte) uint64 {
	if j < uint64(len(n.byPos)) && n.list[n.byPos[j]] == string(name) {
		return n.byPos[j]
	}
	i, ok := n.index[string(name)]
	if !ok {
		i = uint64(len(n.list))
		n.index[string(name)] = i
		n.list = append(n.list, string(name))
	}
	if j < uint64(len(n.byPos)) {
		n.byPos[j] = i
	} else if j == uint64(len(n.byPos)) {
		n.byPos = append(n.byPos, i)
	}
	return i
}

// decodePageV2 parses a version-2 record page after its magic. The records
// are rebuilt with their field names, in one buffer. With sealed not nil
// (the text of a version-3 page) the bytes of each encrypted value are
// taken from the front of *sealed, which must be used up.
func decodePageV2(b []byte, sealed *[]byte) (*Page, error) {
	total := len(b)
	if sealed != nil {
		total += len(*sealed)
	}
	nn, b, err := uvarint(b)
	if err != nil {
		return nil, err
	}
	if nn > uint64(len(b)) {
		return nil, fmt.Errorf("%w: record page announces %d names in %d bytes", ErrMalformed, nn, len(b))
	}
	names := make([][]byte, nn)
	seen := make(map[string]bool, nn)
	for i := range names {
		if names[i], b, err = lenBytes(b); err != nil {
			return nil, err
		}
		if seen[string(names[i])] {
			return nil, fmt.Errorf("%w: field name repeated in a record page", ErrMalformed)
		}
		seen[string(names[i])] = true
	}
	n, b, err := uvarint(b)
	if err != nil {
		return nil, err
	}
	if n == 0 || n > uint64(len(b))/3 {
		return nil, fmt.Errorf("%w: record page announces %d records in %d bytes", ErrMalformed, n, len(b))
	}
	p := &Page{keys: make([][]byte, n), recs: make([][]byte, n)}
	ends := make([]int, n)
	buf := make([]byte, 0, 2*total)
	used := uint64(0) // names used so far: the next new one is names[used]
	for i := range p.keys {
		if p.keys[i], b, err = lenBytes(b); err != nil {
			return nil, err
		}
		if len(p.keys[i]) == 0 || (i > 0 && bytes.Compare(p.keys[i-1], p.keys[i]) >= 0) {
			return nil, fmt.Errorf("%w: record page keys not ascending at %d", ErrMalformed, i)
		}
		var fields uint64
		if fields, b, err = uvarint(b); err != nil {
			return nil, err
		}
		if fields > uint64(len(b))/3 {
			return nil, fmt.Errorf("%w: record announces %d fields in %d bytes", ErrMalformed, fields, len(b))
		}
		buf = binary.AppendUvarint(buf, fields)
		for range fields {
			var ni uint64
			if ni, b, err = uvarint(b); err != nil {
				return nil, err
			}
			switch {
			case ni > used || ni >= nn:
				return nil, fmt.Errorf("%w: field name %d out of order", ErrMalformed, ni)
			case ni == used:
				used++
			}
			if len(b) < 1 {
				return nil, fmt.Errorf("%w: truncated record", ErrMalformed)
			}
			kind := b[0]
			var value []byte
			if kind == kindSealed && sealed != nil {
				var n uint64
				if n, b, err = uvarint(b[1:]); err != nil {
					return nil, err
				}
				if n > uint64(len(*sealed)) {
					return nil, fmt.Errorf("%w: encrypted value of %d bytes, %d left", ErrMalformed, n, len(*sealed))
				}
				value, *sealed = (*sealed)[:n:n], (*sealed)[n:]
			} else if value, b, err = lenBytes(b[1:]); err != nil {
				return nil, err
			}
			if err := checkValue(kind, value); err != nil {
				return nil, err
			}
			buf = binary.AppendUvarint(buf, uint64(len(names[ni])))
			buf = append(buf, names[ni]...)
			buf = append(buf, kind)
			buf = binary.AppendUvarint(buf, uint64(len(value)))
			buf = append(buf, value...)
		}
		ends[i] = len(buf)
	}
	if used != nn {
		return nil, fmt.Errorf("%w: %d field names of a record page unused", ErrMalformed, nn-used)
	}
	if sealed != nil && len(*sealed) != 0 {
		return nil, fmt.Errorf("%w: %d stray bytes of encrypted values", ErrMalformed, len(*sealed))
	}
	return p.setRecords(b, buf, ends)
}
