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
