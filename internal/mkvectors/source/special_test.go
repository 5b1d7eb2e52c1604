//go:build linux

package source

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/fixture"
)

// TestSpecialDeterministic pins the special tree's content, so that an
// accidental change (which would break the committed v1-special vectors)
// fails here with a clear message.
func TestSpecialDeterministic(t *testing.T) {
	h := sha256.New()
	h.Write(Ledger()[:20_000])
	h.Write(SparseData())
	h.Write(invoiceXML(9))
	x := SpecialXattrs()
	for _, k := range slices.Sorted(maps.Keys(x)) {
		fmt.Fprintf(h, "%s=%q\n", k, x[k])
	}
	for _, rel := range []string{"linked-a.csv", "disk.img", "tagged.xml", "pipe", "null"} {
		fmt.Fprintf(h, "%s %o\n", rel, modeOf(rel))
	}
	fmt.Fprintf(h, "%d %d", SparseOffset, SparseSize)
	require.Equal(t, "735639988cbe831f78149f4075af5be61ff42d8359ff68ddf32f4f427d8ad769", hex.EncodeToString(h.Sum(nil)),
		"the special vector source changed: the committed repo/testdata/v1-special no longer matches it")

	// Two writes make the same tree.
	a, b := t.TempDir(), t.TempDir()
	require.NoError(t, WriteSpecial(a))
	require.NoError(t, WriteSpecial(b))
	diffs, err := fixture.Diff(a, b, true)
	require.NoError(t, err)
	require.Empty(t, diffs)
}
