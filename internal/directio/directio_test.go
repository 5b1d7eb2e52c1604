package directio

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func randBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

const createFlags = os.O_WRONLY | os.O_CREATE | os.O_EXCL

// Files written in pieces of every awkward size, with and without direct
// I/O, read back byte for byte at exactly their length.
func TestWriterRoundTrip(t *testing.T) {
	sizes := []int{0, 1, Align - 1, Align, Align + 1, StageSize - 1, StageSize, StageSize + 1, 3*StageSize + 12345}
	for _, direct := range []bool{true, false} {
		for _, size := range sizes {
			for _, piece := range []int{1 << 30, 1000, Align, StageSize + 3} {
				p := filepath.Join(t.TempDir(), "f")
				f, isDirect, err := OpenFile(p, createFlags, 0o600, direct)
				require.NoError(t, err)
				if !direct {
					assert.False(t, isDirect)
				}
				data := randBytes(size, uint64(size))
				w := NewWriter(f, isDirect)
				for rest := data; len(rest) > 0; {
					n := min(piece, len(rest))
					m, err := w.Write(rest[:n])
					require.NoError(t, err)
					require.Equal(t, n, m)
					rest = rest[n:]
				}
				require.NoError(t, w.Flush())
				require.NoError(t, f.Close())
				got, err := os.ReadFile(p)
				require.NoError(t, err)
				require.True(t, bytes.Equal(data, got), "size %d piece %d direct %v: got %d bytes", size, piece, isDirect, len(got))
			}
		}
	}
}

// OpenFile keeps os.OpenFile's errors and flags: O_EXCL refuses an
// existing file.
func TestOpenFileErrors(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(p, []byte("x"), 0o600))
	for _, direct := range []bool{true, false} {
		_, _, err := OpenFile(p, createFlags, 0o600, direct)
		assert.ErrorIs(t, err, os.ErrExist)
	}
	_, _, err := OpenFile(filepath.Join(p, "under-a-file"), createFlags, 0o600, true)
	assert.Error(t, err)
}

// clearDirect turns direct I/O off on an open file, after which unaligned
// writes succeed: the path a Writer takes when a file system refuses the
// first direct write.
func TestClearDirect(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	f, isDirect, err := OpenFile(p, createFlags, 0o600, true)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, clearDirect(f))
	_, err = f.Write([]byte("unaligned"))
	require.NoError(t, err, "direct I/O was on: %v", isDirect)
}

// BenchmarkWrite writes 8 MiB files and fsyncs them, through the page cache
// and with direct I/O. One writer waits for each direct write; what direct
// I/O saves is the CPU (cpu-ns/op), which the backup and restore pipelines
// spend elsewhere.
func BenchmarkWrite(b *testing.B) {
	data := randBytes(8<<20, 1)
	for _, direct := range []bool{false, true} {
		b.Run("direct="+strconv.FormatBool(direct), func(b *testing.B) {
			dir := b.TempDir()
			b.SetBytes(int64(len(data)))
			i := 0
			start := cpuTime()
			for b.Loop() {
				p := filepath.Join(dir, strconv.Itoa(i))
				i++
				f, isDirect, err := OpenFile(p, createFlags, 0o600, direct)
				if err != nil {
					b.Fatal(err)
				}
				w := NewWriter(f, isDirect)
				if _, err := w.Write(data); err != nil {
					b.Fatal(err)
				}
				if err := w.Flush(); err != nil {
					b.Fatal(err)
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
				f.Close()
				os.Remove(p)
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// On a file system that refuses direct I/O, OpenFile still creates the
// file once (O_EXCL holds), reports no direct I/O, and the Writer writes
// through the page cache.
func TestOpenFileRefused(t *testing.T) {
	orig := setDirect
	t.Cleanup(func() { setDirect = orig })
	setDirect = func(*os.File) error { return errInvalid }

	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	f, isDirect, err := OpenFile(p, createFlags, 0o600, true)
	require.NoError(t, err)
	assert.False(t, isDirect)
	data := randBytes(StageSize+5, 3)
	w := NewWriter(f, isDirect)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no file left behind by the refused attempt")
}

// Discard releases a Writer's staging buffer without writing it.
func TestDiscard(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	f, isDirect, err := OpenFile(p, createFlags, 0o600, true)
	require.NoError(t, err)
	defer f.Close()
	w := NewWriter(f, isDirect)
	_, err = w.Write([]byte("staged, never written"))
	require.NoError(t, err)
	w.Discard()
	fi, err := f.Stat()
	require.NoError(t, err)
	if isDirect {
		assert.Zero(t, fi.Size())
	}
}

// A Writer with a small staging buffer (as for the shards of a pack)
// writes the same files in more, smaller direct writes; sizes that are
// not a multiple of Align are rounded up.
func TestWriterSizeRoundTrip(t *testing.T) {
	for _, stage := range []int{Align, 64 << 10, 256<<10 + 100} {
		for _, size := range []int{0, 1, Align + 1, stage - 1, stage, 2*stage + 12345, StageSize + 1} {
			p := filepath.Join(t.TempDir(), "f")
			f, isDirect, err := OpenFile(p, createFlags, 0o600, true)
			require.NoError(t, err)
			data := randBytes(size, uint64(size))
			w := NewWriterSize(f, isDirect, stage)
			for rest := data; len(rest) > 0; {
				n := min(5000, len(rest))
				_, err := w.Write(rest[:n])
				require.NoError(t, err)
				rest = rest[n:]
			}
			if isDirect && size > 0 {
				assert.Zero(t, cap(*w.stage)%Align, "stage %d", stage)
				assert.LessOrEqual(t, cap(*w.stage), stage+Align, "stage %d", stage)
			}
			require.NoError(t, w.Flush())
			require.NoError(t, f.Close())
			got, err := os.ReadFile(p)
			require.NoError(t, err)
			require.True(t, bytes.Equal(data, got), "stage %d size %d direct %v: got %d bytes", stage, size, isDirect, len(got))
		}
	}
}
