package source

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/fixture"
)

// TestWriteRepeats checks that Write makes the same tree every time,
// metadata included, as the shared comparer sees it.
func TestWriteRepeats(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	require.NoError(t, Write(a))
	require.NoError(t, Write(b))
	diffs, err := fixture.Diff(a, b, true)
	require.NoError(t, err)
	require.Empty(t, diffs)
	require.Error(t, Write(a), "Write refuses a folder that is not empty")
}

// TestDeterministic pins a digest of the content so that an accidental
// change of the generator (which would break the committed vectors) fails
// here with a clear message.
func TestDeterministic(t *testing.T) {
	h := sha256.New()
	for _, e := range entries() {
		fmt.Fprintf(h, "%s %c %o %s %s\n", e.path, e.kind, e.mode, e.target, e.mtime.Format(time.RFC3339Nano))
		if e.data != nil {
			h.Write(e.data())
		}
	}
	h.Write(Stream())
	require.Equal(t, "b1487fa0999cb405e58b974203cf8f69cfd32417b898acbef469c9910cabfda2", hex.EncodeToString(h.Sum(nil)),
		"the vector source changed: the committed repo/testdata/v1 no longer matches it")
}
