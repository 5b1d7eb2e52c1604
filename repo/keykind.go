package repo

import (
	"fmt"
	"strings"

	"github.com/custodia-backup/custodia/crypto"
)

// keyKind says which subkey of the key model (docs/FORMAT.md §6.3, §17) a
// sealing key is. Every reader checks it against the object kind it opens
// (allowedKeys), so a key that may seal one kind cannot forge another: a
// holder of the index key (every write-only machine, every former holder
// of the master key) cannot write a snapshot or blob that full readers
// accept as sealed under the data key.
type keyKind uint8

const (
	keyIndex   keyKind = 1 << iota // subkey(M_0, "index")
	keyData                        // subkey(M_g, "data") of any generation g
	keySession                     // a write-only session key (§17.3)
	keyKeyring                     // subkey(M_n, "keyring") of the newest generation
	keyCustody                     // the key of a custody record, derived from its split's set ID
)

// String names the key kind as FORMAT.md does.
func (k keyKind) String() string {
	var names []string
	for _, n := range []struct {
		k    keyKind
		name string
	}{{keyIndex, "index key"}, {keyData, "data key"}, {keySession, "session key"}, {keyKeyring, "keyring key"}, {keyCustody, "custody record key"}} {
		if k&n.k != 0 {
			names = append(names, n.name)
		}
	}
	if len(names) == 0 {
		return "no key"
	}
	return strings.Join(names, " or ")
}

// objectKind is a kind of sealed object, for the allowed-keys table.
type objectKind uint8

const (
	kindConfig objectKind = iota + 1
	kindIndexFile
	kindSnapshot
	kindKeyring
	kindBlob // blobs of a pack, named by the pack trailer's data KeyID
	// The lifecycle objects (FORMAT.md §19.6–§19.8).
	kindRetention   // retention/<id>: a retention floor
	kindAppendOnly  // appendonly: the append-only mark
	kindPruneMarker // prune/<id>: a prune's marked candidates
	kindKeyInfo     // keyinfo/<id>: a key slot's description
	kindAudit       // audit/<seq>-<hash>: an audit log entry
	kindCustody     // custody/<id>: a custody split's record
	kindDrill       // drills/<id>: the summary of a restore drill
	kindTableKeys   // tablekeys/<id>: table protection keys of copied snapshots
)

// String names the object kind.
func (o objectKind) String() string {
	switch o {
	case kindConfig:
		return "config"
	case kindIndexFile:
		return "index file"
	case kindSnapshot:
		return "snapshot"
	case kindKeyring:
		return "keyring"
	case kindBlob:
		return "pack"
	case kindRetention:
		return "retention floor"
	case kindAppendOnly:
		return "append-only mark"
	case kindPruneMarker:
		return "prune marker"
	case kindKeyInfo:
		return "key description"
	case kindAudit:
		return "audit entry"
	case kindCustody:
		return "custody record"
	case kindDrill:
		return "drill record"
	case kindTableKeys:
		return "table keys"
	}
	return fmt.Sprintf("object kind %d", uint8(o))
}

// allowedKeys is the table of docs/FORMAT.md §6.9: which kinds of key may
// seal each kind of object. A reader that finds an object sealed under a
// key it knows but of another kind reports it as damaged, exactly as if
// the key were unknown.
var allowedKeys = map[objectKind]keyKind{
	kindConfig:    keyIndex,
	kindIndexFile: keyIndex,
	kindSnapshot:  keyData | keySession,
	kindKeyring:   keyKeyring,
	kindBlob:      keyData | keySession,
	// Only full key holders set floors and the append-only mark; every
	// writer, write-only ones too, reads prune markers (§19.6).
	kindRetention:   keyData,
	kindAppendOnly:  keyData,
	kindPruneMarker: keyIndex,
	kindKeyInfo:     keyIndex,
	kindAudit:       keyData | keySession,
	kindCustody:     keyCustody,
	// Drills read the data, so only full key holders record them.
	kindDrill: keyData,
	// Table keys decrypt level-1 values: full key holders only (§19.9).
	kindTableKeys: keyData,
}

// sealKey is an AEAD with the ID and kind of its key.
type sealKey struct {
	id   crypto.KeyID
	kind keyKind
	aead *crypto.AEAD
}

func newSealKey(kind keyKind, k crypto.Key) *sealKey {
	return &sealKey{id: k.ID(), kind: kind, aead: crypto.NewAEAD(k)}
}

// allows reports an error unless k may seal objects of kind o.
func (k *sealKey) allows(o objectKind) error {
	if allowedKeys[o]&k.kind == 0 {
		return fmt.Errorf("%w: %s sealed under the %s %s, which may not seal it (only the %s may)", ErrMalformed, o, k.kind, k.id, allowedKeys[o])
	}
	return nil
}
