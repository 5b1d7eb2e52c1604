package repo

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/crypto"
)

// Every decoder of stored bytes must reject malformed input with a typed
// error and never panic.

func requireTyped(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
		t.Fatalf("untyped error: %v", err)
	}
}

func sampleEntries() []PackEntry {
	return []PackEntry{
		{Handle: BlobHandle{Type: DataBlob, ID: ID{1}}, Offset: 0, Length: 100, RawLength: 300},
		{Handle: BlobHandle{Type: TreeBlob, ID: ID{2}}, Offset: 100, Length: 50, RawLength: 40},
	}
}

func FuzzDecodeIndexFile(f *testing.F) {
	f.Add(encodeIndexFile([]IndexPack{{ID: ID{7}, KeyID: crypto.KeyID{3}, Entries: sampleEntries()}}))
	f.Add(encodeIndexFile(nil))
	f.Add([]byte{0, 0, 0, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		packs, err := decodeIndexFile(b)
		requireTyped(t, err)
		if err == nil {
			require.Equal(t, b, encodeIndexFile(packs), "decode/encode must round trip")
		}
	})
}

func FuzzDecodePackTrailer(f *testing.F) {
	f.Add(encodePackTrailer(crypto.KeyID{1}, sampleEntries()), uint64(150))
	f.Add([]byte("CPK1"), uint64(0))
	f.Fuzz(func(t *testing.T, b []byte, limit uint64) {
		keyID, entries, err := decodePackTrailer(b, limit)
		requireTyped(t, err)
		if err == nil {
			require.Equal(t, b, encodePackTrailer(keyID, entries))
			for _, e := range entries {
				require.LessOrEqual(t, uint64(e.Offset)+uint64(e.Length), limit)
			}
		}
	})
}

func FuzzParsePack(f *testing.F) {
	k := newSealKey(keyIndex, crypto.Key{5})
	p := &packBuilder{id: ID{9}}
	p.add(BlobHandle{Type: DataBlob, ID: ID{1}}, make([]byte, crypto.Overhead+10), 10)
	p.finish(k, crypto.KeyID{2})
	f.Add(p.buf)
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, err := parsePack(k, ID{9}, b)
		requireTyped(t, err)
	})
}

func FuzzOpenEnvelope(f *testing.F) {
	k := newSealKey(keyIndex, crypto.Key{4})
	keys := func(id crypto.KeyID) (*sealKey, error) {
		if id == k.id {
			return k, nil
		}
		return nil, ErrMalformed
	}
	f.Add(sealEnvelope(magicIndex, k, "index/x", []byte("payload payload payload payload payload payload payload payload")))
	f.Add([]byte("CIDX\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := openEnvelope(magicIndex, b, "index/x", keys, 1<<20)
		requireTyped(t, err)
		if err == nil {
			require.NotNil(t, out)
		}
	})
}

func FuzzDecodePayload(f *testing.F) {
	f.Add(encodePayload(nil, []byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), zstdEncoder))
	f.Add([]byte{0, 1, 2})
	f.Add([]byte{1, 0x28, 0xb5, 0x2f, 0xfd})
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := decodePayload(nil, b, 1<<16)
		requireTyped(t, err)
		if err == nil {
			require.LessOrEqual(t, len(out), 1<<16)
		}
	})
}

func FuzzDecodeTree(f *testing.F) {
	sub := ID{3}
	b, _ := EncodeTree(&Tree{Nodes: []Node{{Name: "a", Type: NodeFile, Content: []ID{{1}}}, {Name: "d", Type: NodeDir, Subtree: &sub}}})
	f.Add(b)
	f.Add([]byte(`{"nodes":[{"name":"..","type":"file"}]}`))
	f.Add([]byte(`{"nodes":[{"name":"s","type":"file","size":9,"sparse":true,"extents":[[1,2],[5,4]],"links":2,"inode":3},` +
		`{"name":"x","type":"fifo","xattrs":[{"name":"user.a","value":"AAE="}]},{"name":"y","type":"chardev","rdev":259}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := DecodeTree(b)
		requireTyped(t, err)
		if err == nil {
			require.NoError(t, tr.Validate())
		}
	})
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add([]byte(`{"time":"2026-01-01T00:00:00Z","host":"h","paths":["/a"],"kind":"files","tree":"` + ID{1}.String() + `"}`))
	f.Add([]byte(`{"kind":"stream","tree":"zz"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := decodeSnapshot(ID{1}, b)
		requireTyped(t, err)
	})
}

func FuzzDecodeConfig(f *testing.F) {
	f.Add([]byte(`{"version":1,"chunker":{"Min":524288,"Avg":1048576,"Max":8388608},"pack_size":16777216,"data_shards":4,"parity_shards":2}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"chunker":{"Min":524288,"Avg":1048576,"Max":8388608},"pack_size":16777216,"data_shards":4,"parity_shards":2,"object_lock":{"mode":"COMPLIANCE","period_ns":2592000000000000}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := decodeConfig(b)
		requireTyped(t, err)
	})
}

func FuzzDecodeBundle(f *testing.F) {
	f.Add((&keyBundle{role: roleFull, master: crypto.MasterKey{1}}).encode())
	f.Add((&keyBundle{role: roleWriteOnly, chunkID: crypto.Key{1}, chunker: crypto.Key{2}, index: crypto.Key{3}, pub: crypto.PublicKey{4}}).encode())
	f.Add((&keyBundle{role: roleWriteOnly, chunkID: crypto.Key{1}, chunker: crypto.Key{2}, index: crypto.Key{3}, pub: crypto.PublicKey{4}, token: crypto.Key{5}}).encode())
	f.Add((&keyBundle{role: roleCustody, share: make([]byte, shareSize)}).encode())
	f.Add([]byte("CKB1\x02"))
	f.Fuzz(func(t *testing.T, b []byte) {
		kb, err := decodeBundle(b)
		requireTyped(t, err)
		if err == nil {
			require.Equal(t, b, kb.encode())
		}
	})
}
