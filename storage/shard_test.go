package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/reedsolomon"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zeebo/blake3"
)

func testShard(t testing.TB, name string, objLen uint64, k, m, idx int) ([]byte, []byte) {
	L := shardLen(objLen, k)
	data := make([]byte, L)
	for i := range data {
		data[i] = byte(i*7 + idx)
	}
	var oh [32]byte
	oh[0] = 0xAB
	b, err := EncodeShard(name, ShardHeader{DataShards: k, ParityShards: m, Index: idx, ObjectLen: objLen, ShardLen: L, ObjectHash: oh}, data)
	require.NoError(t, err)
	return b, data
}

func TestShardRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		objLen uint64
		k, m   int
		idx    int
	}{{0, 1, 0, 0}, {1, 4, 2, 5}, {1000, 4, 2, 3}, {17, 16, 4, 19}, {254, 1, 254, 254}} {
		b, data := testShard(t, "packs/ab/ab12", tc.objLen, tc.k, tc.m, tc.idx)
		require.Len(t, b, HeaderSize+len(data))
		h, got, err := DecodeShard("packs/ab/ab12", b)
		require.NoError(t, err)
		assert.Equal(t, data, got)
		assert.Equal(t, tc.k, h.DataShards)
		assert.Equal(t, tc.m, h.ParityShards)
		assert.Equal(t, tc.idx, h.Index)
		assert.Equal(t, tc.objLen, h.ObjectLen)
		assert.Equal(t, uint64(len(data)), h.ShardLen)
		assert.Equal(t, uint8(1), h.Version)
		assert.Equal(t, "CSHD", string(b[:4]))
	}
}

// TestShardLayout pins the byte layout documented in docs/FORMAT.md.
func TestShardLayout(t *testing.T) {
	name := "x/y"
	data := []byte{1, 2, 3}
	oh := objectHash(name, data)
	b, err := EncodeShard(name, ShardHeader{DataShards: 1, ParityShards: 2, Index: 0, ObjectLen: 3, ShardLen: 3, ObjectHash: oh}, data)
	require.NoError(t, err)
	want := []byte("CSHD")
	want = append(want, 1, 1, 2, 0)
	want = binary.BigEndian.AppendUint64(want, 3)
	want = binary.BigEndian.AppendUint64(want, 3)
	// object hash: BLAKE3 derive_key("custodia storage v1 object hash", u64be(len(name)) || name || object)
	h := blake3.NewDeriveKey("custodia storage v1 object hash")
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(name))))
	h.Write([]byte(name))
	h.Write(data)
	want = h.Sum(want)
	// shard hash: BLAKE3 derive_key("custodia storage v1 shard hash", u64be(len(name)) || name || header[0:56] || shard data)
	h = blake3.NewDeriveKey("custodia storage v1 shard hash")
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(name))))
	h.Write([]byte(name))
	h.Write(want[:56])
	h.Write(data)
	want = h.Sum(want)
	want = append(want, data...)
	assert.Equal(t, want, b)
}

func TestDecodeShardRejects(t *testing.T) {
	name := "packs/00/0011"
	b, _ := testShard(t, name, 1000, 4, 2, 3)

	// Every single-byte change anywhere in the blob is detected.
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x01
		_, _, err := DecodeShard(name, c)
		require.ErrorIs(t, err, ErrShardCorrupt, "flip at byte %d", i)
	}
	for _, n := range []int{0, 1, 4, HeaderSize - 1, HeaderSize, len(b) - 1} {
		_, _, err := DecodeShard(name, b[:n])
		assert.ErrorIs(t, err, ErrShardCorrupt, "truncated to %d", n)
	}
	_, _, err := DecodeShard(name, append(bytes.Clone(b), 0))
	assert.ErrorIs(t, err, ErrShardCorrupt, "trailing byte")
	_, _, err = DecodeShard("packs/00/0012", b)
	assert.ErrorIs(t, err, ErrShardCorrupt, "shard of another object")

	// Structurally invalid headers, even with a matching hash.
	for _, tc := range []struct {
		name string
		mod  func(h []byte)
	}{
		{"version", func(h []byte) { h[4] = 2 }},
		{"k=0", func(h []byte) { h[5] = 0 }},
		{"k+m>255", func(h []byte) { h[5], h[6] = 200, 56 }},
		{"index", func(h []byte) { h[7] = 6 }},
		{"shard length", func(h []byte) { binary.BigEndian.PutUint64(h[16:], 251) }},
		{"huge object", func(h []byte) { binary.BigEndian.PutUint64(h[8:], ^uint64(0)) }},
	} {
		c := bytes.Clone(b)
		tc.mod(c)
		hh := shardHash(name, c[:56], c[HeaderSize:])
		copy(c[56:88], hh[:])
		_, _, err := DecodeShard(name, c)
		assert.ErrorIs(t, err, ErrShardCorrupt, tc.name)
	}
}

func TestEncodeShardRejects(t *testing.T) {
	_, err := EncodeShard("a", ShardHeader{DataShards: 0, ShardLen: 0}, nil)
	assert.ErrorIs(t, err, ErrInvalidShards)
	_, err = EncodeShard("a", ShardHeader{DataShards: 2, ObjectLen: 4, ShardLen: 2}, []byte{1})
	assert.ErrorIs(t, err, ErrInvalidShards)
}

func FuzzDecodeShard(f *testing.F) {
	name := "packs/ab/ab12"
	for _, tc := range [][3]int{{10, 4, 2}, {0, 1, 0}, {1, 2, 1}, {300, 3, 3}} {
		b, _ := testShard(f, name, uint64(tc[0]), tc[1], tc[2], 0)
		f.Add(name, b)
		f.Add(name, b[:HeaderSize])
	}
	f.Add("", []byte("CSHD"))
	f.Add("x", []byte{})
	f.Fuzz(func(t *testing.T, name string, b []byte) {
		h, data, err := DecodeShard(name, b)
		if err != nil {
			if !errors.Is(err, ErrShardCorrupt) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// Accepted input must re-encode to the same bytes.
		again, err := EncodeShard(name, h, data)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted shard does not re-encode identically: %v", err)
		}
	})
}

// gfMul multiplies in GF(2^8) with the polynomial x^8+x^4+x^3+x^2+1 (0x11D).
func gfMul(a, b byte) byte {
	var r byte
	for b > 0 {
		if b&1 != 0 {
			r ^= a
		}
		hi := a & 0x80
		a <<= 1
		if hi != 0 {
			a ^= 0x1D
		}
		b >>= 1
	}
	return r
}

func gfPow(a byte, n int) byte {
	r := byte(1)
	for range n {
		r = gfMul(r, a)
	}
	return r
}

// specMatrix builds the coding matrix exactly as docs/FORMAT.md describes:
// V[r][c] = r^c for r < k+m, c < k, then M = V * inverse(top k rows of V).
func specMatrix(k, m int) [][]byte {
	n := k + m
	v := make([][]byte, n)
	for r := range v {
		v[r] = make([]byte, k)
		for c := range k {
			v[r][c] = gfPow(byte(r), c)
		}
	}
	// Gauss-Jordan inversion of the top k x k square.
	a := make([][]byte, k)
	inv := make([][]byte, k)
	for r := range k {
		a[r] = append([]byte(nil), v[r]...)
		inv[r] = make([]byte, k)
		inv[r][r] = 1
	}
	for c := range k {
		p := c
		for a[p][c] == 0 {
			p++
		}
		a[c], a[p] = a[p], a[c]
		inv[c], inv[p] = inv[p], inv[c]
		s := gfPow(a[c][c], 254) // multiplicative inverse
		for j := range k {
			a[c][j] = gfMul(a[c][j], s)
			inv[c][j] = gfMul(inv[c][j], s)
		}
		for r := range k {
			if r != c && a[r][c] != 0 {
				f := a[r][c]
				for j := range k {
					a[r][j] ^= gfMul(f, a[c][j])
					inv[r][j] ^= gfMul(f, inv[c][j])
				}
			}
		}
	}
	out := make([][]byte, n)
	for r := range n {
		out[r] = make([]byte, k)
		for c := range k {
			var x byte
			for j := range k {
				x ^= gfMul(v[r][j], inv[j][c])
			}
			out[r][c] = x
		}
	}
	return out
}

// TestReedSolomonMatchesSpec checks that the parity the library computes is
// the one the format document specifies, so an independent reader can
// reconstruct objects from the document alone.
func TestReedSolomonMatchesSpec(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, km := range [][2]int{{4, 2}, {1, 1}, {3, 3}, {10, 4}, {2, 1}} {
		k, m := km[0], km[1]
		enc, err := reedsolomon.New(k, m)
		require.NoError(t, err)
		shards := make([][]byte, k+m)
		for i := range shards {
			shards[i] = make([]byte, 64)
			if i < k {
				for j := range shards[i] {
					shards[i][j] = byte(rng.UintN(256))
				}
			}
		}
		require.NoError(t, enc.Encode(shards))
		M := specMatrix(k, m)
		for r := range k + m {
			for b := range 64 {
				var x byte
				for c := range k {
					x ^= gfMul(M[r][c], shards[c][b])
				}
				require.Equal(t, x, shards[r][b], "k=%d m=%d row %d byte %d", k, m, r, b)
			}
		}
	}
}
