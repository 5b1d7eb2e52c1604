package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/custodia-backup/custodia/crypto"
)

// KindTable is the snapshot kind of a table backed up record by record
// (docs/FORMAT.md section 25). Its Table field says which table and how to
// read it; its Tree reaches every blob the snapshot needs, so that checks
// and garbage collection treat it like any other snapshot.
const KindTable = "table"

// Table snapshot kinds (TableInfo.Kind).
const (
	TableFull         = "full"
	TableIncremental  = "incremental"
	TableDifferential = "differential"
)

// TableInfo is the part of a table snapshot that says what it holds.
type TableInfo struct {
	// Name is the table's name.
	Name string `json:"name"`
	// Kind is TableFull, TableIncremental or TableDifferential.
	Kind string `json:"kind"`
	// Base is the full snapshot whose records this one builds on (absent
	// for a full).
	Base *ID `json:"base,omitempty"`
	// Chain counts the incremental snapshots since the full, this one
	// included.
	Chain int `json:"chain,omitempty"`
	// Key names the key fields, in order.
	Key []string `json:"key"`
	// Records is the number of records the snapshot restores.
	Records uint64 `json:"records"`
	// Plan holds the protection decisions: a classify.Plan in its JSON
	// form (field → type, level, action).
	Plan json.RawMessage `json:"plan"`
	// Policy is the text of the policy file the decisions came from; empty
	// for the default policy. It decides fields the plan does not name.
	Policy string `json:"policy,omitempty"`
	// Index is the top level of the full's sparse index: one entry per
	// index page, in key order.
	Index []IndexRef `json:"index"`
	// Delta is the top level of the delta index (incremental and
	// differential snapshots): one entry per delta index page.
	Delta []IndexRef `json:"delta,omitempty"`
	// Changes counts what changed since the parent.
	Changes TableChanges `json:"changes"`
	// Watermark is the highest value of the changed-since column seen, for
	// the next backup that takes changed rows from the source.
	Watermark *Watermark `json:"watermark,omitempty"`
	// Keys, when set, names the tablekeys object holding the keys the
	// records were protected with, when they are not this repository's
	// own: a snapshot copied from another repository, and the incremental
	// and differential snapshots built on it (docs/FORMAT.md 19.9). Nil
	// means the repository's keys (TableKeys).
	Keys *ID `json:"keys,omitempty"`
	// FieldKey, when set, is the field key the records' level-1 values
	// are encrypted under, wrapped to the repository's public key
	// (docs/FORMAT.md 6.5): a full snapshot written with a write-only key,
	// which cannot derive the repository's field key, and the snapshots
	// of its chain. Nil means the repository's field key. Keys, when also
	// set, takes precedence.
	FieldKey []byte `json:"field_key,omitempty"`
}

// IndexRef names one index page and its first key.
type IndexRef struct {
	First   []byte `json:"first"`
	Blob    ID     `json:"blob"`
	Entries uint64 `json:"n"`
}

// TableChanges counts a table snapshot's records against its parent.
type TableChanges struct {
	Added     uint64 `json:"added"`
	Changed   uint64 `json:"changed"`
	Deleted   uint64 `json:"deleted"`
	Unchanged uint64 `json:"unchanged"`
}

// Watermark is a column and its highest value seen.
type Watermark struct {
	Column string `json:"column"`
	Value  string `json:"value"`
}

// validate checks what a reader relies on.
func (t *TableInfo) validate() error {
	switch {
	case t == nil:
		return fmt.Errorf("table snapshot without table section")
	case t.Name == "":
		return fmt.Errorf("table snapshot without a name")
	case len(t.Key) == 0:
		return fmt.Errorf("table snapshot without key fields")
	case len(t.Plan) == 0:
		return fmt.Errorf("table snapshot without decisions")
	}
	switch t.Kind {
	case TableFull:
		if t.Base != nil || len(t.Delta) != 0 {
			return fmt.Errorf("full table snapshot with a base or delta")
		}
	case TableIncremental, TableDifferential:
		if t.Base == nil {
			return fmt.Errorf("%s table snapshot without a base", t.Kind)
		}
	default:
		return fmt.Errorf("table snapshot kind %q", t.Kind)
	}
	if t.FieldKey != nil {
		if _, err := crypto.WrappedKeyRecipient(t.FieldKey); err != nil {
			return fmt.Errorf("table snapshot's wrapped field key: %w", err)
		}
	}
	for _, list := range [][]IndexRef{t.Index, t.Delta} {
		for i, r := range list {
			if len(r.First) == 0 || r.Entries == 0 || (i > 0 && string(list[i-1].First) >= string(r.First)) {
				return fmt.Errorf("table index top level not ascending at %d", i)
			}
		}
	}
	return nil
}

// Subkey purposes of table protection (docs/FORMAT.md section 25.7).
const (
	purposeTableField = "table-field"
	purposeTableToken = "table-token"
)

// ErrNoTableKeys means a write-only key cannot back up tables: its key
// slot predates table backups by write-only keys and lacks the token key.
var ErrNoTableKeys = errors.New("this write-only key predates table backups (its slot has no table token key): add a new write-only key")

// TableKeys returns the keys of table protection: the field key under which
// level-1 values are encrypted, and the token key of keyed tokens. Both are
// derived from the master key, so tokens are stable across snapshots and
// tables, and only a holder of the master key decrypts. A repository opened
// with a write-only key has neither (ErrWriteOnly): see WriteOnlyTableKeys.
func (r *Repository) TableKeys() (field, token crypto.Key, err error) {
	if err := r.readable(); err != nil {
		return field, token, err
	}
	m0 := r.firstMaster() // of generation 0: tokens stay stable across rotations (§17.5)
	return m0.Derive(purposeTableField), m0.Derive(purposeTableToken), nil
}

// WriteOnlyTableKeys returns the keys a write-only session protects a full
// table snapshot with (docs/FORMAT.md 25.7): a fresh random field key,
// that key wrapped to the repository's public key (for
// TableInfo.FieldKey: the session cannot unwrap it again), and the
// repository's token key, which its key slot holds, so that tokens are
// those every other writer makes. It fails with ErrNoTableKeys for a slot
// that predates it, and is for write-only sessions only.
func (r *Repository) WriteOnlyTableKeys() (field, token crypto.Key, wrapped []byte, err error) {
	if !r.writeOnly {
		return field, token, nil, fmt.Errorf("%w: the repository's own table keys serve a full-access key", ErrUnsupported)
	}
	if r.bundle == nil || r.bundle.token.IsZero() {
		return field, token, nil, ErrNoTableKeys
	}
	if field, err = crypto.RandomKey(); err != nil {
		return field, token, nil, err
	}
	if wrapped, err = crypto.WrapKey(r.pub, field); err != nil {
		field.Wipe()
		return field, token, nil, fmt.Errorf("%w: write-only key: %w", ErrMalformed, err)
	}
	return field, r.bundle.token, wrapped, nil
}

// ownTableKeys returns the keys of a table snapshot protected with this
// repository's keys: the repository's, or its own field key unwrapped with
// the repository's private key (TableInfo.FieldKey).
func (r *Repository) ownTableKeys(s *Snapshot) (field, token crypto.Key, err error) {
	if field, token, err = r.TableKeys(); err != nil || s.Table == nil || s.Table.FieldKey == nil {
		return field, token, err
	}
	to, err := crypto.WrappedKeyRecipient(s.Table.FieldKey)
	if err == nil {
		r.kmu.RLock()
		priv, ok := r.privs[to]
		r.kmu.RUnlock()
		if !ok {
			err = fmt.Errorf("wrapped for public key %s, which this repository's keys do not hold", to)
		} else {
			field, err = crypto.UnwrapKey(priv, s.Table.FieldKey)
		}
	}
	if err != nil {
		return field, token, fmt.Errorf("%w: snapshot %s: field key: %w", ErrTableKeys, s.ID.String()[:8], err)
	}
	return field, token, nil
}

// SaveTableTree is SaveTree for the trees of a table snapshot, which a
// table backup saves rarely (one per 1024 record pages, FORMAT.md 25.6)
// and which are larger than zstd's block size (64 KiB): such a tree is
// compressed by an encoder made for it and dropped after, so that the
// shared encoders (one per core) do not allocate and keep a history
// window of over 1 MiB each for the rest of the backup, which only a
// large table would reach. The blob stored is the one SaveTree stores.
func (r *Repository) SaveTableTree(ctx context.Context, t *Tree) (ID, error) {
	return r.saveTree(ctx, t, true)
}
