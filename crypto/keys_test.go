package crypto

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zeebo/blake3"
)

// testMaster is the master key 00 01 02 ... 1f used by known-answer tests.
func testMaster() MasterKey {
	var m MasterKey
	for i := range m {
		m[i] = byte(i)
	}
	return m
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestRandomKey(t *testing.T) {
	a, err := RandomKey()
	require.NoError(t, err)
	b, err := RandomKey()
	require.NoError(t, err)
	assert.False(t, a.IsZero())
	assert.False(t, a.Equal(b), "two random keys must differ")
	m, err := NewMasterKey()
	require.NoError(t, err)
	assert.False(t, Key(m).IsZero())
}

func TestKeyFromBytes(t *testing.T) {
	k, err := RandomKey()
	require.NoError(t, err)
	got, err := KeyFromBytes(k[:])
	require.NoError(t, err)
	assert.Equal(t, k, got)
	for _, n := range []int{0, 31, 33} {
		_, err := KeyFromBytes(make([]byte, n))
		assert.ErrorIs(t, err, ErrMalformed, "len %d", n)
	}
}

func TestKeyWipe(t *testing.T) {
	k, err := RandomKey()
	require.NoError(t, err)
	k.Wipe()
	assert.True(t, k.IsZero())
	m := testMaster()
	m.Wipe()
	assert.Equal(t, MasterKey{}, m)
}

// TestDeriveKnownAnswers pins the derivation of every purpose and the KeyID
// for the master key 00..1f. These values are part of the on-disk format:
// if this test fails, existing repositories become unreadable.
func TestDeriveKnownAnswers(t *testing.T) {
	m := testMaster()
	want := map[string]string{
		PurposeChunkID: "6555e5aeda1f18f11ec5980e6defe1ead608344eaa76e47ed8a286be13e2544a",
		PurposeChunker: "2b7303df429f90279d83bb263d4d7e47693dfffd3f8fafba1a786b85c555ecc2",
		PurposeIndex:   "02a5edd48da3477e4e508dbc91bbecd97412a30dc81609307cfb5a9334b515ad",
		PurposeData:    "5c155d9f8e1561cdf1d059575ed463b2621e37881a71621223bce74ea38400df",
		PurposeX25519:  "0412e243ee9284928f4650b9a427eddc33cd256b285e59cb722030113a18d6a1",
	}
	for purpose, hexKey := range want {
		got := m.Derive(purpose)
		assert.Equal(t, hexKey, hex.EncodeToString(got[:]), "purpose %q", purpose)
	}
	assert.Equal(t, "975ae4eb1223e0d80ff5b4003c26f033", m.ID().String())
}

// TestBLAKE3DeriveKeyVectors checks the BLAKE3 implementation's derive-key
// mode against the official BLAKE3 test vectors (test_vectors.json: input is
// the repeating bytes 0..250, context "BLAKE3 2019-12-27 16:29:52 test vectors
// context"), so the pinned values above rest on a verified primitive.
func TestBLAKE3DeriveKeyVectors(t *testing.T) {
	const ctx = "BLAKE3 2019-12-27 16:29:52 test vectors context"
	for _, tc := range []struct {
		inputLen int
		want     string // first 32 bytes of the extended output
	}{
		{0, "2cc39783c223154fea8dfb7c1b1660f2ac2dcbd1c1de8277b0b0dd39b7e50d7d"},
		{1, "b3e2e340a117a499c6cf2398a19ee0d29cca2bb7404c73063382693bf66cb06c"},
		{1023, "74a16c1c3d44368a86e1ca6df64be6a2f64cce8f09220787450722d85725dea5"},
		{1024, "7356cd7720d5b66b6d0697eb3177d9f8d73a4a5c5e968896eb6a689684302706"},
	} {
		in := make([]byte, tc.inputLen)
		for i := range in {
			in[i] = byte(i % 251)
		}
		out := make([]byte, 32)
		blake3.DeriveKey(ctx, in, out)
		assert.Equal(t, tc.want, hex.EncodeToString(out), "input_len %d", tc.inputLen)
	}
}

// TestDeriveMatchesSpec checks Derive and ID against BLAKE3 derive-key called
// directly with the context strings written in docs/FORMAT.md.
func TestDeriveMatchesSpec(t *testing.T) {
	m := testMaster()
	for _, purpose := range []string{PurposeChunkID, PurposeChunker, PurposeIndex, PurposeData, PurposeX25519, "custom purpose"} {
		var want [32]byte
		blake3.DeriveKey("custodia v1 "+purpose, m[:], want[:])
		assert.Equal(t, Key(want), m.Derive(purpose), purpose)
	}
	var wantID [16]byte
	blake3.DeriveKey("custodia v1 key-id", m[:], wantID[:])
	assert.Equal(t, KeyID(wantID), m.ID())
	assert.Equal(t, KeyID(wantID), Key(m).ID())
}

func TestDeriveDeterministicAndSeparated(t *testing.T) {
	m, err := NewMasterKey()
	require.NoError(t, err)
	other, err := NewMasterKey()
	require.NoError(t, err)
	seen := map[Key]string{}
	for _, p := range []string{PurposeChunkID, PurposeChunker, PurposeIndex, PurposeData, PurposeX25519} {
		k := m.Derive(p)
		assert.Equal(t, k, m.Derive(p), "Derive must be deterministic")
		assert.NotEqual(t, k, other.Derive(p), "different masters must give different subkeys")
		assert.NotEqual(t, Key(m), k, "subkey must differ from the master")
		if prev, dup := seen[k]; dup {
			t.Fatalf("purposes %q and %q derive the same key", prev, p)
		}
		seen[k] = p
	}
}

func TestDeriveReservedPurposePanics(t *testing.T) {
	m := testMaster()
	assert.PanicsWithValue(t, "crypto: MasterKey.Derive: purpose \"key-id\" is reserved for KeyIDs", func() {
		m.Derive(ReservedPurposeKeyID)
	})
}

func TestKeyIDText(t *testing.T) {
	k, err := RandomKey()
	require.NoError(t, err)
	id := k.ID()
	s := id.String()
	assert.Len(t, s, 32)
	parsed, err := ParseKeyID(s)
	require.NoError(t, err)
	assert.Equal(t, id, parsed)

	txt, err := id.MarshalText()
	require.NoError(t, err)
	var back KeyID
	require.NoError(t, back.UnmarshalText(txt))
	assert.Equal(t, id, back)

	for _, bad := range []string{"", "00", s + "0", s[:31] + "g"} {
		_, err := ParseKeyID(bad)
		assert.ErrorIs(t, err, ErrMalformed, "%q", bad)
		assert.ErrorIs(t, back.UnmarshalText([]byte(bad)), ErrMalformed)
	}
	assert.Equal(t, id, back, "failed UnmarshalText must not modify the KeyID")
}

func TestKeyIDDiffersPerKey(t *testing.T) {
	a, err := RandomKey()
	require.NoError(t, err)
	b, err := RandomKey()
	require.NoError(t, err)
	assert.NotEqual(t, a.ID(), b.ID())
	assert.Equal(t, a.ID(), a.ID())
}

func BenchmarkDerive(b *testing.B) {
	m := testMaster()
	b.SetBytes(KeySize)
	for b.Loop() {
		_ = m.Derive(PurposeData)
	}
}

func BenchmarkKeyID(b *testing.B) {
	k := Key(testMaster())
	b.SetBytes(KeySize)
	for b.Loop() {
		_ = k.ID()
	}
}
