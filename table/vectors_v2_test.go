package table

import (
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/classify"
)

// The vectors of docs/FORMAT.md sections 25.3 (an encrypted value stored
// raw) and 25.4 (a version-2 record page); they never change.
const (
	vecSealedText   = "enc:v2:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJyg"
	vecSealedRecord = "0202696400013704636172640529000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728"
	vecPageV2       = "43525032030269640463617264046e616d6502030001370200000137010529000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728030001380200000138020006e78e8be4bc9f"
)

func TestFormatVectorsV2(t *testing.T) {
	raw := make([]byte, 41)
	for i := range raw {
		raw[i] = byte(i)
	}
	require.Equal(t, vecSealedText, classify.EncryptedPrefix+base64.RawURLEncoding.EncodeToString(raw))
	r1 := classify.Record{{Name: "id", Value: "7"}, {Name: "card", Value: vecSealedText}}
	r2 := classify.Record{{Name: "id", Value: "8"}, {Name: "name", Value: "王伟"}}
	e1, e2 := AppendRecord(nil, r1), AppendRecord(nil, r2)
	assert.Equal(t, vecSealedRecord, hex.EncodeToString(e1))
	k1, _ := KeyOf("7")
	k2, _ := KeyOf("8")
	page := buildPageV2(t, [][]byte{k1, k2}, [][]byte{e1, e2})
	assert.Equal(t, vecPageV2, hex.EncodeToString(page))

	p, err := DecodePage(page)
	require.NoError(t, err)
	require.Equal(t, 2, p.Len())
	for i, want := range []classify.Record{r1, r2} {
		got, err := DecodeRecord(p.Record(i))
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
}
