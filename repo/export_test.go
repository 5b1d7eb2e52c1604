package repo

import "github.com/custodia-backup/custodia/crypto"

// Hooks into unexported stages for the benchmarks of package repo_test,
// which share the test fixtures (a package that imports repo).

// CompressStage encodes payload as a blob is encoded at level c.
func CompressStage(dst, payload []byte, c Compression) []byte {
	enc, _ := c.encoder()
	return encodePayload(dst, payload, enc)
}

// DecompressStage decodes what CompressStage encoded.
func DecompressStage(dst, enc []byte, maxSize int) ([]byte, error) {
	return decodePayload(dst, enc, maxSize)
}

// SealStage returns a function that seals a blob's plaintext under k as
// SaveBlob does.
func SealStage(k crypto.Key) func(dst, plaintext []byte, h BlobHandle) []byte {
	sk := newSealKey(keyData, k)
	return func(dst, plaintext []byte, h BlobHandle) []byte {
		return sk.aead.Seal(dst, plaintext, blobAD(h))
	}
}
