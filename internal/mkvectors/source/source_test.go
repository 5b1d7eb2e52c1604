package source

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCompareFindsDifferences checks that Compare reports every kind of
// difference it claims to.
func TestCompareFindsDifferences(t *testing.T) {
	write := func() string {
		d := t.TempDir()
		require.NoError(t, Write(d))
		return d
	}
	want := write()
	require.NoError(t, Compare(want, write()))

	got := write()
	p := filepath.Join(got, "data", "one-byte.txt")
	require.NoError(t, os.Chmod(p, 0o600))
	require.NoError(t, os.WriteFile(p, []byte("2"), 0o600))
	require.NoError(t, os.Remove(filepath.Join(got, "notes.txt")))
	require.NoError(t, os.WriteFile(filepath.Join(got, "extra"), nil, 0o600))
	require.NoError(t, os.Remove(filepath.Join(got, "data", "archive")))
	require.NoError(t, os.Symlink("elsewhere", filepath.Join(got, "data", "archive")))
	err := Compare(want, got)
	require.Error(t, err)
	for _, s := range []string{"one-byte.txt: content differs", "mtime", "notes.txt", "extra: unexpected entry", "link target"} {
		require.ErrorContains(t, err, s)
	}
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
