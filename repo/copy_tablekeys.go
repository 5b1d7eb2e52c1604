package repo

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/storage"
)

// Table snapshots copied from another repository keep their records as
// they were protected there (docs/FORMAT.md 19.9): encrypted under that
// repository's field key, keys tokenized under its token key. Those two
// keys travel with the copy in a sealed object
// "tablekeys/<64 hex>" (envelope kind "CTKY", data key, JSON payload)
// that the copied snapshots name in TableInfo.Keys.
const (
	tableKeysPrefix = "tablekeys/"
	magicTableKeys  = "CTKY"
	// maxTableKeysPayload bounds a decoded tablekeys object.
	maxTableKeysPayload = 4 << 10
	// tableKeysContext prefixes the keys hashed into the object's ID.
	tableKeysContext = "custodia v1 table-keys\x00"
)

// ErrTableKeys means the keys a table snapshot's records were protected
// with cannot be had: its tablekeys object is missing or damaged.
var ErrTableKeys = errors.New("the table keys of a copied table snapshot cannot be read")

type tableKeysWire struct {
	Field  string `json:"field"`
	Token  string `json:"token"`
	Origin string `json:"origin,omitempty"`
}

func tableKeysName(id ID) string { return tableKeysPrefix + id.String() }

func encodeTableKeys(field, token crypto.Key, origin ID) ([]byte, error) {
	return json.Marshal(tableKeysWire{Field: hex.EncodeToString(field[:]), Token: hex.EncodeToString(token[:]), Origin: origin.String()})
}

// decodeTableKeys decodes a tablekeys payload.
func decodeTableKeys(b []byte) (field, token crypto.Key, err error) {
	var w tableKeysWire
	if err := json.Unmarshal(b, &w); err != nil {
		return field, token, fmt.Errorf("%w: table keys: %v", ErrMalformed, err)
	}
	for _, k := range []struct {
		hex string
		out *crypto.Key
	}{{w.Field, &field}, {w.Token, &token}} {
		raw, err := hex.DecodeString(k.hex)
		if err != nil || len(raw) != len(k.out) {
			return crypto.Key{}, crypto.Key{}, fmt.Errorf("%w: table keys: a key is not %d bytes of hex", ErrMalformed, len(k.out))
		}
		copy(k.out[:], raw)
		if k.out.IsZero() {
			return crypto.Key{}, crypto.Key{}, fmt.Errorf("%w: table keys: a zero key", ErrMalformed)
		}
	}
	return field, token, nil
}

// SnapshotTableKeys returns the keys table snapshot s's records were
// protected with: the repository's own (TableKeys) or, for a snapshot
// copied from another repository (and those built on it), the keys its
// copy brought along. It needs read access (ErrWriteOnly otherwise).
func (r *Repository) SnapshotTableKeys(ctx context.Context, s *Snapshot) (field, token crypto.Key, err error) {
	if s.Table == nil || s.Table.Keys == nil {
		return r.ownTableKeys(s)
	}
	if err := r.readable(); err != nil {
		return field, token, err
	}
	name := tableKeysName(*s.Table.Keys)
	b, _, err := r.store.Get(ctx, name)
	if err != nil {
		return field, token, fmt.Errorf("%w: snapshot %s: %w", ErrTableKeys, s.ID.String()[:8], err)
	}
	payload, err := openEnvelope(magicTableKeys, b, name, r.keyFor(kindTableKeys), maxTableKeysPayload)
	if err != nil {
		return field, token, fmt.Errorf("%w: snapshot %s: %w", ErrTableKeys, s.ID.String()[:8], err)
	}
	if field, token, err = decodeTableKeys(payload); err != nil {
		return field, token, fmt.Errorf("%w: snapshot %s: %w", ErrTableKeys, s.ID.String()[:8], err)
	}
	return field, token, nil
}

// putTableKeys stores field and token as a tablekeys object (once: its
// ID is a keyed hash of the keys) and returns its ID.
func (r *Repository) putTableKeys(ctx context.Context, field, token crypto.Key, origin ID) (ID, error) {
	if err := r.readable(); err != nil {
		return ID{}, err
	}
	id := r.BlobID(append(append([]byte(tableKeysContext), field[:]...), token[:]...))
	name := tableKeysName(id)
	if _, _, err := r.store.Get(ctx, name); err == nil {
		return id, nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		if inc, _ := r.incomplete(ctx, name); !inc {
			return ID{}, fmt.Errorf("read %s: %w", name, err)
		}
	}
	payload, err := encodeTableKeys(field, token, origin)
	if err != nil {
		return ID{}, err
	}
	if err := r.store.Put(ctx, name, sealEnvelope(magicTableKeys, r.dataKey, name, payload)); err != nil {
		return ID{}, fmt.Errorf("write table keys: %w", err)
	}
	return id, nil
}
