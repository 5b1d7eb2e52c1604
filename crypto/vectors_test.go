package crypto

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// The vectors in this file are reproduced in docs/FORMAT.md ("Test vectors").
// They pin the byte formats: if one of these tests fails, stored data written
// by earlier versions can no longer be read.

// countingReader yields 0, 1, 2, ... (mod 256) as deterministic "randomness".
type countingReader struct{ next byte }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.next
		c.next++
	}
	return len(p), nil
}

func TestVectorPasswordSlot(t *testing.T) {
	password, payload := []byte("custodia"), []byte("master key payload")
	salt := bytes.Repeat([]byte{0xa5}, 32)
	nonce := bytes.Repeat([]byte{0x3c}, 24)
	header := []byte("CSTDSLOT\x01\x01")
	header = binary.BigEndian.AppendUint32(header, 1)
	header = binary.BigEndian.AppendUint32(header, 8)
	header = append(header, 1)
	header = append(header, salt...)
	x, err := chacha20poly1305.NewX(argon2.IDKey(password, salt, 1, 8, 1, 32))
	require.NoError(t, err)
	file := append(append(bytes.Clone(header), nonce...), x.Seal(nil, nonce, payload, header)...)
	const want = "43535444534c4f5401010000000100000008" + "01" +
		"a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5" +
		"3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c" +
		"1c0a147d06df22edc4a193f7dea5f0a310a771885b45121e9ad46c529459becb732c"
	assert.Equal(t, want, hex.EncodeToString(file))

	var s PasswordSlot
	require.NoError(t, s.UnmarshalBinary(file))
	got, err := s.Open(password)
	require.NoError(t, err)
	assert.Equal(t, payload, got)
}

func TestVectorWrapKey(t *testing.T) {
	var recipientSeed Key
	copy(recipientSeed[:], mustHex(t, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
	priv, pub := NewX25519FromSeed(recipientSeed)
	var eph [32]byte
	copy(eph[:], mustHex(t, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
	var k Key
	for i := range k {
		k[i] = byte(i)
	}
	w, err := wrapKey(&eph, pub, k)
	require.NoError(t, err)
	assert.Equal(t, "be0d3a0efb429ef9da20272ed82d3a16", pub.ID().String())
	assert.Equal(t, "01"+"be0d3a0efb429ef9da20272ed82d3a16"+
		"de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"+
		"740853da26e545bb35aeafa2a5cb4b3e988c5941f8f24c5094a63dc670deb9a1"+
		"a341eaad31cd6feeeff24d3254810006", hex.EncodeToString(w))
	got, err := UnwrapKey(priv, w)
	require.NoError(t, err)
	assert.Equal(t, k, got)
}

func TestVectorShares(t *testing.T) {
	shares, err := splitSecret(&countingReader{}, []byte("custodia"), 2, 3)
	require.NoError(t, err)
	want := []string{
		"01020100010203040506076b7c797f6369676edf352ea6f46b350f97ad84c2a698a45e custodia-share-1-aebacaab-aibqibig-a5vxy6l7-mnuwo3w7-guxkn5dl-guhzplme-yktjrjc6-axuyixa",
		"010202000102030405060773676762777e757fef061893c8540f36bf86aaef82bf867f custodia-share-1-aebaeaab-aibqibig-a5zwoz3c-o57hk77p-aymjhscu-b43l7bvk-56bl7bt7-pklwkny",
		"01020300010203040506077b6e6d697b737b70ff170a80dc411921a79fb0f49ea29860 custodia-share-1-aebagaab-aibqibig-a55w43lj-pnzxw4h7-c4fibxcb-deq2ph5q-6spkfgda-2k2ugzq",
	}
	for i, s := range shares {
		b, err := s.MarshalBinary()
		require.NoError(t, err)
		txt, err := s.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, want[i], hex.EncodeToString(b)+" "+string(txt), "share %d", i+1)
	}
	got, err := CombineShares(shares[1:])
	require.NoError(t, err)
	assert.Equal(t, "custodia", string(got))
}

func TestVectorKeyring(t *testing.T) {
	newest := testMaster()
	var older MasterKey
	for i := range older {
		older[i] = byte(0xff - i)
	}
	k := newest.Derive(PurposeKeyring)
	assert.Equal(t, "a63c8445b00ad213a8997196729136116c195d40bb7cdc951b4843db5569cb42", hex.EncodeToString(k[:]))
	id := newest.ID()
	assert.Equal(t, "637573746f646961207631206b657972696e67"+"975ae4eb1223e0d80ff5b4003c26f033", hex.EncodeToString(keyringAdditionalData(newest)))
	assert.Equal(t, append([]byte("custodia v1 keyring"), id[:]...), keyringAdditionalData(newest))
	sealed, err := SealKeyring(newest, []MasterKey{older})
	require.NoError(t, err)
	got, err := OpenKeyring(newest, sealed)
	require.NoError(t, err)
	assert.Equal(t, []MasterKey{older}, got)
}
