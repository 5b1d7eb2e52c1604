package chunk

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zeebo/blake3"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestIDStringParse(t *testing.T) {
	var id ID
	for i := range id {
		id[i] = byte(i * 7)
	}
	s := id.String()
	assert.Len(t, s, 64)
	assert.Equal(t, strings.ToLower(s), s)
	assert.Equal(t, "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9", s)

	back, err := ParseID(s)
	require.NoError(t, err)
	assert.Equal(t, id, back)

	assert.True(t, ID{}.IsZero())
	assert.False(t, id.IsZero())
	zero, err := ParseID(strings.Repeat("0", 64))
	require.NoError(t, err)
	assert.True(t, zero.IsZero())
}

func TestParseIDRejects(t *testing.T) {
	valid := strings.Repeat("ab", 32)
	for _, s := range []string{
		"",
		"ab",
		valid[:63],
		valid + "a",
		valid + "ab",
		strings.ToUpper(valid),
		"g" + valid[1:],
		" " + valid[1:],
		valid[:63] + "\x00",
		"0x" + valid[2:],
		strings.Repeat("é", 32),
	} {
		id, err := ParseID(s)
		assert.ErrorIs(t, err, ErrInvalidID, "%q", s)
		assert.True(t, id.IsZero(), "%q", s)
	}
}

func TestIDJSON(t *testing.T) {
	h, err := NewIDHasher(testKey(3))
	require.NoError(t, err)
	in := map[string]ID{"a": h.Sum([]byte("a")), "b": {}}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	assert.Contains(t, string(b), in["a"].String())

	var out map[string]ID
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, in, out)

	var id ID
	err = json.Unmarshal([]byte(`"ABCD"`), &id)
	assert.ErrorIs(t, err, ErrInvalidID)
}

func TestNewIDHasherKeySize(t *testing.T) {
	for _, n := range []int{0, 1, 16, 31, 33, 64} {
		h, err := NewIDHasher(make([]byte, n))
		assert.Nil(t, h)
		assert.ErrorIs(t, err, ErrInvalidKey, "key of %d bytes", n)
	}
	h, err := NewIDHasher(nil)
	assert.Nil(t, h)
	assert.ErrorIs(t, err, ErrInvalidKey)
}

func TestIDHasherSum(t *testing.T) {
	key := testKey(9)
	h, err := NewIDHasher(key)
	require.NoError(t, err)

	data := sharedRandom()
	for _, n := range []int{0, 1, 63, 64, 65, 1023, 1024, 1025, 8191, 8192, 8193, 1 << 20, 3<<20 + 5} {
		in := data[:n]
		// Compare with a fresh keyed BLAKE3 hasher fed in pieces.
		ref, err := blake3.NewKeyed(key)
		require.NoError(t, err)
		for p := in; len(p) > 0; {
			k := min(len(p), 1000)
			_, _ = ref.Write(p[:k])
			p = p[k:]
		}
		var want ID
		copy(want[:], ref.Sum(nil))
		assert.Equal(t, want, h.Sum(in), "size %d", n)
		assert.Equal(t, want, h.Sum(in), "size %d (pooled hasher reused)", n)
	}

	// Keyed: different keys give different IDs, and neither is the plain hash.
	h2, err := NewIDHasher(testKey(10))
	require.NoError(t, err)
	msg := []byte("invoice 2024-001")
	assert.NotEqual(t, h.Sum(msg), h2.Sum(msg))
	assert.NotEqual(t, ID(blake3.Sum256(msg)), h.Sum(msg))
	assert.NotEqual(t, h.Sum(msg), h.Sum([]byte("invoice 2024-002")))

	// The hasher keeps its own copy of the key.
	k := testKey(11)
	h3, err := NewIDHasher(k)
	require.NoError(t, err)
	before := h3.Sum(msg)
	clear(k)
	assert.Equal(t, before, h3.Sum(msg))
}

// TestIDHasherVector pins one ID: BLAKE3 keyed_hash with the key
// "whats the Elvish word for friend" of the empty input, from the official
// BLAKE3 test vectors.
func TestIDHasherVector(t *testing.T) {
	h, err := NewIDHasher([]byte("whats the Elvish word for friend"))
	require.NoError(t, err)
	assert.Equal(t, "92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26", h.Sum(nil).String())
}

func TestIDHasherConcurrent(t *testing.T) {
	h, err := NewIDHasher(testKey(5))
	require.NoError(t, err)
	data := sharedRandom()
	const n = 64
	want := make([]ID, n)
	for i := range want {
		want[i] = h.Sum(data[i*1000 : i*1000+i*977])
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*n)
	for w := range 8 {
		wg.Go(func() {
			for j := range n {
				i := (j + w) % n
				if got := h.Sum(data[i*1000 : i*1000+i*977]); got != want[i] {
					errs <- got.String()
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	assert.Empty(t, errs)
}

func FuzzParseID(f *testing.F) {
	f.Add(strings.Repeat("0", 64))
	f.Add(strings.Repeat("f", 64))
	f.Add(strings.Repeat("F", 64))
	f.Add("92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26")
	f.Add("")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidID)
			require.True(t, id.IsZero())
			var u ID
			require.ErrorIs(t, u.UnmarshalText([]byte(s)), ErrInvalidID)
			return
		}
		// Accepted input is canonical: it round-trips exactly.
		require.Equal(t, s, id.String())
		txt, err := id.MarshalText()
		require.NoError(t, err)
		require.Equal(t, s, string(txt))
		var u ID
		require.NoError(t, u.UnmarshalText([]byte(s)))
		require.Equal(t, id, u)
	})
}
