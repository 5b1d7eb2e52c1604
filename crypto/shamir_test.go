package crypto

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refMul is a slow, obviously correct GF(2^8) multiplication: carry-less
// product, then reduction modulo 0x11b.
func refMul(a, b byte) byte {
	var p uint16
	for i := 0; i < 8; i++ {
		if b&(1<<i) != 0 {
			p ^= uint16(a) << i
		}
	}
	for i := 15; i >= 8; i-- {
		if p&(1<<i) != 0 {
			p ^= 0x11b << (i - 8)
		}
	}
	return byte(p)
}

func TestGFArithmetic(t *testing.T) {
	// FIPS-197 section 4.2 examples.
	assert.Equal(t, byte(0xc1), gfMul(0x57, 0x83))
	assert.Equal(t, byte(0x01), gfMul(0x53, 0xca))
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			if got, want := gfMul(byte(a), byte(b)), refMul(byte(a), byte(b)); got != want {
				t.Fatalf("gfMul(%#x, %#x) = %#x, want %#x", a, b, got, want)
			}
		}
		if a != 0 {
			if p := gfMul(byte(a), gfInv(byte(a))); p != 1 {
				t.Fatalf("a * inv(a) = %#x for a = %#x", p, a)
			}
		}
	}
	assert.Equal(t, byte(0), gfInv(0))
}

func TestShamirEverySubset(t *testing.T) {
	secret := []byte("master key 0123456789abcdef!!!!!")
	const threshold, n = 3, 5
	shares, err := SplitSecret(secret, threshold, n)
	require.NoError(t, err)
	require.Len(t, shares, n)
	for i, s := range shares {
		assert.Equal(t, i+1, s.Index())
		assert.Equal(t, threshold, s.Threshold())
		assert.Equal(t, 1, s.Version())
		assert.Equal(t, shares[0].SetID(), s.SetID())
		assert.Equal(t, len(secret), s.SecretSize())
		assert.NotContains(t, string(s.value), string(secret))
	}
	for mask := 1; mask < 1<<n; mask++ {
		var subset []Share
		for i := 0; i < n; i++ {
			if mask&(1<<i) != 0 {
				subset = append(subset, shares[i])
			}
		}
		got, err := CombineShares(subset)
		if len(subset) >= threshold {
			require.NoError(t, err, "subset %05b", mask)
			assert.Equal(t, secret, got, "subset %05b", mask)
		} else {
			assert.ErrorIs(t, err, ErrNotEnoughShares, "subset %05b", mask)
			assert.ErrorIs(t, err, ErrInvalidShares, "subset %05b", mask)
			assert.Nil(t, got)
		}
	}
	// Order does not matter.
	got, err := CombineShares([]Share{shares[4], shares[0], shares[2]})
	require.NoError(t, err)
	assert.Equal(t, secret, got)
}

func TestShamirSizes(t *testing.T) {
	for _, tc := range []struct{ size, threshold, n int }{
		{1, 2, 2}, {32, 2, 3}, {MaxSecretSize, 4, 7}, {32, 255, 255}, {16, 2, 255},
	} {
		secret := randomBytes(t, tc.size)
		shares, err := SplitSecret(secret, tc.threshold, tc.n)
		require.NoError(t, err)
		got, err := CombineShares(shares[tc.n-tc.threshold:])
		require.NoError(t, err, "%+v", tc)
		assert.Equal(t, secret, got, "%+v", tc)
	}
}

func TestShamirInvalidSplit(t *testing.T) {
	for _, tc := range []struct{ size, threshold, n int }{
		{32, 1, 3}, {32, 0, 3}, {32, 4, 3}, {32, 2, 256}, {32, -1, 2}, {0, 2, 3}, {MaxSecretSize + 1, 2, 3},
	} {
		_, err := SplitSecret(make([]byte, tc.size), tc.threshold, tc.n)
		assert.ErrorIs(t, err, ErrInvalidShares, "%+v", tc)
	}
}

func TestShamirFewerThanThresholdFail(t *testing.T) {
	secret := []byte("two-person control")
	shares, err := SplitSecret(secret, 4, 6)
	require.NoError(t, err)
	_, err = CombineShares(shares[:3])
	assert.ErrorIs(t, err, ErrNotEnoughShares)
	_, err = CombineShares(nil)
	assert.ErrorIs(t, err, ErrNotEnoughShares)

	// Lying about the threshold does not help: three shares of a degree-3
	// polynomial interpolate to the wrong value and the check catches it.
	lied := make([]Share, 3)
	for i := range lied {
		lied[i] = shares[i]
		lied[i].threshold = 3
	}
	_, err = CombineShares(lied)
	assert.ErrorIs(t, err, ErrShareMismatch)
}

func TestShamirTamperedShare(t *testing.T) {
	secret := []byte("master key")
	shares, err := SplitSecret(secret, 2, 3)
	require.NoError(t, err)
	for b := range shares[0].value {
		bad := shares[0]
		bad.value = bytes.Clone(bad.value)
		bad.value[b] ^= 0x20
		got, err := CombineShares([]Share{bad, shares[1]})
		assert.ErrorIs(t, err, ErrShareMismatch, "byte %d", b)
		assert.ErrorIs(t, err, ErrInvalidShares)
		assert.Nil(t, got)
		// One bad share among more than threshold is detected too.
		_, err = CombineShares([]Share{shares[2], bad, shares[1]})
		assert.ErrorIs(t, err, ErrShareMismatch, "byte %d", b)
	}
	// A wrong index is a wrong share as well.
	moved := shares[0]
	moved.index = 9
	_, err = CombineShares([]Share{moved, shares[1]})
	assert.ErrorIs(t, err, ErrShareMismatch)
}

func TestShamirMixedAndDuplicate(t *testing.T) {
	a, err := SplitSecret([]byte("secret A"), 2, 3)
	require.NoError(t, err)
	b, err := SplitSecret([]byte("secret A"), 2, 3)
	require.NoError(t, err)
	require.NotEqual(t, a[0].SetID(), b[0].SetID())
	_, err = CombineShares([]Share{a[0], b[1]})
	assert.ErrorIs(t, err, ErrMixedShares)
	assert.ErrorIs(t, err, ErrInvalidShares)

	longer, err := SplitSecret([]byte("secret AB"), 2, 3)
	require.NoError(t, err)
	forged := longer[1]
	forged.setID = a[0].setID
	_, err = CombineShares([]Share{a[0], forged})
	assert.ErrorIs(t, err, ErrMixedShares)

	_, err = CombineShares([]Share{a[0], a[0]})
	assert.ErrorIs(t, err, ErrDuplicateShare)
	_, err = CombineShares([]Share{a[0], a[1], a[0]})
	assert.ErrorIs(t, err, ErrDuplicateShare)

	_, err = CombineShares([]Share{{}, a[0]})
	assert.ErrorIs(t, err, ErrMalformed)
	assert.ErrorIs(t, err, ErrInvalidShares)
}

func TestShareBinaryRoundTrip(t *testing.T) {
	shares, err := SplitSecret([]byte("0123456789abcdef0123456789abcdef"), 2, 3)
	require.NoError(t, err)
	b, err := shares[1].MarshalBinary()
	require.NoError(t, err)
	require.Len(t, b, 11+32+16)
	assert.Equal(t, []byte{1, 2, 2}, b[:3])
	id := shares[1].SetID()
	assert.Equal(t, id[:], b[3:11])
	var back Share
	require.NoError(t, back.UnmarshalBinary(b))
	assert.Equal(t, shares[1], back)

	for _, bad := range [][]byte{nil, b[:11], b[:11+16], {2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}} {
		var s Share
		assert.ErrorIs(t, s.UnmarshalBinary(bad), ErrMalformed)
		assert.Equal(t, Share{}, s)
	}
	zeroIndex := bytes.Clone(b)
	zeroIndex[2] = 0
	assert.ErrorIs(t, back.UnmarshalBinary(zeroIndex), ErrMalformed)
	thresholdOne := bytes.Clone(b)
	thresholdOne[1] = 1
	assert.ErrorIs(t, back.UnmarshalBinary(thresholdOne), ErrMalformed)
	_, err = Share{}.MarshalBinary()
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestShareTextRoundTrip(t *testing.T) {
	m, err := NewMasterKey()
	require.NoError(t, err)
	shares, err := SplitSecret(m[:], 2, 3)
	require.NoError(t, err)
	var texts []Share
	for _, s := range shares {
		txt, err := s.MarshalText()
		require.NoError(t, err)
		str := string(txt)
		assert.True(t, strings.HasPrefix(str, ShareTextPrefix), str)
		assert.Equal(t, strings.ToLower(str), str)
		var back Share
		require.NoError(t, back.UnmarshalText(txt))
		assert.Equal(t, s, back)

		// Upper case, regrouped with spaces and line breaks still decodes.
		body := strings.ReplaceAll(strings.TrimPrefix(str, ShareTextPrefix), "-", "")
		loose := "  " + strings.ToUpper(ShareTextPrefix) + strings.ToUpper(body[:10]) + " \n" + body[10:] + "\n"
		var back2 Share
		require.NoError(t, back2.UnmarshalText([]byte(loose)))
		assert.Equal(t, s, back2)
		texts = append(texts, back)
	}
	got, err := CombineShares(texts[1:])
	require.NoError(t, err)
	assert.Equal(t, m[:], got)
}

func TestShareTextTypoDetected(t *testing.T) {
	shares, err := SplitSecret([]byte("0123456789abcdef0123456789abcdef"), 2, 2)
	require.NoError(t, err)
	txt, err := shares[0].MarshalText()
	require.NoError(t, err)
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	for i := len(ShareTextPrefix); i < len(txt); i++ {
		if txt[i] == '-' {
			continue
		}
		for _, c := range []byte(alphabet) {
			if c == txt[i] {
				continue
			}
			bad := bytes.Clone(txt)
			bad[i] = c
			var s Share
			err := s.UnmarshalText(bad)
			require.ErrorIs(t, err, ErrMalformed, "position %d -> %c", i, c)
		}
	}
	// Swapping two adjacent different characters is caught too.
	for i := len(ShareTextPrefix); i+1 < len(txt); i++ {
		if txt[i] == '-' || txt[i+1] == '-' || txt[i] == txt[i+1] {
			continue
		}
		bad := bytes.Clone(txt)
		bad[i], bad[i+1] = bad[i+1], bad[i]
		var s Share
		require.ErrorIs(t, s.UnmarshalText(bad), ErrMalformed, "swap at %d", i)
	}
	var s Share
	for _, bad := range []string{"", "custodia-share-2-aaaa", "custodia-share-1-", "custodia-share-1-a", "custodia-share-1-0000", "share"} {
		assert.ErrorIs(t, s.UnmarshalText([]byte(bad)), ErrMalformed, bad)
	}
	assert.Equal(t, Share{}, s)
}

func FuzzShareUnmarshalText(f *testing.F) {
	shares, err := SplitSecret([]byte("fuzz secret"), 2, 3)
	require.NoError(f, err)
	txt, err := shares[0].MarshalText()
	require.NoError(f, err)
	f.Add(string(txt))
	f.Add(strings.ToUpper(string(txt)))
	f.Add(ShareTextPrefix)
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		var sh Share
		if err := sh.UnmarshalText([]byte(s)); err != nil {
			return
		}
		again, err := sh.MarshalText()
		if err != nil {
			t.Fatalf("decoded share does not re-encode: %v", err)
		}
		var back Share
		if err := back.UnmarshalText(again); err != nil || !bytes.Equal(back.value, sh.value) || back.index != sh.index {
			t.Fatalf("text round trip failed: %v", err)
		}
	})
}

func FuzzShareUnmarshalBinary(f *testing.F) {
	shares, err := SplitSecret([]byte("fuzz secret"), 2, 3)
	require.NoError(f, err)
	b, err := shares[0].MarshalBinary()
	require.NoError(f, err)
	f.Add(b)
	f.Add(b[:11])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var sh Share
		if err := sh.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := sh.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("binary round trip failed: %v", err)
		}
		// Combining a decoded share with itself must fail cleanly.
		if _, err := CombineShares([]Share{sh, sh}); err == nil {
			t.Fatal("duplicate shares combined")
		}
	})
}

func BenchmarkSplitSecret(b *testing.B) {
	secret := make([]byte, KeySize)
	b.SetBytes(KeySize)
	for b.Loop() {
		if _, err := SplitSecret(secret, 3, 5); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCombineShares(b *testing.B) {
	shares, err := SplitSecret(make([]byte, KeySize), 3, 5)
	require.NoError(b, err)
	b.SetBytes(KeySize)
	for b.Loop() {
		if _, err := CombineShares(shares[:3]); err != nil {
			b.Fatal(err)
		}
	}
}
