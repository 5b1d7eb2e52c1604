package repo

import (
	"fmt"

	"github.com/custodia-backup/custodia/crypto"
)

// Key bundles are the payloads of key slots (storage name "keys/<16 hex>",
// content a crypto.PasswordSlot in binary form), docs/FORMAT.md §9:
//
//	magic "CKB1" | role uint8 | role data
//
// role 1 (full access): the 32-byte master key of the newest generation.
// role 2 (write-only): chunk-ID key | chunker key | index key (all of
// generation 0) | X25519 public key of the newest generation [| table
// token key of generation 0], 32 bytes each; bundles written before table
// backups by write-only keys lack the token key.
// role 3 (custody share): one Shamir share of the master key, binary form.
const (
	keyBundleMagic                = "CKB1"
	roleFull                uint8 = 1
	roleWriteOnly           uint8 = 2
	roleCustody             uint8 = 3
	keyBundleFullSize             = 4 + 1 + 32
	keyBundleWriteSize            = 4 + 1 + 4*32
	keyBundleWriteTableSize       = keyBundleWriteSize + 32
	// shareSize is the binary size of a share of a 32-byte key (§6.6).
	shareSize = crypto.KeySize + 27
)

// keyBundle is a decoded key bundle. Only the fields of its role are set.
type keyBundle struct {
	role uint8
	// master is the master key (role 1).
	master crypto.MasterKey
	// chunkID, chunker and index are the generation-0 keys a write-only
	// writer holds, and pub the newest X25519 public key (role 2).
	chunkID, chunker, index crypto.Key
	pub                     crypto.PublicKey
	// token is the generation-0 table token key (role 2; zero in a
	// bundle that predates it).
	token crypto.Key
	// share is one custody share in binary form (role 3).
	share []byte
}

// encode returns the bundle's bytes. They hold key material: wipe them
// after sealing.
func (b *keyBundle) encode() []byte {
	out := append([]byte(keyBundleMagic), b.role)
	switch b.role {
	case roleFull:
		out = append(out, b.master[:]...)
	case roleWriteOnly:
		out = append(out, b.chunkID[:]...)
		out = append(out, b.chunker[:]...)
		out = append(out, b.index[:]...)
		out = append(out, b.pub[:]...)
		if !b.token.IsZero() {
			out = append(out, b.token[:]...)
		}
	case roleCustody:
		out = append(out, b.share...)
	}
	return out
}

// wipe clears the bundle's key material.
func (b *keyBundle) wipe() {
	b.master.Wipe()
	b.chunkID.Wipe()
	b.chunker.Wipe()
	b.index.Wipe()
	b.token.Wipe()
	clear(b.share)
}

// decodeBundle parses a key bundle. An unknown role is unsupported (a newer
// writer), never damage or a wrong password.
func decodeBundle(b []byte) (*keyBundle, error) {
	if len(b) < 5 || string(b[:4]) != keyBundleMagic {
		return nil, fmt.Errorf("%w: key bundle", ErrMalformed)
	}
	kb := &keyBundle{role: b[4]}
	body := b[5:]
	switch kb.role {
	case roleFull:
		if len(b) != keyBundleFullSize {
			return nil, fmt.Errorf("%w: full-access key bundle of %d bytes", ErrMalformed, len(b))
		}
		copy(kb.master[:], body)
		if crypto.Key(kb.master).IsZero() {
			return nil, fmt.Errorf("%w: all-zero master key", ErrMalformed)
		}
	case roleWriteOnly:
		if len(b) != keyBundleWriteSize && len(b) != keyBundleWriteTableSize {
			return nil, fmt.Errorf("%w: write-only key bundle of %d bytes", ErrMalformed, len(b))
		}
		copy(kb.chunkID[:], body[0:32])
		copy(kb.chunker[:], body[32:64])
		copy(kb.index[:], body[64:96])
		copy(kb.pub[:], body[96:128])
		if len(b) == keyBundleWriteTableSize {
			copy(kb.token[:], body[128:160])
			if kb.token.IsZero() {
				return nil, fmt.Errorf("%w: all-zero key in a write-only bundle", ErrMalformed)
			}
		}
		if kb.chunkID.IsZero() || kb.chunker.IsZero() || kb.index.IsZero() {
			return nil, fmt.Errorf("%w: all-zero key in a write-only bundle", ErrMalformed)
		}
	case roleCustody:
		if len(body) != shareSize {
			return nil, fmt.Errorf("%w: custody bundle of %d bytes", ErrMalformed, len(b))
		}
		kb.share = append([]byte(nil), body...)
	default:
		return nil, fmt.Errorf("%w: key role %d", ErrUnsupported, kb.role)
	}
	return kb, nil
}
