package source

import "fmt"

// The v1-keys vector set (repo/testdata/v1-keys): the key model's objects.
const (
	// KeysPassword opened the full-access slot, rotated to generation 1
	// and then removed by the split.
	KeysPassword = "custodia test vectors v1 keys"
	// KeysWriteOnlyPassword opens the write-only slot (generation 0,
	// label "nightly").
	KeysWriteOnlyPassword = "custodia test vectors v1 nightly"
	// KeysCustodianPassword opens carol's custody slot.
	KeysCustodianPassword = "custodia test vectors v1 carol"
)

// KeysStreamNames are the names of the three stream snapshots, oldest
// first: written with full access in generation 0, by a write-only
// session, and with full access in generation 1.
var KeysStreamNames = []string{"generation-0.csv", "write-only.csv", "generation-1.csv"}

// KeysStreams returns the content of the three stream snapshots.
func KeysStreams() [][]byte {
	out := make([][]byte, len(KeysStreamNames))
	for i, name := range KeysStreamNames {
		var b []byte
		for line := range 200 {
			b = fmt.Appendf(b, "%s,%04d,发票 %d,%d.%02d CNY\n", name, line, 1000*i+line, 17*line+i, line%100)
		}
		out[i] = b
	}
	return out
}
