package repo

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/crypto"
)

func FuzzDecodeKeyring(f *testing.F) {
	newest := crypto.MasterKey{0xee}
	f.Add(append([]byte("CSTDKRNG\x01\x00\x01"), make([]byte, 32)...))
	f.Add(append([]byte("CSTDKRNG\x01\x00\x02"), append(append([]byte{1}, make([]byte, 31)...), append([]byte{2}, make([]byte, 31)...)...)...))
	f.Add(append([]byte("CSTDKRNG\x01\x00\x01"), newest[:]...))
	f.Add([]byte("CSTDKRNG\x02\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		older, err := decodeKeyring(b, newest)
		requireTyped(t, err)
		if err == nil {
			require.Len(t, b, 11+32*len(older))
			seen := map[crypto.KeyID]bool{newest.ID(): true}
			for _, k := range older {
				require.False(t, crypto.Key(k).IsZero())
				require.False(t, seen[k.ID()])
				seen[k.ID()] = true
			}
		}
	})
}

func FuzzDecodeCustodyRecord(f *testing.F) {
	good, _ := json.Marshal(&custodyRecord{Split: "0001020304050607", Threshold: 2, Shares: 2, Custodians: []custodyCustodian{{Name: "alice", Index: 1, Commitment: "00"}, {Name: "bob", Index: 2, Slot: "0123456789abcdef"}}})
	f.Add(good)
	f.Add([]byte(`{"threshold":1,"shares":1,"custodians":[{"name":"a","index":1}]}`))
	f.Add([]byte(`{"threshold":2,"shares":2,"custodians":[{"name":"a","index":2},{"name":"b","index":1}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeCustodyRecord(b)
		requireTyped(t, err)
		if err == nil {
			require.GreaterOrEqual(t, rec.Threshold, 2)
			require.LessOrEqual(t, rec.Threshold, rec.Shares)
			require.Len(t, rec.Custodians, rec.Shares)
			for i, c := range rec.Custodians {
				require.Equal(t, i+1, c.Index)
				require.NotEmpty(t, c.Name)
			}
		}
	})
}
