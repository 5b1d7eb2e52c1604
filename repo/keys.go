package repo

import (
	"context"
	"errors"
	"fmt"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/storage"
)

// sessionsPrefix holds the wrapped session keys of write-only writers
// (docs/FORMAT.md §17.3): sessions/<hex KeyID(D)>, 97 bytes each.
const sessionsPrefix = "sessions/"

// keyFor returns the resolver of the key IDs found in objects of kind o:
// it finds the key in the keyring and refuses a key of a kind that may not
// seal o (allowedKeys). It does not look up session keys; readers of kinds
// that session keys may seal use keyForCtx.
func (r *Repository) keyFor(o objectKind) func(crypto.KeyID) (*sealKey, error) {
	return func(id crypto.KeyID) (*sealKey, error) {
		r.kmu.RLock()
		k, ok := r.keyring[id]
		r.kmu.RUnlock()
		if !ok && r.writeOnly && allowedKeys[o]&keyIndex == 0 {
			return nil, fmt.Errorf("%w (%s)", ErrWriteOnly, o)
		}
		if !ok {
			return nil, fmt.Errorf("%w: %s sealed under unknown key %s", ErrMalformed, o, id)
		}
		if err := k.allows(o); err != nil {
			return nil, err
		}
		return k, nil
	}
}

// keyForCtx is keyFor that also resolves the session keys of write-only
// writers, reading and unwrapping sessions/<id> when it meets an unknown
// KeyID (§17.3). Only full-access sessions hold the private keys needed.
func (r *Repository) keyForCtx(ctx context.Context, o objectKind) func(crypto.KeyID) (*sealKey, error) {
	known := r.keyFor(o)
	return func(id crypto.KeyID) (*sealKey, error) {
		k, err := known(id)
		if err == nil || allowedKeys[o]&keySession == 0 {
			return k, err
		}
		r.kmu.RLock()
		_, found := r.keyring[id]
		r.kmu.RUnlock()
		if found {
			return nil, err // known, of a kind not allowed for o
		}
		if k, err = r.loadSession(ctx, id); err != nil {
			return nil, err
		}
		return k, k.allows(o)
	}
}

// loadSession reads, unwraps and checks the session key id and adds it to
// the keyring.
func (r *Repository) loadSession(ctx context.Context, id crypto.KeyID) (*sealKey, error) {
	name := sessionsPrefix + id.String()
	b, _, err := r.store.Get(ctx, name)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("%w: object sealed under unknown key %s (no session object names it)", ErrMalformed, id)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	to, err := crypto.WrappedKeyRecipient(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, name, err)
	}
	r.kmu.RLock()
	priv, ok := r.privs[to]
	r.kmu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %s is wrapped for public key %s, which this repository's keys do not hold", ErrMalformed, name, to)
	}
	d, err := crypto.UnwrapKey(priv, b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, name, err)
	}
	defer d.Wipe()
	// The name binds the session key: a session object moved under
	// another name does not open that name's objects.
	if d.ID() != id {
		return nil, fmt.Errorf("%w: %s holds the key %s, not the one its name says", ErrMalformed, name, d.ID())
	}
	k := newSealKey(keySession, d)
	r.kmu.Lock()
	r.keyring[id] = k
	r.kmu.Unlock()
	return k, nil
}

// trustedKey reports whether blobs sealed under id were written with full
// access (a data key of the keyring), rather than by a write-only session.
func (r *Repository) trustedKey(id crypto.KeyID) bool {
	r.kmu.RLock()
	defer r.kmu.RUnlock()
	k, ok := r.keyring[id]
	return ok && k.kind == keyData
}
