package crypto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// tinyParams keeps Argon2id fast in tests. Never use it for real slots.
var tinyParams = Argon2Params{Time: 1, MemoryKiB: 8, Threads: 1}

func TestDefaultArgon2Params(t *testing.T) {
	p := DefaultArgon2Params()
	assert.Equal(t, Argon2Params{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}, p)
	assert.NoError(t, p.Validate())
}

func TestPasswordSlotRoundTrip(t *testing.T) {
	m, err := NewMasterKey()
	require.NoError(t, err)
	s, err := NewPasswordSlot([]byte("correct horse"), m[:], tinyParams)
	require.NoError(t, err)
	assert.Len(t, s.Sealed, KeySize+Overhead)

	got, err := s.Open([]byte("correct horse"))
	require.NoError(t, err)
	assert.Equal(t, m[:], got)

	_, err = s.Open([]byte("correct horsf"))
	assert.ErrorIs(t, err, ErrWrongPassword)
	_, err = s.Open(nil)
	assert.ErrorIs(t, err, ErrWrongPassword)
}

func TestPasswordSlotSaltsDiffer(t *testing.T) {
	s1, err := NewPasswordSlot([]byte("pw"), []byte("payload"), tinyParams)
	require.NoError(t, err)
	s2, err := NewPasswordSlot([]byte("pw"), []byte("payload"), tinyParams)
	require.NoError(t, err)
	assert.NotEqual(t, s1.Salt, s2.Salt)
	assert.NotEqual(t, s1.Sealed, s2.Sealed)
}

func TestPasswordSlotMarshalRoundTrip(t *testing.T) {
	payload := []byte("write-only bundle: chunk-id, chunker, index keys, public key")
	s, err := NewPasswordSlot([]byte("pw"), payload, Argon2Params{Time: 2, MemoryKiB: 16, Threads: 2})
	require.NoError(t, err)
	b, err := s.MarshalBinary()
	require.NoError(t, err)
	require.Len(t, b, 51+len(payload)+Overhead)
	assert.Equal(t, "CSTDSLOT", string(b[:8]))
	assert.Equal(t, []byte{1, 1}, b[8:10])
	assert.Equal(t, uint32(2), binary.BigEndian.Uint32(b[10:14]))
	assert.Equal(t, uint32(16), binary.BigEndian.Uint32(b[14:18]))
	assert.Equal(t, byte(2), b[18])
	assert.Equal(t, s.Salt[:], b[19:51])

	var back PasswordSlot
	require.NoError(t, back.UnmarshalBinary(b))
	assert.Equal(t, *s, back)
	got, err := back.Open([]byte("pw"))
	require.NoError(t, err)
	assert.Equal(t, payload, got)

	// The decoded slot must not alias the input buffer.
	clear(b)
	got, err = back.Open([]byte("pw"))
	require.NoError(t, err)
	assert.Equal(t, payload, got)
}

// TestPasswordSlotMatchesSpec builds a slot by hand from docs/FORMAT.md with
// x/crypto primitives and checks that the package opens it.
func TestPasswordSlotMatchesSpec(t *testing.T) {
	password, payload := []byte("spec password"), []byte("spec payload")
	salt := bytes.Repeat([]byte{0xa5}, 32)
	header := []byte("CSTDSLOT\x01\x01")
	header = binary.BigEndian.AppendUint32(header, 1)
	header = binary.BigEndian.AppendUint32(header, 8)
	header = append(header, 1)
	header = append(header, salt...)
	key := argon2.IDKey(password, salt, 1, 8, 1, 32)
	x, err := chacha20poly1305.NewX(key)
	require.NoError(t, err)
	nonce := bytes.Repeat([]byte{0x3c}, 24)
	file := append(append(bytes.Clone(header), nonce...), x.Seal(nil, nonce, payload, header)...)

	var s PasswordSlot
	require.NoError(t, s.UnmarshalBinary(file))
	got, err := s.Open(password)
	require.NoError(t, err)
	assert.Equal(t, payload, got)
	again, err := s.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, file, again)
}

func TestPasswordSlotTamper(t *testing.T) {
	s, err := NewPasswordSlot([]byte("pw"), []byte("payload"), tinyParams)
	require.NoError(t, err)
	b, err := s.MarshalBinary()
	require.NoError(t, err)
	for i := range b {
		bad := bytes.Clone(b)
		bad[i] ^= 0x01
		var d PasswordSlot
		if err := d.UnmarshalBinary(bad); err != nil {
			assert.ErrorIs(t, err, ErrMalformed, "byte %d", i)
			continue
		}
		_, err := d.Open([]byte("pw"))
		assert.ErrorIs(t, err, ErrWrongPassword, "byte %d", i)
	}
}

func TestPasswordSlotUnmarshalRejects(t *testing.T) {
	s, err := NewPasswordSlot([]byte("pw"), []byte("payload"), tinyParams)
	require.NoError(t, err)
	good, err := s.MarshalBinary()
	require.NoError(t, err)
	withParams := func(time, mem uint32, threads byte) []byte {
		b := bytes.Clone(good)
		binary.BigEndian.PutUint32(b[10:14], time)
		binary.BigEndian.PutUint32(b[14:18], mem)
		b[18] = threads
		return b
	}
	cases := map[string][]byte{
		"empty":            nil,
		"header only":      good[:51],
		"short sealed":     good[:51+Overhead],
		"bad magic":        append([]byte("CSTDSLOX"), good[8:]...),
		"version 2":        append(append([]byte("CSTDSLOT"), 2), good[9:]...),
		"kdf 2":            append(append([]byte("CSTDSLOT\x01"), 2), good[10:]...),
		"time 0":           withParams(0, 8, 1),
		"time 101":         withParams(101, 8, 1),
		"threads 0":        withParams(1, 8, 0),
		"memory too small": withParams(1, 15, 2),
		"memory > 4 GiB":   withParams(1, 4*1024*1024+1, 1),
		"memory max u32":   withParams(1, 0xffffffff, 1),
		"oversized":        append(bytes.Clone(good), make([]byte, MaxSlotPayload)...),
	}
	for name, b := range cases {
		var d PasswordSlot
		before := d
		err := d.UnmarshalBinary(b)
		assert.ErrorIs(t, err, ErrMalformed, name)
		assert.Equal(t, before, d, "%s: slot must be unchanged on error", name)
		assert.Equal(t, name == "version 2" || name == "kdf 2", errors.Is(err, ErrUnsupported), "%s: only a newer version or KDF is unsupported", name)
	}
	var d PasswordSlot
	assert.ErrorIs(t, d.UnmarshalBinary(withParams(1, 4*1024*1024+1, 1)), ErrInvalidParams)
	require.NoError(t, d.UnmarshalBinary(withParams(100, 4*1024*1024, 255)), "limits are inclusive")
}

func TestPasswordSlotInvalidParams(t *testing.T) {
	for _, p := range []Argon2Params{
		{}, {Time: 1, MemoryKiB: 8}, {Time: 0, MemoryKiB: 8, Threads: 1},
		{Time: 1, MemoryKiB: 7, Threads: 1}, {Time: 101, MemoryKiB: 8, Threads: 1},
		{Time: 1, MemoryKiB: MaxArgon2MemoryKiB + 1, Threads: 1},
	} {
		_, err := NewPasswordSlot([]byte("pw"), []byte("x"), p)
		assert.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		// Open refuses them before running Argon2id (which panics on t=0 or p=0).
		s := &PasswordSlot{Params: p, Sealed: make([]byte, Overhead+1)}
		_, err = s.Open([]byte("pw"))
		assert.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
		_, err = s.MarshalBinary()
		assert.ErrorIs(t, err, ErrInvalidParams, "%+v", p)
	}
}

func TestPasswordSlotPayloadSize(t *testing.T) {
	_, err := NewPasswordSlot([]byte("pw"), nil, tinyParams)
	assert.ErrorIs(t, err, ErrMalformed)
	_, err = NewPasswordSlot([]byte("pw"), make([]byte, MaxSlotPayload+1), tinyParams)
	assert.ErrorIs(t, err, ErrMalformed)
	s, err := NewPasswordSlot([]byte("pw"), make([]byte, MaxSlotPayload), tinyParams)
	require.NoError(t, err)
	b, err := s.MarshalBinary()
	require.NoError(t, err)
	var d PasswordSlot
	require.NoError(t, d.UnmarshalBinary(b))
	got, err := d.Open([]byte("pw"))
	require.NoError(t, err)
	assert.Len(t, got, MaxSlotPayload)

	short := &PasswordSlot{Params: tinyParams, Sealed: make([]byte, Overhead)}
	_, err = short.Open([]byte("pw"))
	assert.ErrorIs(t, err, ErrMalformed)
}

func FuzzPasswordSlotUnmarshalBinary(f *testing.F) {
	s, err := NewPasswordSlot([]byte("pw"), []byte("payload"), tinyParams)
	require.NoError(f, err)
	good, err := s.MarshalBinary()
	require.NoError(f, err)
	f.Add(good)
	f.Add(good[:51])
	f.Add([]byte("CSTDSLOT"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var d PasswordSlot
		if err := d.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := d.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded slot does not re-encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatal("decode/encode is not the identity")
		}
		// Only open cheap slots, so the fuzzer does not spend its time in Argon2id.
		if d.Params.Time*d.Params.MemoryKiB <= 64 {
			_, _ = d.Open([]byte("pw"))
		}
	})
}

func BenchmarkPasswordSlotOpenDefault(b *testing.B) {
	s, err := NewPasswordSlot([]byte("pw"), make([]byte, KeySize), DefaultArgon2Params())
	require.NoError(b, err)
	b.SetBytes(KeySize)
	for b.Loop() {
		if _, err := s.Open([]byte("pw")); err != nil {
			b.Fatal(err)
		}
	}
}
