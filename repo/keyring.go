package repo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/internal/testhook"
	"github.com/custodia-backup/custodia/storage"
)

// Master-key rotation (docs/FORMAT.md §17.5). Generations M_0 (made by
// init), M_1, ... : the newest seals what is written from now on; the
// object keyrings/<hex KeyID(M_n)>, an envelope "CKRG" sealed under
// subkey(M_n, "keyring"), lists M_0 … M_{n−1} so that older objects stay
// readable to holders of M_n, and only to them.
const (
	keyringPrefix     = "keyrings/"
	maxKeyringPayload = 2 << 20
)

// ErrStaleGeneration means the session holds an older master-key
// generation than the repository's newest (its password was not re-wrapped
// by a rotation): it reads what was written before that rotation, but may
// not rotate, split or add keys.
var ErrStaleGeneration = errors.New("this key opens an older master-key generation")

// readKeyring returns the older master keys of m, oldest first: none if
// keyrings/<hex KeyID(m)> does not exist (m is generation 0). A keyring
// that exists but does not open, or does not hold the documented layout,
// is damage (ErrMalformed).
func readKeyring(ctx context.Context, store *storage.Store, m crypto.MasterKey) ([]crypto.MasterKey, error) {
	name := keyringPrefix + m.ID().String()
	// Listed first: with a site unreachable, reading an absent object
	// fails like reading a lost one.
	found, err := anyObject(ctx, store, name)
	if err != nil {
		return nil, fmt.Errorf("list keyrings: %w", err)
	}
	if !found {
		return nil, nil
	}
	k := newSealKey(keyKeyring, m.Derive(crypto.PurposeKeyring))
	var older []crypto.MasterKey
	_, _, err = store.Get(ctx, name, storage.MaxSize(maxKeyringPayload+envelopeSlack), storage.Authenticate(func(b []byte) error {
		payload, err := openEnvelope(magicKeyring, b, name, func(id crypto.KeyID) (*sealKey, error) {
			if id != k.id {
				return nil, fmt.Errorf("%w: keyring sealed under %s, not the keyring key of its master key", ErrMalformed, id)
			}
			return k, nil
		}, maxKeyringPayload)
		if err != nil {
			return err
		}
		defer clear(payload)
		older, err = decodeKeyring(payload, m)
		return err
	}))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: keyring %s: %w", ErrMalformed, name, err)
	}
	return older, nil
}

// decodeKeyring parses a keyring's plaintext (§6.7) and checks that its
// keys are non-zero, distinct and different from the newest, m.
func decodeKeyring(plain []byte, m crypto.MasterKey) ([]crypto.MasterKey, error) {
	older, err := crypto.UnmarshalKeyring(plain)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	seen := map[crypto.KeyID]bool{m.ID(): true}
	for i, k := range older {
		id := k.ID()
		if crypto.Key(k).IsZero() || seen[id] {
			for j := range older {
				older[j].Wipe()
			}
			return nil, fmt.Errorf("%w: keyring key %d is zero, repeated or the newest", ErrMalformed, i)
		}
		seen[id] = true
	}
	return older, nil
}

// RotateOptions say who holds the new master key after Rotate.
type RotateOptions struct {
	// Password protects the full-access slot of the new generation that
	// replaces the slot that opened this session (a session opened with a
	// password): usually the same password, typed again.
	Password []byte
	// Custodians re-split the new master key (a session opened with
	// custody shares), as Split does, at Threshold (0: the threshold of
	// the split that opened the session). Without Custodians, the
	// custodians of that split each get a new text share.
	Custodians []Custodian
	Threshold  int
	// DeliverShare, if set, receives each text share of a re-split before
	// any older slot is removed (see WithShareDelivery).
	DeliverShare func(ctx context.Context, custodian, share string) error
	// Argon2 is the cost of the new slot (default: the cost of the slot
	// it replaces) or custody slots (default crypto.DefaultArgon2Params).
	Argon2 crypto.Argon2Params
}

// RotateResult is what Rotate did.
type RotateResult struct {
	// Generation is the new master key's generation.
	Generation int
	// Slot is the new slot that replaced this session's (password
	// sessions).
	Slot KeyInfo
	// Split is the re-split of the new key (custody sessions).
	Split *SplitResult
	// Stale lists the slots left opening older generations: passwords
	// this session does not know, so it could not re-wrap them. They read
	// only what was written before the rotation (write-only ones go on
	// backing up, readable by their generation's holders): replace them
	// with AddKey and remove them with RemoveKey.
	Stale []KeyInfo
}

// Rotate makes a new master-key generation (docs/FORMAT.md §17.5): what
// is written from now on is sealed under it, unreadable to holders of the
// older keys (old passwords, old custody shares), while everything older
// stays readable through the keyring. The slot that opened this session
// is replaced by one of the new generation (opts.Password), or, for a
// session opened with custody shares, the new key is split again among
// opts.Custodians. Other slots cannot be re-wrapped without their
// passwords and are reported in RotateResult.Stale. It needs full access
// of the newest generation.
//
// Order, so that a crash at any step leaves a repository that opens: the
// keyring of the new key, then its slots (or custody record and slots),
// then the removal of the slot (or split) that opened this session. A
// crash before the new slots leaves an unused keyring; after them, both
// generations open the repository and Open prefers the newest.
func (r *Repository) Rotate(ctx context.Context, opts RotateOptions) (*RotateResult, error) {
	if err := r.admin(); err != nil {
		return nil, err
	}
	if err := r.newest(ctx); err != nil {
		return nil, err
	}
	res, err := r.rotate(ctx, opts)
	args := map[string]string{"generation": strconv.Itoa(r.generation())}
	if res != nil {
		args["stale"] = strconv.Itoa(len(res.Stale))
		if res.Split != nil {
			args["split"] = res.Split.Split
		}
	}
	return res, r.audit(ctx, "key rotate", args, err)
}

func (r *Repository) rotate(ctx context.Context, opts RotateOptions) (*RotateResult, error) {
	if opts.Argon2 == (crypto.Argon2Params{}) {
		// The password keeps the cost it had; shares get the default.
		opts.Argon2 = r.slotParams
		if r.custody || opts.Argon2 == (crypto.Argon2Params{}) {
			opts.Argon2 = crypto.DefaultArgon2Params()
		}
	}
	switch {
	case r.custody && len(opts.Password) > 0:
		return nil, fmt.Errorf("%w: a session opened with custody shares rotates by splitting the new key among custodians, not into a password slot", ErrInvalidCustody)
	case r.custody && len(opts.Custodians) == 0 && r.custodyRec == nil:
		return nil, fmt.Errorf("%w: the split that opened this session is unknown; name the custodians", ErrInvalidCustody)
	case r.custody && len(opts.Custodians) == 0:
		for _, c := range r.custodyRec.Custodians {
			opts.Custodians = append(opts.Custodians, Custodian{Name: c.Name})
		}
	case !r.custody && len(opts.Password) == 0:
		return nil, fmt.Errorf("%w: the new generation's slot needs a password", ErrNoPassword)
	case !r.custody && len(opts.Custodians) > 0:
		return nil, fmt.Errorf("%w: split the key with Split, not Rotate", ErrInvalidCustody)
	}
	if err := DefaultSlotLimits().allows(opts.Argon2); err != nil {
		return nil, fmt.Errorf("%w (Open would skip such a slot by default)", err)
	}
	threshold := opts.Threshold
	if r.custody && threshold == 0 {
		if r.custodyRec == nil {
			return nil, fmt.Errorf("%w: the split that opened this session is unknown; give the threshold", ErrInvalidCustody)
		}
		threshold = r.custodyRec.Threshold
	}
	if r.custody {
		if err := checkCustodians(threshold, opts.Custodians); err != nil {
			return nil, err
		}
	}
	// Nothing sealed under the old data key may be left pending.
	if err := r.Flush(ctx); err != nil {
		return nil, err
	}
	before, err := r.Keys(ctx)
	if err != nil {
		return nil, err
	}
	next, err := crypto.NewMasterKey()
	if err != nil {
		return nil, err
	}
	defer next.Wipe()
	older := append(slices.Clone(r.older), r.master)
	plain, err := crypto.MarshalKeyring(older)
	if err != nil {
		return nil, err
	}
	name := keyringPrefix + next.ID().String()
	obj := sealEnvelope(magicKeyring, newSealKey(keyKeyring, next.Derive(crypto.PurposeKeyring)), name, plain)
	clear(plain)
	// (2) The keyring, completely written before any slot of the new key.
	if err := r.store.Create(ctx, name, obj); err != nil {
		return nil, fmt.Errorf("write the keyring: %w", err)
	}
	testhook.Step("rotate: keyring written")
	r.useGeneration(next, older)
	res := &RotateResult{Generation: r.generation()}
	if r.custody {
		// (3, 4) The new split, then the removal of the old one and of
		// every single-person read slot (Split's order).
		res.Split, err = r.split(ctx, threshold, opts.Custodians, splitOptions{deliver: opts.DeliverShare, argon: opts.Argon2})
		if err != nil {
			return res, err
		}
	} else {
		// (3) The new slot of this session's password.
		old := strings.TrimPrefix(r.slot, keysPrefix)
		info := KeyInfo{Role: RoleFull, Generation: r.generation()}
		if i := slices.IndexFunc(before, func(k KeyInfo) bool { return k.ID == old }); i >= 0 {
			info.Label = before[i].Label
		}
		b := &keyBundle{role: roleFull, master: r.master}
		res.Slot, err = r.writeSlot(ctx, opts.Password, b, info, opts.Argon2)
		b.wipe()
		if err != nil {
			return res, err
		}
		// (4) The removal of the old one.
		if err := r.deleteSlot(ctx, old); err != nil {
			return res, err
		}
		r.slot = keysPrefix + res.Slot.ID
	}
	after, err := r.Keys(ctx)
	if err != nil {
		return res, err
	}
	for _, k := range after {
		if k.Generation < res.Generation || k.Role == RoleUnknown {
			res.Stale = append(res.Stale, k)
		}
	}
	return res, nil
}

// useGeneration makes next the newest master key, with older (oldest
// first, ending with the previous newest) in the keyring: new objects are
// sealed under its data key and new write-only slots wrap to its public
// key. The generation-0 keys (index, chunk IDs, chunker) do not change.
func (r *Repository) useGeneration(next crypto.MasterKey, older []crypto.MasterKey) {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	r.kmu.Lock()
	defer r.kmu.Unlock()
	r.master = next
	r.older = older
	r.dataKey = newSealKey(keyData, next.Derive(crypto.PurposeData))
	r.keyring[r.dataKey.id] = r.dataKey
	priv, pub := crypto.NewX25519FromSeed(next.Derive(crypto.PurposeX25519))
	r.privs[pub.ID()] = priv
	r.pub = pub
}

// newest returns ErrStaleGeneration if a key slot is described as opening
// a newer master-key generation than this session's. Descriptions are
// informational (§9.1): a forged one can only make this refuse.
func (r *Repository) newest(ctx context.Context) error {
	keys, err := r.Keys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.Generation > r.generation() {
			return fmt.Errorf("%w: this session opens generation %d and slot %s opens generation %d; use a key of the newest generation", ErrStaleGeneration, r.generation(), k.ID, k.Generation)
		}
	}
	return nil
}

// newerSlots returns the slots described as full-access slots of a newer
// generation than this session's.
func (r *Repository) newerSlots(ctx context.Context, slots []storedSlot) []storedSlot {
	if r.writeOnly {
		return nil
	}
	keys, err := r.Keys(ctx)
	if err != nil {
		return nil
	}
	var out []storedSlot
	for _, s := range slots {
		if slices.ContainsFunc(keys, func(k KeyInfo) bool {
			return keysPrefix+k.ID == s.name && k.Role == RoleFull && k.Generation > r.generation()
		}) {
			out = append(out, s)
		}
	}
	return out
}
