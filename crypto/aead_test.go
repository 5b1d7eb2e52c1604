package crypto

import (
	"bytes"
	"crypto/rand"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/chacha20poly1305"
)

func newTestAEAD(t testing.TB) (*AEAD, Key) {
	t.Helper()
	k, err := RandomKey()
	require.NoError(t, err)
	return NewAEAD(k), k
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

func TestAEADRoundTrip(t *testing.T) {
	a, _ := newTestAEAD(t)
	ad := []byte("object 42")
	for _, n := range []int{0, 1, 63, 64, 65, 4096, 1 << 20} {
		pt := randomBytes(t, n)
		sealed := a.Seal(nil, pt, ad)
		require.Len(t, sealed, n+Overhead)
		got, err := a.Open(nil, sealed, ad)
		require.NoError(t, err, "size %d", n)
		assert.True(t, bytes.Equal(pt, got), "size %d: plaintext must round-trip", n)
	}
}

// TestAEADMatchesSpec opens a message built by hand from the layout in
// docs/FORMAT.md with x/crypto's XChaCha20-Poly1305, and the other way round.
func TestAEADMatchesSpec(t *testing.T) {
	a, k := newTestAEAD(t)
	x, err := chacha20poly1305.NewX(k[:])
	require.NoError(t, err)
	nonce := randomBytes(t, 24)
	pt, ad := []byte("invoice 2024-0001"), []byte("ad")
	manual := append(append([]byte{}, nonce...), x.Seal(nil, nonce, pt, ad)...)
	got, err := a.Open(nil, manual, ad)
	require.NoError(t, err)
	assert.Equal(t, pt, got)

	sealed := a.Seal(nil, pt, ad)
	got, err = x.Open(nil, sealed[:24], sealed[24:], ad)
	require.NoError(t, err)
	assert.Equal(t, pt, got)
}

func TestAEADAppends(t *testing.T) {
	a, _ := newTestAEAD(t)
	prefix := []byte("header:")
	dst := append(make([]byte, 0, 256), prefix...)
	sealed := a.Seal(dst, []byte("hello"), nil)
	assert.Equal(t, prefix, sealed[:len(prefix)])
	assert.Len(t, sealed, len(prefix)+5+Overhead)

	out, err := a.Open([]byte("plain:"), sealed[len(prefix):], nil)
	require.NoError(t, err)
	assert.Equal(t, "plain:hello", string(out))

	// In-place open: dst is the ciphertext position of sealed.
	inPlace := a.Seal(nil, []byte("in place"), nil)
	out, err = a.Open(inPlace[NonceSize:NonceSize], inPlace, nil)
	require.NoError(t, err)
	assert.Equal(t, "in place", string(out))
}

func TestAEADTamperEveryByte(t *testing.T) {
	a, _ := newTestAEAD(t)
	pt := []byte("customer 1001: bank account 6222 0000 1111 2222")
	ad := []byte("blob")
	sealed := a.Seal(nil, pt, ad)
	for i := range sealed {
		for _, flip := range []byte{0x01, 0x80} {
			bad := bytes.Clone(sealed)
			bad[i] ^= flip
			out, err := a.Open(nil, bad, ad)
			assert.ErrorIs(t, err, ErrAuthentication, "byte %d flip %#x", i, flip)
			assert.Nil(t, out)
		}
	}
}

func TestAEADRejects(t *testing.T) {
	a, _ := newTestAEAD(t)
	other, _ := newTestAEAD(t)
	pt, ad := []byte("secret"), []byte("ad-1")
	sealed := a.Seal(nil, pt, ad)

	_, err := a.Open(nil, sealed, []byte("ad-2"))
	assert.ErrorIs(t, err, ErrAuthentication, "wrong additional data")
	_, err = a.Open(nil, sealed, nil)
	assert.ErrorIs(t, err, ErrAuthentication, "missing additional data")
	_, err = other.Open(nil, sealed, ad)
	assert.ErrorIs(t, err, ErrAuthentication, "wrong key")
	for n := 0; n < len(sealed); n++ {
		_, err = a.Open(nil, sealed[:n], ad)
		assert.ErrorIs(t, err, ErrAuthentication, "truncated to %d", n)
	}
	_, err = a.Open(nil, append(bytes.Clone(sealed), 0), ad)
	assert.ErrorIs(t, err, ErrAuthentication, "extended")
}

func TestAEADNoncesDiffer(t *testing.T) {
	a, _ := newTestAEAD(t)
	pt := []byte("same plaintext")
	s1 := a.Seal(nil, pt, nil)
	s2 := a.Seal(nil, pt, nil)
	assert.NotEqual(t, s1[:NonceSize], s2[:NonceSize], "nonces must differ")
	assert.NotEqual(t, s1, s2, "ciphertexts must differ")
}

func TestAEADConcurrent(t *testing.T) {
	a, _ := newTestAEAD(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pt := bytes.Repeat([]byte{byte(g)}, 1000+g)
			for range 50 {
				got, err := a.Open(nil, a.Seal(nil, pt, []byte{byte(g)}), []byte{byte(g)})
				if err != nil || !bytes.Equal(got, pt) {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent round trip failed: %v", err)
	}
}

func FuzzAEADOpen(f *testing.F) {
	var k Key
	copy(k[:], "fuzz key fuzz key fuzz key fuzz!")
	a := NewAEAD(k)
	f.Add(a.Seal(nil, []byte("hello"), []byte("ad")), []byte("ad"))
	f.Add(a.Seal(nil, nil, nil), []byte{})
	f.Add([]byte{}, []byte{})
	f.Add(make([]byte, Overhead), []byte("x"))
	f.Fuzz(func(t *testing.T, sealed, ad []byte) {
		out, err := a.Open(nil, sealed, ad)
		if err != nil {
			if out != nil {
				t.Fatal("plaintext returned with an error")
			}
			return
		}
		// Anything that opens must re-seal and re-open to the same plaintext.
		again, err := a.Open(nil, a.Seal(nil, out, ad), ad)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("re-seal round trip failed: %v", err)
		}
	})
}

func BenchmarkAEADSeal1MiB(b *testing.B) {
	a, _ := newTestAEAD(b)
	pt := randomBytes(b, 1<<20)
	buf := make([]byte, 0, len(pt)+Overhead)
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		buf = a.Seal(buf[:0], pt, nil)
	}
}

func BenchmarkAEADOpen1MiB(b *testing.B) {
	a, _ := newTestAEAD(b)
	pt := randomBytes(b, 1<<20)
	sealed := a.Seal(nil, pt, nil)
	buf := make([]byte, 0, len(pt))
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		var err error
		buf, err = a.Open(buf[:0], sealed, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
}
