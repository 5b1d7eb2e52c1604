package table

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/classify"
)

// The vectors of docs/FORMAT.md section 25; they never change.
const (
	vecKey    = "000137"
	vecKey2   = "0003433031000432303234"
	vecRecord = "04026964000137046e616d650006e78e8be4bc9f06616d6f756e74010431322e35046e6f74650300"
	vecPage   = "4352503101030001372804026964000137046e616d650006e78e8be4bc9f06616d6f756e74010431322e35046e6f74650300"
	vecIndex  = "43495831010103000137000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f01"
	vecDelta  = "4349583102020300013701000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f000300013800"
)

func TestFormatVectors(t *testing.T) {
	rec := classify.Record{
		{Name: "id", Value: "7"},
		{Name: "name", Value: "王伟"},
		{Name: "amount", Value: "12.5", Kind: classify.KindNumber},
		{Name: "note", Kind: classify.KindNull},
	}
	k, err := KeyOf("7")
	require.NoError(t, err)
	assert.Equal(t, vecKey, hex.EncodeToString(k))
	k2, err := KeyOf("C01", "2024")
	require.NoError(t, err)
	assert.Equal(t, vecKey2, hex.EncodeToString(k2))
	enc := AppendRecord(nil, rec)
	assert.Equal(t, vecRecord, hex.EncodeToString(enc))

	page := appendPageRecord(append(appendPageHeader(nil), 1), k, enc)
	assert.Equal(t, vecPage, hex.EncodeToString(page))
	p, err := DecodePage(page)
	require.NoError(t, err)
	got, err := DecodeRecord(p.Record(0))
	require.NoError(t, err)
	assert.Equal(t, rec, got)

	var id ID
	for i := range id {
		id[i] = byte(i)
	}
	idx := appendPageRef(append(appendIndexHeader(nil, indexKindPages), 1), PageRef{First: k, Page: id, Records: 1})
	assert.Equal(t, vecIndex, hex.EncodeToString(idx))
	k8, _ := KeyOf("8")
	d := append(appendIndexHeader(nil, indexKindDelta), 2)
	d = appendDeltaEntry(d, DeltaEntry{Key: k, Page: id})
	d = appendDeltaEntry(d, DeltaEntry{Key: k8, Deleted: true})
	assert.Equal(t, vecDelta, hex.EncodeToString(d))
}
