package repo

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func FuzzDecodeRetentionFloor(f *testing.F) {
	good, err := encodeRetentionFloor(&RetentionFloor{Tag: "invoice", Min: Span{Years: 10}})
	require.NoError(f, err)
	f.Add(good)
	f.Add([]byte(`{"table":"customers","min":"1y6m","created":"2026-11-30T08:00:00Z"}`))
	f.Add([]byte(`{"tag":"a","table":"b","min":"1y"}`))
	f.Add([]byte(`{"tag":"a","min":"0d"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fl, err := decodeRetentionFloor(ID{1}, b)
		requireTyped(t, err)
		if err == nil {
			require.NoError(t, fl.validate())
			again, err := encodeRetentionFloor(fl)
			require.NoError(t, err)
			fl2, err := decodeRetentionFloor(ID{1}, again)
			require.NoError(t, err)
			require.Equal(t, fl.Min, fl2.Min)
			require.Equal(t, fl.Subject(), fl2.Subject())
		}
	})
}

func FuzzParseSpan(f *testing.F) {
	for _, s := range []string{"30y", "1y6m", "2w", "1y2m3w4d5h", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpan(s)
		if err != nil {
			require.ErrorIs(t, err, ErrBadPolicy)
			return
		}
		again, err := ParseSpan(sp.String())
		require.NoError(t, err)
		require.Equal(t, sp, again)
	})
}

func FuzzDecodePruneMarker(f *testing.F) {
	f.Add([]byte(`{"created":"2026-11-30T09:00:00Z","margin_ns":1000,"packs":["` + ID{1}.String() + `"],"incomplete":["snapshots/` + ID{2}.String() + `"]}`))
	f.Add([]byte(`{"created":"2026-11-30T09:00:00Z","margin_ns":0,"writing":["index/x"],"deleting":["packs/ab/cd"]}`))
	f.Add([]byte(`{"created":"2026-11-30T09:00:00Z","margin_ns":-1}`))
	f.Add([]byte(`{"incomplete":["config"]}`))
	f.Add([]byte(`{"created":"2026-11-30T09:00:00Z","margin_ns":5,"superseded":["index/` + ID{3}.String() + `"]}`))
	f.Add([]byte(`{"created":"2026-11-30T09:00:00Z","margin_ns":5,"superseded":["packs/x"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodePruneMarker(ID{1}, b)
		requireTyped(t, err)
		if err == nil {
			require.False(t, m.Created.IsZero())
			require.GreaterOrEqual(t, m.Margin, time.Duration(0))
		}
	})
}
