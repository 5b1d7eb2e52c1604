package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/internal/testhook"
	"github.com/custodia-backup/custodia/storage"
)

// Each key slot keys/<16 hex> has a companion keyinfo/<16 hex> (same
// suffix): an envelope "CKIN" sealed under the index key holding the
// slot's public description as JSON (docs/FORMAT.md §9.1). It holds no
// secret; the slot alone opens with the password.
const (
	keyInfoPrefix     = "keyinfo/"
	magicKeyInfo      = "CKIN"
	maxKeyInfoPayload = 64 << 10
)

// KeyRole is what a key slot lets its password do.
type KeyRole string

// Key roles.
const (
	// RoleFull reads and writes everything.
	RoleFull KeyRole = "full"
	// RoleWriteOnly adds backups but reads nothing (docs/FORMAT.md §17.3).
	RoleWriteOnly KeyRole = "write-only"
	// RoleCustody holds one custodian's share of the read capability
	// (§17.4): a threshold of them together read.
	RoleCustody KeyRole = "custody"
	// RoleUnknown is a slot without a description (written by an older
	// build, or whose description is lost). Older builds wrote only
	// full-access slots.
	RoleUnknown KeyRole = "unknown"
)

// KeyInfo describes one key slot. It never holds a secret.
type KeyInfo struct {
	// ID is the slot's 16 hex digits (the object keys/<ID>).
	ID string `json:"id"`
	// Role is what the slot's password can do.
	Role KeyRole `json:"role"`
	// Created is when the slot was added.
	Created time.Time `json:"created,omitzero"`
	// Host is the machine that added it.
	Host string `json:"host,omitempty"`
	// Label is the operator's name for the slot.
	Label string `json:"label,omitempty"`
	// Custodian names the holder of a custody slot.
	Custodian string `json:"custodian,omitempty"`
	// Split identifies the custody split a custody slot belongs to.
	Split string `json:"split,omitempty"`
	// Threshold and Shares describe that split: Threshold of Shares.
	Threshold int `json:"threshold,omitempty"`
	Shares    int `json:"shares,omitempty"`
	// Generation is the master-key generation the slot opens (§17.5).
	Generation int `json:"generation"`
	// Current is set on the slot that opened this session.
	Current bool `json:"current,omitempty"`
}

// canRead reports whether the slot's password alone reads the repository.
func (k KeyInfo) canRead() bool { return k.Role == RoleFull || k.Role == RoleUnknown }

// ErrLastKey means removing a key slot would leave no way to read the
// repository.
var ErrLastKey = errors.New("refusing to remove the last key slot that can read the repository")

// ErrKeyNotFound means no key slot has the given ID.
var ErrKeyNotFound = errors.New("key slot not found")

// KeyOption configures AddKey and ChangePassword.
type KeyOption func(*keyOptions)

type keyOptions struct {
	label string
	argon crypto.Argon2Params
}

// WithLabel names the new slot.
func WithLabel(label string) KeyOption { return func(o *keyOptions) { o.label = label } }

// WithKeyArgon2 sets the Argon2id cost of the new slot (default
// crypto.DefaultArgon2Params).
func WithKeyArgon2(p crypto.Argon2Params) KeyOption { return func(o *keyOptions) { o.argon = p } }

func keyOpts(opts []KeyOption) keyOptions {
	o := keyOptions{argon: crypto.DefaultArgon2Params()}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// writeSlot stores a slot sealing bundle under password and, before it,
// its description. It returns the description with the new ID.
func (r *Repository) writeSlot(ctx context.Context, password []byte, b *keyBundle, info KeyInfo, p crypto.Argon2Params) (KeyInfo, error) {
	if len(password) == 0 {
		return KeyInfo{}, ErrNoPassword
	}
	if err := DefaultSlotLimits().allows(p); err != nil {
		return KeyInfo{}, fmt.Errorf("%w (Open would skip such a slot by default)", err)
	}
	payload := b.encode()
	defer clear(payload)
	slot, err := crypto.NewPasswordSlot(password, payload, p)
	if err != nil {
		return KeyInfo{}, err
	}
	sb, err := slot.MarshalBinary()
	if err != nil {
		return KeyInfo{}, err
	}
	if info.ID == "" {
		id, err := randomID()
		if err != nil {
			return KeyInfo{}, err
		}
		info.ID = id.String()[:16]
	}
	info.Created = time.Now().UTC().Truncate(time.Second)
	if info.Host == "" {
		info.Host, _ = os.Hostname()
	}
	info.Current = false
	if err := r.writeKeyInfo(ctx, info); err != nil {
		return KeyInfo{}, err
	}
	testhook.Step("slot description written")
	if err := r.store.Put(ctx, keysPrefix+info.ID, sb); err != nil {
		return KeyInfo{}, fmt.Errorf("write key slot: %w", err)
	}
	testhook.Step("slot written")
	return info, nil
}

func (r *Repository) writeKeyInfo(ctx context.Context, info KeyInfo) error {
	payload, err := json.Marshal(&info)
	if err != nil {
		return err
	}
	name := keyInfoPrefix + info.ID
	if err := r.store.Put(ctx, name, sealEnvelope(magicKeyInfo, r.indexKey, name, payload)); err != nil {
		return fmt.Errorf("write key description: %w", err)
	}
	return nil
}

// decodeKeyInfo parses a key description stored under keyinfo/<id>.
func decodeKeyInfo(id string, b []byte) (KeyInfo, error) {
	var k KeyInfo
	if err := json.Unmarshal(b, &k); err != nil {
		return KeyInfo{}, fmt.Errorf("%w: key description %s: %v", ErrMalformed, id, err)
	}
	if k.ID != id {
		return KeyInfo{}, fmt.Errorf("%w: key description %s names slot %q", ErrMalformed, id, k.ID)
	}
	switch k.Role {
	case RoleFull, RoleWriteOnly, RoleCustody:
	default:
		return KeyInfo{}, fmt.Errorf("%w: key description %s: role %q", ErrUnsupported, id, k.Role)
	}
	k.Current = false
	return k, nil
}

// Keys lists the key slots with their descriptions, oldest first. A slot
// whose description is missing or unreadable is listed with RoleUnknown.
// It needs no read access: write-only sessions list keys too.
func (r *Repository) Keys(ctx context.Context) ([]KeyInfo, error) {
	var out []KeyInfo
	for name, err := range r.store.List(ctx, keysPrefix) {
		if err != nil {
			return nil, fmt.Errorf("list key slots: %w", err)
		}
		id := strings.TrimPrefix(name, keysPrefix)
		info := KeyInfo{ID: id, Role: RoleUnknown}
		if b, _, err := r.store.Get(ctx, keyInfoPrefix+id); err == nil {
			if payload, err := openEnvelope(magicKeyInfo, b, keyInfoPrefix+id, r.keyFor(kindKeyInfo), maxKeyInfoPayload); err == nil {
				if k, err := decodeKeyInfo(id, payload); err == nil {
					info = k
				}
			}
		} else if !errors.Is(err, storage.ErrNotFound) && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		info.Current = name == r.slot
		out = append(out, info)
	}
	slices.SortStableFunc(out, func(a, b KeyInfo) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// admin returns ErrWriteOnly unless the session holds the master key.
func (r *Repository) admin() error {
	if r.writeOnly {
		return fmt.Errorf("%w (managing keys needs full access)", ErrWriteOnly)
	}
	return nil
}

// AddKey adds a key slot opened by password: a full-access slot, or with
// RoleWriteOnly a slot that can only add backups (docs/FORMAT.md §17.3).
// It needs full access.
func (r *Repository) AddKey(ctx context.Context, password []byte, role KeyRole, opts ...KeyOption) (KeyInfo, error) {
	if err := r.admin(); err != nil {
		return KeyInfo{}, err
	}
	if err := r.newest(ctx); err != nil {
		return KeyInfo{}, err
	}
	o := keyOpts(opts)
	b, err := r.bundleFor(role)
	if err != nil {
		return KeyInfo{}, err
	}
	defer b.wipe()
	info, err := r.writeSlot(ctx, password, b, KeyInfo{Role: role, Label: o.label, Generation: r.generation()}, o.argon)
	return info, r.audit(ctx, "key add", map[string]string{"id": info.ID, "role": string(role), "label": o.label}, err)
}

// bundleFor returns the key bundle of a new slot of the given role.
func (r *Repository) bundleFor(role KeyRole) (*keyBundle, error) {
	switch role {
	case RoleFull:
		return &keyBundle{role: roleFull, master: r.master}, nil
	case RoleWriteOnly:
		return r.writeOnlyBundle(), nil
	default:
		return nil, fmt.Errorf("%w: cannot add a key slot of role %q", ErrUnsupported, role)
	}
}

// writeOnlyBundle returns the bundle of a write-only slot: the
// generation-0 chunk-ID, chunker, index and table token keys and the
// newest public key.
func (r *Repository) writeOnlyBundle() *keyBundle {
	m0 := r.firstMaster()
	return &keyBundle{
		role:    roleWriteOnly,
		chunkID: m0.Derive(crypto.PurposeChunkID),
		chunker: m0.Derive(crypto.PurposeChunker),
		index:   m0.Derive(crypto.PurposeIndex),
		pub:     r.pub,
		token:   m0.Derive(purposeTableToken),
	}
}

// RemoveKey deletes the key slot with the given ID (see Keys). It refuses
// with ErrLastKey to remove the last slot of the newest master-key
// generation whose password can read the repository, unless custody
// shares exist; slots of older generations can always be removed. It
// needs full access.
func (r *Repository) RemoveKey(ctx context.Context, id string) error {
	if err := r.admin(); err != nil {
		return err
	}
	return r.audit(ctx, "key remove", map[string]string{"id": id}, r.removeKey(ctx, id))
}

func (r *Repository) removeKey(ctx context.Context, id string) error {
	keys, err := r.Keys(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(keys, func(k KeyInfo) bool { return k.ID == id })
	if i < 0 {
		return fmt.Errorf("%w: %s", ErrKeyNotFound, id)
	}
	// Only slots of the newest generation read everything (§17.5): a slot
	// left on an older one does not count.
	newest := 0
	for _, k := range keys {
		newest = max(newest, k.Generation)
	}
	if keys[i].canRead() && keys[i].Generation == newest {
		readers, custody := 0, false
		for _, k := range keys {
			readers += btoi(k.canRead() && k.Generation == newest)
			custody = custody || (k.Role == RoleCustody && k.Generation == newest)
		}
		if readers == 1 && !custody {
			hasSplit, err := r.hasCustodySplit(ctx)
			if err != nil {
				return err
			}
			if !hasSplit {
				return fmt.Errorf("%w: %s", ErrLastKey, id)
			}
		}
	}
	if err := r.store.Delete(ctx, keysPrefix+id); err != nil {
		return fmt.Errorf("remove key slot %s: %w", id, err)
	}
	if err := r.store.Delete(ctx, keyInfoPrefix+id); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("remove key description %s: %w", id, err)
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ChangePassword replaces the slot that opened this session by a new slot
// of the same role and description opened by newPassword, and returns it.
// The new slot is written before the old one is removed.
func (r *Repository) ChangePassword(ctx context.Context, newPassword []byte, opts ...KeyOption) (KeyInfo, error) {
	if r.slot == "" {
		return KeyInfo{}, fmt.Errorf("%w: this session was not opened with a password", ErrKeyNotFound)
	}
	old := strings.TrimPrefix(r.slot, keysPrefix)
	keys, err := r.Keys(ctx)
	if err != nil {
		return KeyInfo{}, err
	}
	info := KeyInfo{Role: RoleFull}
	if i := slices.IndexFunc(keys, func(k KeyInfo) bool { return k.ID == old }); i >= 0 && keys[i].Role != RoleUnknown {
		info = keys[i]
	}
	o := keyOptions{label: info.Label, argon: crypto.DefaultArgon2Params()}
	for _, opt := range opts {
		opt(&o)
	}
	info.Label = o.label
	info.Host = ""
	info.ID = "" // a new slot
	var b *keyBundle
	switch {
	case r.writeOnly:
		b = r.bundle
		info.Role = RoleWriteOnly
	case info.Role == RoleCustody:
		return KeyInfo{}, fmt.Errorf("%w: a custody slot's password is changed by its custodian (re-split)", ErrUnsupported)
	default:
		b = &keyBundle{role: roleFull, master: r.master}
		info.Role = RoleFull
		defer b.wipe()
	}
	info.Generation = r.generation()
	n, err := r.writeSlot(ctx, newPassword, b, info, o.argon)
	if err != nil {
		return KeyInfo{}, err
	}
	if err := r.store.Delete(ctx, r.slot); err != nil {
		return n, fmt.Errorf("remove the old key slot %s (the new one works): %w", old, err)
	}
	if err := r.store.Delete(ctx, keyInfoPrefix+old); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return n, fmt.Errorf("remove the old key description %s: %w", old, err)
	}
	r.slot = keysPrefix + n.ID
	n.Current = true
	return n, r.audit(ctx, "key passwd", map[string]string{"old": old, "new": n.ID}, nil)
}
