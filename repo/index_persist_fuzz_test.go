package repo

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzPersistMeta decodes arbitrary metas: an error wrapping
// errPersistUnusable, or a meta that encodes back to the same bytes and
// whose counts agree.
func FuzzPersistMeta(f *testing.F) {
	m := &persistMeta{repo: ID{1}, role: persistRoleFull, n: 3, per: 16, raw: 99, files: []string{"index/ab"},
		packs: []persistPack{{id: ID{2}, size: 10, blobs: 3, file: 0, flags: packTrusted}}, first: []uint64{7}, filter: []uint64{1, 2}, hashes: 3}
	f.Add(m.encode())
	f.Add([]byte{})
	f.Add(make([]byte, 80))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodePersistMeta(b)
		if err != nil {
			require.ErrorIs(t, err, errPersistUnusable)
			return
		}
		require.Equal(t, b, got.encode())
		require.Equal(t, (got.n+got.per-1)/got.per, len(got.first))
		for _, p := range got.packs {
			require.True(t, p.file == noFile || int(p.file) < len(got.files))
		}
	})
}

// FuzzPersistFile reads a cache file with some bytes overwritten: either
// it is refused, or every place read from it is one that was written.
func FuzzPersistFile(f *testing.F) {
	dir := f.TempDir()
	pc := newPersistCache(dir, [32]byte{3}, ID{4}, persistRoleFull)
	var want []idxEntry
	for i := range 300 {
		e := idxEntry{typ: BlobType(i % 2), loc: location{pack: int32(i % 3), offset: uint32(i), length: 50, rawLength: uint32(i * 3)}}
		e.id[0], e.id[1], e.id[31] = byte(i/7), byte(i), byte(i*13)
		want = append(want, e)
	}
	sortEntries(want)
	s, err := pc.writeFile(len(want), 3, 64<<10, seqOK(func(yield func(idxEntry) bool) {
		for _, e := range want {
			if !yield(e) {
				return
			}
		}
	}), func(s *diskSegment) *persistMeta {
		return &persistMeta{repo: pc.repo, role: pc.role, n: s.n, per: s.per, files: []string{"index/1"}, first: s.first, filter: s.filter, hashes: s.hashes,
			packs: []persistPack{{id: ID{1}, blobs: 100}, {id: ID{2}, blobs: 100, file: 0}, {id: ID{3}, blobs: 100, file: noFile}}}
	})
	require.NoError(f, err)
	require.NoError(f, s.close())
	file, err := os.ReadFile(pc.path())
	require.NoError(f, err)
	f.Add(uint32(0), []byte{1})
	f.Add(uint32(len(file)-20), []byte{0xff})
	f.Add(uint32(persistPrelude+100), []byte("changed"))
	f.Add(uint32(len(file)), []byte("appended"))
	f.Fuzz(func(t *testing.T, at uint32, patch []byte) {
		b := bytes.Clone(file)
		at = min(at, uint32(len(b)))
		b = append(b[:at], append(patch, b[min(int(at)+len(patch), len(b)):]...)...)
		aead, m, err := pc.readMeta(bytes.NewReader(b))
		if err != nil {
			return
		}
		s := &diskSegment{aead: aead, f: nil, base: persistPrelude, n: m.n, per: m.per, packs: len(m.packs), first: m.first, filter: m.filter, hashes: m.hashes}
		// Read the blocks from the patched bytes.
		tmp, err := os.CreateTemp(t.TempDir(), "f")
		require.NoError(t, err)
		defer tmp.Close()
		_, err = tmp.Write(b)
		require.NoError(t, err)
		s.f = tmp
		i := 0
		for e, err := range s.all {
			if err != nil {
				require.ErrorIs(t, err, ErrMalformed)
				return
			}
			require.Less(t, i, len(want))
			require.Equal(t, want[i], e)
			i++
		}
		require.Equal(t, len(want), i)
	})
}
