package repo

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func FuzzDecodeKeyInfo(f *testing.F) {
	good, _ := json.Marshal(&KeyInfo{ID: "0123456789abcdef", Role: RoleWriteOnly, Host: "h", Label: "nightly"})
	f.Add(good)
	f.Add([]byte(`{"id":"0123456789abcdef","role":"custody","custodian":"alice","threshold":2,"shares":3}`))
	f.Add([]byte(`{"id":"x","role":"full"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := decodeKeyInfo("0123456789abcdef", b)
		requireTyped(t, err)
		if err == nil {
			require.Equal(t, "0123456789abcdef", k.ID)
			require.False(t, k.Current)
		}
	})
}

func FuzzDecodeAuditHeader(f *testing.F) {
	k := newSealKey(keyData, [32]byte{7})
	f.Add(sealAuditEntry(k, 0, nil, []byte(`{"op":"init","outcome":"ok"}`)))
	f.Add(sealAuditEntry(k, 3, [][32]byte{{1}, {2}}, []byte(`{"op":"backup","outcome":"ok"}`)))
	f.Add([]byte("CAUD\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeAuditHeader(b)
		requireTyped(t, err)
		if err == nil {
			require.LessOrEqual(t, h.size, len(b))
			require.Equal(t, h.seq == 0, len(h.prevs) == 0)
		}
	})
}

func FuzzDecodeAuditBody(f *testing.F) {
	f.Add([]byte(`{"time":"2026-11-30T09:00:00Z","op":"restore","args":{"snapshot":"ab12"},"outcome":"ok"}`))
	f.Add([]byte(`{"op":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		body, err := decodeAuditBody(b)
		requireTyped(t, err)
		if err == nil {
			require.NotEmpty(t, body.Op)
		}
	})
}

func FuzzParseAuditName(f *testing.F) {
	f.Add(auditName(5, [32]byte{9}))
	f.Add("audit/zz")
	f.Add("audit/00000000000A0000-0000000000000000000000000000000000000000000000000000000000000000") // not canonical
	f.Fuzz(func(t *testing.T, name string) {
		seq, h, ok := parseAuditName(name)
		if ok {
			require.Equal(t, name, auditName(seq, h))
		}
	})
}

func FuzzParseAuditCheckpoint(f *testing.F) {
	f.Add([]byte(`{"version":1,"repository":"ab","seq":3,"count":4,"heads":["` + ID{1}.String() + `"],"public_key":"00","signature":"00"}`))
	f.Add([]byte(`{"version":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := ParseAuditCheckpoint(b)
		requireTyped(t, err)
	})
}
