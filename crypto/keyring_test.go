package crypto

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newMasters(t testing.TB, n int) []MasterKey {
	t.Helper()
	out := make([]MasterKey, n)
	for i := range out {
		m, err := NewMasterKey()
		require.NoError(t, err)
		out[i] = m
	}
	return out
}

func TestKeyringRoundTrip(t *testing.T) {
	ms := newMasters(t, 4)
	newest, older := ms[3], ms[:3]
	sealed, err := SealKeyring(newest, older)
	require.NoError(t, err)
	assert.Len(t, sealed, 11+3*KeySize+Overhead)
	got, err := OpenKeyring(newest, sealed)
	require.NoError(t, err)
	assert.Equal(t, older, got)

	empty, err := SealKeyring(newest, nil)
	require.NoError(t, err)
	got, err = OpenKeyring(newest, empty)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestKeyringPlaintext(t *testing.T) {
	ms := newMasters(t, 2)
	plain, err := MarshalKeyring(ms)
	require.NoError(t, err)
	assert.Equal(t, "CSTDKRNG\x01\x00\x02", string(plain[:11]))
	assert.Equal(t, ms[0][:], plain[11:43])
	got, err := UnmarshalKeyring(plain)
	require.NoError(t, err)
	assert.Equal(t, ms, got)
	_, err = MarshalKeyring([]MasterKey{ms[1], ms[1]})
	assert.ErrorIs(t, err, ErrMalformed)
	_, err = UnmarshalKeyring(plain[:42])
	assert.ErrorIs(t, err, ErrMalformed)
}

// TestKeyringMatchesSpec opens a keyring built by hand from docs/FORMAT.md.
func TestKeyringMatchesSpec(t *testing.T) {
	ms := newMasters(t, 3)
	plain := []byte("CSTDKRNG\x01\x00\x02")
	plain = append(plain, ms[0][:]...)
	plain = append(plain, ms[1][:]...)
	id := ms[2].ID()
	sealed := NewAEAD(ms[2].Derive("keyring")).Seal(nil, plain, append([]byte("custodia v1 keyring"), id[:]...))
	got, err := OpenKeyring(ms[2], sealed)
	require.NoError(t, err)
	assert.Equal(t, ms[:2], got)
}

func TestKeyringRejects(t *testing.T) {
	ms := newMasters(t, 3)
	sealed, err := SealKeyring(ms[2], ms[:2])
	require.NoError(t, err)
	_, err = OpenKeyring(ms[1], sealed)
	assert.ErrorIs(t, err, ErrAuthentication, "wrong newest key")
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 1
		_, err := OpenKeyring(ms[2], bad)
		assert.ErrorIs(t, err, ErrAuthentication, "byte %d", i)
	}

	_, err = SealKeyring(ms[2], []MasterKey{ms[0], ms[0]})
	assert.ErrorIs(t, err, ErrMalformed, "duplicate")
	_, err = SealKeyring(ms[2], []MasterKey{ms[2]})
	assert.ErrorIs(t, err, ErrMalformed, "newest in older")
	_, err = SealKeyring(ms[2], []MasterKey{{}})
	assert.ErrorIs(t, err, ErrMalformed, "zero key")

	// Authentic but malformed plaintexts.
	k := ms[2].Derive(PurposeKeyring)
	id := ms[2].ID()
	ad := append([]byte("custodia v1 keyring"), id[:]...)
	for name, plain := range map[string][]byte{
		"empty":     {},
		"bad magic": []byte("CSTDKRNX\x01\x00\x00"),
		"version 2": []byte("CSTDKRNG\x02\x00\x00"),
		"count":     append([]byte("CSTDKRNG\x01\x00\x02"), make([]byte, 32)...),
	} {
		_, err := OpenKeyring(ms[2], NewAEAD(k).Seal(nil, plain, ad))
		assert.ErrorIs(t, err, ErrMalformed, name)
	}
}

// FuzzOpenKeyring feeds arbitrary plaintexts, sealed under the right key so
// they authenticate, to the keyring layout parser.
func FuzzOpenKeyring(f *testing.F) {
	var newest MasterKey
	copy(newest[:], "fuzz newest master key fuzz new!")
	var old MasterKey
	copy(old[:], "fuzz older master key fuzz older")
	f.Add(append([]byte("CSTDKRNG\x01\x00\x01"), old[:]...))
	f.Add([]byte("CSTDKRNG\x01\x00\x00"))
	f.Add([]byte("CSTDKRNG\x01\xff\xff"))
	f.Add([]byte{})
	k := newest.Derive(PurposeKeyring)
	aead := NewAEAD(k)
	ad := keyringAdditionalData(newest)
	f.Fuzz(func(t *testing.T, plain []byte) {
		keys, err := OpenKeyring(newest, aead.Seal(nil, plain, ad))
		if err != nil {
			if keys != nil {
				t.Fatal("keys returned with an error")
			}
			return
		}
		if len(plain) != 11+len(keys)*KeySize {
			t.Fatalf("accepted %d bytes as %d keys", len(plain), len(keys))
		}
		// Tampered ciphertext never opens.
		if _, err := OpenKeyring(newest, plain); err == nil {
			t.Fatal("unsealed plaintext opened")
		}
	})
}
