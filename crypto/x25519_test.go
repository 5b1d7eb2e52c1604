package crypto

import (
	"bytes"
	"crypto/sha256"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/hkdf"
)

// TestX25519RFC7748 checks key-pair derivation against RFC 7748 section 6.1.
func TestX25519RFC7748(t *testing.T) {
	var alice Key
	copy(alice[:], mustHex(t, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
	priv, pub := NewX25519FromSeed(alice)
	assert.Equal(t, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", pub.String())
	assert.Equal(t, pub, priv.Public())
	assert.Equal(t, alice[:], priv[:])
}

func TestWrapUnwrapRoundTrip(t *testing.T) {
	m, err := NewMasterKey()
	require.NoError(t, err)
	priv, pub := NewX25519FromSeed(m.Derive(PurposeX25519))
	dataKey, err := RandomKey()
	require.NoError(t, err)

	w1, err := WrapKey(pub, dataKey)
	require.NoError(t, err)
	require.Len(t, w1, WrappedKeySize)
	assert.Equal(t, 97, WrappedKeySize)
	w2, err := WrapKey(pub, dataKey)
	require.NoError(t, err)
	assert.NotEqual(t, w1, w2, "each wrap uses a fresh ephemeral key")

	for _, w := range [][]byte{w1, w2} {
		got, err := UnwrapKey(priv, w)
		require.NoError(t, err)
		assert.Equal(t, dataKey, got)
		id, err := WrappedKeyRecipient(w)
		require.NoError(t, err)
		assert.Equal(t, pub.ID(), id)
	}
}

// TestWrapMatchesSpec unwraps a key wrapped by hand following docs/FORMAT.md
// with x/crypto primitives.
func TestWrapMatchesSpec(t *testing.T) {
	priv, pub, err := GenerateX25519()
	require.NoError(t, err)
	k, err := RandomKey()
	require.NoError(t, err)

	eph := bytes.Repeat([]byte{7}, 32)
	ephPub, err := curve25519.X25519(eph, curve25519.Basepoint)
	require.NoError(t, err)
	shared, err := curve25519.X25519(eph, pub[:])
	require.NoError(t, err)
	wk := make([]byte, 32)
	_, err = io.ReadFull(hkdf.New(sha256.New, shared, append(bytes.Clone(ephPub), pub[:]...), []byte("custodia v1 x25519 wrap")), wk)
	require.NoError(t, err)
	aead, err := chacha20poly1305.New(wk)
	require.NoError(t, err)
	id := pub.ID()
	header := append([]byte{1}, id[:]...)
	wrapped := append(append(bytes.Clone(header), ephPub...), aead.Seal(nil, make([]byte, 12), k[:], header)...)

	got, err := UnwrapKey(priv, wrapped)
	require.NoError(t, err)
	assert.Equal(t, k, got)
}

func TestUnwrapWrongKey(t *testing.T) {
	_, pub, err := GenerateX25519()
	require.NoError(t, err)
	other, _, err := GenerateX25519()
	require.NoError(t, err)
	k, err := RandomKey()
	require.NoError(t, err)
	w, err := WrapKey(pub, k)
	require.NoError(t, err)
	got, err := UnwrapKey(other, w)
	assert.ErrorIs(t, err, ErrAuthentication)
	assert.Equal(t, Key{}, got)

	// Even with the recipient ID rewritten to match, the wrong key cannot open it.
	forged := bytes.Clone(w)
	oid := other.Public().ID()
	copy(forged[1:17], oid[:])
	_, err = UnwrapKey(other, forged)
	assert.ErrorIs(t, err, ErrAuthentication)
}

func TestUnwrapTamper(t *testing.T) {
	priv, pub, err := GenerateX25519()
	require.NoError(t, err)
	k, err := RandomKey()
	require.NoError(t, err)
	w, err := WrapKey(pub, k)
	require.NoError(t, err)
	for i := range w {
		bad := bytes.Clone(w)
		bad[i] ^= 0x04
		got, err := UnwrapKey(priv, bad)
		require.Error(t, err, "byte %d", i)
		assert.Equal(t, Key{}, got)
		if i == 0 {
			assert.ErrorIs(t, err, ErrMalformed, "version byte")
		} else if !assert.ErrorIs(t, err, ErrAuthentication, "byte %d", i) {
			// A flipped ephemeral key may land on a low-order point.
			assert.ErrorIs(t, err, ErrMalformed, "byte %d", i)
		}
	}
}

func TestUnwrapMalformed(t *testing.T) {
	priv, pub, err := GenerateX25519()
	require.NoError(t, err)
	w, err := WrapKey(pub, Key{1})
	require.NoError(t, err)
	for _, b := range [][]byte{nil, w[:1], w[:WrappedKeySize-1], append(bytes.Clone(w), 0)} {
		_, err := UnwrapKey(priv, b)
		assert.ErrorIs(t, err, ErrMalformed, "len %d", len(b))
		_, err = WrappedKeyRecipient(b)
		assert.ErrorIs(t, err, ErrMalformed)
	}
	// A low-order ephemeral public key (all zero) gives an all-zero shared secret.
	lowOrder := bytes.Clone(w)
	clear(lowOrder[17:49])
	_, err = UnwrapKey(priv, lowOrder)
	assert.ErrorIs(t, err, ErrMalformed)

	// Wrapping to a low-order public key is refused.
	_, err = WrapKey(PublicKey{}, Key{1})
	assert.ErrorIs(t, err, ErrMalformed)
	var one PublicKey
	one[0] = 1
	_, err = WrapKey(one, Key{1})
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestPrivateKeyWipe(t *testing.T) {
	priv, _, err := GenerateX25519()
	require.NoError(t, err)
	priv.Wipe()
	assert.Equal(t, PrivateKey{}, priv)
}

func FuzzUnwrapKey(f *testing.F) {
	var seed Key
	copy(seed[:], "fuzz seed fuzz seed fuzz seed !!")
	priv, pub := NewX25519FromSeed(seed)
	w, err := WrapKey(pub, Key{42})
	require.NoError(f, err)
	f.Add(w)
	f.Add(w[:50])
	f.Add([]byte{})
	f.Add(make([]byte, WrappedKeySize))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := UnwrapKey(priv, b)
		if err != nil {
			if k != (Key{}) {
				t.Fatal("key returned with an error")
			}
			return
		}
		if len(b) != WrappedKeySize {
			t.Fatalf("accepted %d bytes", len(b))
		}
	})
}

func BenchmarkWrapKey(b *testing.B) {
	_, pub, err := GenerateX25519()
	require.NoError(b, err)
	b.SetBytes(KeySize)
	for b.Loop() {
		if _, err := WrapKey(pub, Key{1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnwrapKey(b *testing.B) {
	priv, pub, err := GenerateX25519()
	require.NoError(b, err)
	w, err := WrapKey(pub, Key{1})
	require.NoError(b, err)
	b.SetBytes(KeySize)
	for b.Loop() {
		if _, err := UnwrapKey(priv, w); err != nil {
			b.Fatal(err)
		}
	}
}
