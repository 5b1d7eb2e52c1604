package repo

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/crypto"
)

// FormatVersion is the repository format version this build writes.
const FormatVersion = 1

// Config is the repository's configuration, stored as the sealed object
// "config" (envelope kind "CCFG", index key, JSON payload). It holds no
// secret but is sealed like all metadata.
type Config struct {
	// Version is the repository format version.
	Version int `json:"version"`
	// ID is a random identifier of the repository.
	ID ID `json:"id"`
	// Created is when the repository was initialised.
	Created time.Time `json:"created"`
	// Chunker holds the content-defined chunking sizes.
	Chunker chunk.Params `json:"chunker"`
	// PackSize is the target size of a pack in bytes.
	PackSize int `json:"pack_size"`
	// DataShards and ParityShards are the erasure coding of new objects.
	DataShards   int `json:"data_shards"`
	ParityShards int `json:"parity_shards"`
	// PublicKey is the hex X25519 public key to which write-only writers
	// seal their session keys.
	PublicKey string `json:"public_key"`
	// Compression is the zstd level of new blobs; empty means
	// CompressionFastest. Readers need not know it: a level this build does
	// not know (from a newer one) opens with a warning and writes at the
	// fastest level.
	Compression Compression `json:"compression,omitempty"`
	// ObjectLock, when set, makes new objects locked on the sites that
	// can lock (objectlock.go). Builds that predate it ignore it.
	ObjectLock *ObjectLockConfig `json:"object_lock,omitempty"`
}

// DefaultPackSize is the target pack size: large enough for few objects,
// small enough to bound the memory of parallel uploads (a writer holds
// three packs with their parity).
const DefaultPackSize = 8 << 20

func (c *Config) validate() error {
	if c.Version != FormatVersion {
		return fmt.Errorf("%w: repository format version %d (this build reads %d)", ErrUnsupported, c.Version, FormatVersion)
	}
	if err := c.Chunker.Validate(); err != nil {
		return fmt.Errorf("%w: config: %w", ErrMalformed, err)
	}
	if c.DataShards < 1 || c.ParityShards < 0 || c.DataShards+c.ParityShards > 255 {
		return fmt.Errorf("%w: config: %d+%d shards", ErrMalformed, c.DataShards, c.ParityShards)
	}
	if c.PackSize < 1<<20 || c.PackSize > 256<<20 {
		return fmt.Errorf("%w: config: pack size %d", ErrMalformed, c.PackSize)
	}
	if c.ObjectLock != nil {
		return c.ObjectLock.validate()
	}
	return nil
}

func decodeConfig(b []byte) (*Config, error) {
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%w: config: %v", ErrMalformed, err)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// randomID returns a fresh random ID.
func randomID() (ID, error) {
	k, err := crypto.RandomKey()
	if err != nil {
		return ID{}, err
	}
	return ID(k), nil
}
