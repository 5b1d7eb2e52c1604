package repo

import (
	"fmt"

	"github.com/custodia-backup/custodia/chunk"
)

// ID identifies blobs, packs, index files and snapshots: 32 bytes, written
// as 64 lowercase hex digits. Blob IDs are keyed BLAKE3 hashes of the blob's
// plaintext; the others are random.
type ID = chunk.ID

// BlobType tells what a blob holds.
type BlobType uint8

// Blob types.
const (
	// DataBlob holds a chunk of file or stream content.
	DataBlob BlobType = 0
	// TreeBlob holds a directory listing (a Tree, JSON encoded).
	TreeBlob BlobType = 1
)

// String returns "data" or "tree".
func (t BlobType) String() string {
	switch t {
	case DataBlob:
		return "data"
	case TreeBlob:
		return "tree"
	default:
		return fmt.Sprintf("blobtype(%d)", uint8(t))
	}
}

func (t BlobType) valid() bool { return t == DataBlob || t == TreeBlob }

// BlobHandle names one blob: its type and ID.
type BlobHandle struct {
	Type BlobType
	ID   ID
}

// String returns the type and the hex ID.
func (h BlobHandle) String() string { return h.Type.String() + " " + h.ID.String() }

// blobAD is the additional data under which a blob is sealed: its type and
// ID, so that no blob can be substituted for another.
func blobAD(h BlobHandle) []byte {
	var ad [33]byte
	ad[0] = byte(h.Type)
	copy(ad[1:], h.ID[:])
	return ad[:]
}
