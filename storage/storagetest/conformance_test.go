package storagetest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"

	"github.com/custodia-backup/custodia/storage"
	"github.com/custodia-backup/custodia/storage/storagetest"
)

// The sizes every backend stores and reads back: empty, one byte, around
// shard and page boundaries, and the largest the suite writes (64 MiB).
var sizes = []int{0, 1, 4095, 4097, 1<<20 + 3, 64 << 20}

// payload returns n deterministic pseudo-random bytes for seed.
func payload(seed uint64, n int) []byte {
	var key [32]byte
	key[0] = byte(seed)
	key[1] = byte(seed >> 8)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

// openRaw opens the bucket behind a site URL the way gocloud users would.
func openRaw(t *testing.T, site string) *blob.Bucket {
	t.Helper()
	ctx := context.Background()
	var b *blob.Bucket
	var err error
	switch {
	case strings.HasPrefix(site, "mem://"):
		b = memblob.OpenBucket(nil)
	case !strings.Contains(site, "://"):
		require.NoError(t, os.MkdirAll(site, 0o777))
		b, err = fileblob.OpenBucket(site, &fileblob.Options{Metadata: fileblob.MetadataDontWrite})
	default:
		b, err = blob.OpenBucket(ctx, site)
	}
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	return b
}

func openStore(t *testing.T, site string, opts ...storage.Option) *storage.Store {
	t.Helper()
	st, err := storage.Open(context.Background(), []string{site}, append([]storage.Option{storage.WithCreate()}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// TestConformance runs one table of cases against every kind of site.
func TestConformance(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, b storagetest.Backend)
	}{
		{"RawRoundTrip", rawRoundTrip},
		{"RawCreateOnce", rawCreateOnce},
		{"StoreRoundTrip", storeRoundTrip},
		{"StoreList", storeList},
		{"StoreDelete", storeDelete},
		{"NameLengthLimit", nameLengthLimit},
		{"ConcurrentCreate", concurrentCreate},
		{"ConcurrentPutSameData", concurrentPutSameData},
		{"MissingBucket", missingBucket},
	}
	for _, b := range storagetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.run(t, b) })
			}
		})
	}
}

// Through the raw bucket: write, read whole and by range, list, delete.
func rawRoundTrip(t *testing.T, be storagetest.Backend) {
	ctx := context.Background()
	b := openRaw(t, be.New(t))
	for i, n := range sizes {
		key := fmt.Sprintf("raw/obj-%d", n)
		data := payload(uint64(i), n)
		require.NoError(t, b.WriteAll(ctx, key, data, nil), "write %d bytes", n)
		got, err := b.ReadAll(ctx, key)
		require.NoError(t, err)
		require.True(t, bytes.Equal(data, got), "%d bytes read back differ", n)
		if n > 2 {
			r, err := b.NewRangeReader(ctx, key, int64(n/2), int64(n-n/2-1), nil)
			require.NoError(t, err)
			part, err := io.ReadAll(r)
			require.NoError(t, r.Close())
			require.NoError(t, err)
			require.True(t, bytes.Equal(data[n/2:n-1], part), "range of %d bytes differs", n)
		}
		attrs, err := b.Attributes(ctx, key)
		require.NoError(t, err)
		require.EqualValues(t, n, attrs.Size)
	}
	var keys []string
	it := b.List(&blob.ListOptions{Prefix: "raw/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		keys = append(keys, obj.Key)
	}
	require.Len(t, keys, len(sizes))
	for _, n := range sizes {
		require.NoError(t, b.Delete(ctx, fmt.Sprintf("raw/obj-%d", n)))
	}
	_, err := b.ReadAll(ctx, "raw/obj-0")
	require.Equal(t, gcerrors.NotFound, gcerrors.Code(err))
}

// Through the raw bucket, writers racing with IfNotExist on one key: one
// wins, the others are refused, and the object is the winner's, whole.
func rawCreateOnce(t *testing.T, be storagetest.Backend) {
	ctx := context.Background()
	b := openRaw(t, be.New(t))
	const writers = 6
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			errs[i] = b.WriteAll(ctx, "race/one", payload(uint64(100+i), 256<<10), &blob.WriterOptions{IfNotExist: true})
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, winner, "two IfNotExist writers both succeeded")
			winner = i
			continue
		}
		var coded interface{ ErrorCode() string } // gocloud's s3blob may misreport a 412 (see storage.conditionFailed)
		if gcerrors.Code(err) != gcerrors.FailedPrecondition && (!errors.As(err, &coded) || coded.ErrorCode() != "PreconditionFailed") {
			t.Fatalf("writer %d: want a failed precondition, got %v", i, err)
		}
	}
	require.NotEqual(t, -1, winner, "no writer succeeded")
	got, err := b.ReadAll(ctx, "race/one")
	require.NoError(t, err)
	require.True(t, bytes.Equal(payload(uint64(100+winner), 256<<10), got), "the object is not the winner's")
}

// Through storage.Store: every size round-trips whole and by range.
func storeRoundTrip(t *testing.T, be storagetest.Backend) {
	ctx := context.Background()
	st := openStore(t, be.New(t))
	for i, n := range sizes {
		name := fmt.Sprintf("packs/obj-%d", n)
		data := payload(uint64(i), n)
		require.NoError(t, st.Put(ctx, name, data), "put %d bytes", n)
		got, h, err := st.Get(ctx, name)
		require.NoError(t, err)
		require.True(t, h.OK(), "health after put: %v", h)
		require.True(t, bytes.Equal(data, got), "%d bytes read back differ", n)
		for _, r := range [][2]int{{0, n}, {0, min(n, 1)}, {n / 3, n / 3}, {max(n-1, 0), min(n, 1)}} {
			part, err := st.GetRange(ctx, name, int64(r[0]), int64(r[1]))
			require.NoError(t, err, "range %v of %d", r, n)
			require.True(t, bytes.Equal(data[r[0]:r[0]+r[1]], part), "range %v of %d differs", r, n)
		}
		_, err = st.GetRange(ctx, name, int64(n), 1)
		require.ErrorIs(t, err, storage.ErrInvalidRange)
		h, err = st.Check(ctx, name, true)
		require.NoError(t, err)
		require.True(t, h.OK())
	}
	_, _, err := st.Get(ctx, "packs/never-written")
	require.ErrorIs(t, err, storage.ErrNotFound)
}

func storeList(t *testing.T, be storagetest.Backend) {
	ctx := context.Background()
	st := openStore(t, be.New(t))
	for _, n := range []string{"snapshots/b", "snapshots/a", "index/1", "snapshots-not/x"} {
		require.NoError(t, st.Put(ctx, n, []byte(n)))
	}
	var got []string
	for n, err := range st.List(ctx, "snapshots/") {
		require.NoError(t, err)
		got = append(got, n)
	}
	require.Equal(t, []string{"snapshots/a", "snapshots/b"}, got)
	got = got[:0]
	for n, err := range st.List(ctx, "") {
		require.NoError(t, err)
		got = append(got, n)
	}
	require.Equal(t, []string{"index/1", "snapshots-not/x", "snapshots/a", "snapshots/b"}, got)
}

func storeDelete(t *testing.T, be storagetest.Backend) {
	ctx := context.Background()
	st := openStore(t, be.New(t))
	require.NoError(t, st.Put(ctx, "locks/x", []byte("lock")))
	ok, err := st.Exists(ctx, "locks/x")
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, st.Delete(ctx, "locks/x"))
	ok, err = st.Exists(ctx, "locks/x")
	require.NoError(t, err)
	require.False(t, ok)
	_, _, err = st.Get(ctx, "locks/x")
	require.ErrorIs(t, err, storage.ErrNotFound)
	require.NoError(t, st.Delete(ctx, "locks/x"), "deleting a missing object is not an error")
	for n, err := range st.List(ctx, "") {
		require.NoError(t, err)
		t.Fatalf("listed %q after delete", n)
	}
}

// A name of exactly storage.MaxNameLen bytes (in segments a local file
// system accepts) is stored; one byte more is refused before any write.
func nameLengthLimit(t *testing.T, be storagetest.Backend) {
	ctx := context.Background()
	st := openStore(t, be.New(t))
	// 200 + 1 + 200 + 1 + 110 bytes: segments well under a file name's
	// 255-byte limit, with room for the shard suffix.
	segs := []string{strings.Repeat("a", 200), strings.Repeat("b", 200), strings.Repeat("c", storage.MaxNameLen-402)}
	name := strings.Join(segs, "/")
	require.Len(t, name, storage.MaxNameLen)
	require.NoError(t, st.Put(ctx, name, []byte("long name")))
	got, _, err := st.Get(ctx, name)
	require.NoError(t, err)
	require.Equal(t, "long name", string(got))
	var listed []string
	for n, err := range st.List(ctx, "") {
		require.NoError(t, err)
		listed = append(listed, n)
	}
	require.Equal(t, []string{name}, listed)

	require.ErrorIs(t, st.Put(ctx, name+"x", []byte("too long")), storage.ErrInvalidName)
}

// Writers racing to Create one name: at most one wins, the others get
// ErrExists, and the object read back is whole and one writer's.
func concurrentCreate(t *testing.T, be storagetest.Backend) {
	ctx := context.Background()
	st := openStore(t, be.New(t))
	const writers = 4
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() { errs[i] = st.Create(ctx, "snapshots/one", payload(uint64(200+i), 100<<10)) })
	}
	wg.Wait()
	var winners []int
	for i, err := range errs {
		if err == nil {
			winners = append(winners, i)
			continue
		}
		require.ErrorIs(t, err, storage.ErrExists, "writer %d", i)
	}
	require.LessOrEqual(t, len(winners), 1, "two Creates of one name succeeded")
	got, h, err := st.Get(ctx, "snapshots/one")
	if len(winners) == 0 {
		// Every writer lost: the name must then not read as a torn object.
		require.Error(t, err)
		return
	}
	require.NoError(t, err, "health %v", h)
	require.True(t, bytes.Equal(payload(uint64(200+winners[0]), 100<<10), got), "the object is not the winner's")
}

// Content-addressed objects are written by racing writers with the same
// bytes (two backups storing one pack): all succeed and the object is whole.
func concurrentPutSameData(t *testing.T, be storagetest.Backend) {
	ctx := context.Background()
	st := openStore(t, be.New(t))
	data := payload(300, 3<<20)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = st.Put(ctx, "packs/same", data) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	got, h, err := st.Get(ctx, "packs/same")
	require.NoError(t, err)
	require.True(t, h.OK(), "health %v", h)
	require.True(t, bytes.Equal(data, got))
}

// A site whose bucket (or folder) does not exist: Open fails with one line
// wrapping ErrSiteUnreachable and naming the site.
func missingBucket(t *testing.T, be storagetest.Backend) {
	var site string
	switch be.Name {
	case "mem":
		t.Skip("mem sites always exist")
	case "local":
		site = filepath.Join(t.TempDir(), "no-such-folder")
	default:
		site = storagetest.WithBucket(be.New(t), "ct-missing-bucket-0000")
	}
	_, err := storage.Open(context.Background(), []string{site})
	require.ErrorIs(t, err, storage.ErrSiteUnreachable)
	msg := err.Error()
	assert.NotContains(t, msg, "\n")
	if be.Name == "local" {
		assert.Contains(t, msg, "no-such-folder")
	} else {
		assert.Contains(t, msg, "ct-missing-bucket-0000")
	}
	assertNoSecret(t, msg)
}

// assertNoSecret checks that msg holds none of the test servers' secrets.
func assertNoSecret(t *testing.T, msg string) {
	t.Helper()
	for _, env := range []string{"AWS_SECRET_ACCESS_KEY", "AZURE_STORAGE_KEY"} {
		if s := os.Getenv(env); s != "" {
			assert.NotContains(t, msg, s, "the error shows %s", env)
		}
	}
}
