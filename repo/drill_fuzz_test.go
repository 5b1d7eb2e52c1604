package repo

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func FuzzDecodeDrill(f *testing.F) {
	good, err := json.Marshal(&DrillRecord{Items: 2, Bytes: 10, Passed: true, Failed: []string{"x"}})
	require.NoError(f, err)
	f.Add(good)
	f.Add([]byte(`{"duration_ns":-1}`))
	f.Add([]byte(`{"items":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeDrill(ID{1}, b)
		requireTyped(t, err)
		if err == nil {
			require.GreaterOrEqual(t, int64(d.Duration), int64(0))
			require.LessOrEqual(t, len(d.Failed), maxDrillItems)
		}
	})
}
