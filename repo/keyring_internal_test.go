package repo

import (
	"context"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/custodia-backup/custodia/crypto"
)

// The keyring object vector of docs/FORMAT.md §17.5: M_0 = 00 01 … 1f,
// M_1 = 20 21 … 3f, nonce 24 × 3c, raw encoding.
const (
	keyringVectorName = "keyrings/ca4be585ca4cf2e52053e131c3657449"
	keyringVectorObj  = "434b524701e984a6c3b7c84c34be8007749f3804953c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c01c0a6ed704466c94fb27d417e8e7d12be9881b1f32bc602d9018db57e92814df7028dc961e35651ab69bfc393ccbfbc1ad2723077ddece57485f10a"
)

func TestKeyringVector(t *testing.T) {
	var m0, m1 crypto.MasterKey
	for i := range m0 {
		m0[i], m1[i] = byte(i), byte(0x20+i)
	}
	require.Equal(t, keyringVectorName, keyringPrefix+m1.ID().String())
	kk := m1.Derive(crypto.PurposeKeyring)
	assert.Equal(t, "34c5d0dcc8d983e7a8f34eec0260062425c122600de29b99ecf142a1620cb2fd", hex.EncodeToString(kk[:]))
	assert.Equal(t, "e984a6c3b7c84c34be8007749f380495", kk.ID().String())
	plain, err := crypto.MarshalKeyring([]crypto.MasterKey{m0})
	require.NoError(t, err)
	assert.Equal(t, "435354444b524e47"+"01"+"0001"+"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", hex.EncodeToString(plain))

	// Sealed as the format says, with the fixed nonce.
	ad := envelopeAD(magicKeyring, kk.ID(), keyringVectorName)
	aead, err := chacha20poly1305.NewX(kk[:])
	require.NoError(t, err)
	nonce := make([]byte, 24)
	for i := range nonce {
		nonce[i] = 0x3c
	}
	obj := append([]byte{}, ad[:envelopeHeader]...)
	obj = append(obj, nonce...)
	obj = aead.Seal(obj, nonce, append([]byte{encRaw}, plain...), ad)
	require.Equal(t, keyringVectorObj, hex.EncodeToString(obj))

	// The repository reads it.
	_, st := internalRepo(t)
	require.NoError(t, st.Put(context.Background(), keyringVectorName, obj))
	older, err := readKeyring(context.Background(), st, m1)
	require.NoError(t, err)
	require.Equal(t, []crypto.MasterKey{m0}, older)
	// Another master key finds no keyring (generation 0).
	older, err = readKeyring(context.Background(), st, m0)
	require.NoError(t, err)
	require.Empty(t, older)
	// A keyring under the name of m0 that does not open is damage.
	require.NoError(t, st.Put(context.Background(), keyringPrefix+m0.ID().String(), obj))
	_, err = readKeyring(context.Background(), st, m0)
	require.ErrorIs(t, err, ErrMalformed)
}
