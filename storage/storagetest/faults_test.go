package storagetest_test

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/storage"
	"github.com/custodia-backup/custodia/storage/storagetest"
)

// TestFaults runs the failure cases against every cloud kind of site, each
// through a fault-injecting proxy in front of the test server.
func TestFaults(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, b storagetest.Backend)
	}{
		{"WrongCredentials", wrongCredentials},
		{"StopsMidWrite", stopsMidWrite},
		{"ErrorsForAWhile", errorsForAWhile},
		{"ErrorsForGood", errorsForGood},
		{"Stalls", stalls},
	}
	for _, b := range storagetest.Cloud() {
		t.Run(b.Name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.run(t, b) })
			}
		})
	}
}

// proxied returns a fresh site of kind b reached through a new proxy.
func proxied(t *testing.T, b storagetest.Backend) (string, *storagetest.Proxy) {
	site := b.New(t)
	p := storagetest.NewProxy(t, storagetest.Target(t, site))
	return storagetest.Via(t, p, site), p
}

// siteHost is how an error names the proxied site: its bucket or container.
func siteHost(t *testing.T, site string) string {
	u, err := url.Parse(site)
	require.NoError(t, err)
	return u.Host
}

// oneLine checks the shape of an error a user sees: one line, naming the
// site, holding no secret.
func oneLine(t *testing.T, err error, site string) {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	assert.NotContains(t, msg, "\n", "the error is more than one line")
	assert.Contains(t, msg, siteHost(t, site), "the error does not name the site")
	assertNoSecret(t, msg)
}

func wrongCredentials(t *testing.T, b storagetest.Backend) {
	site := b.New(t)
	switch b.Name {
	case "s3":
		t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-"+strings.Repeat("x", 20))
	case "azure":
		// gocloud reads the AZURE_STORAGE_* variables once per process, so
		// the wrong credentials are those of another account: the key
		// signs for devstoreaccount1, the URL names otheraccount.
		u, err := url.Parse(site)
		require.NoError(t, err)
		q := u.Query()
		q.Set("storage_account", "otheraccount")
		u.RawQuery = q.Encode()
		site = u.String()
	default:
		t.Skipf("the %s emulator does not check credentials", b.Name)
	}
	_, err := storage.Open(context.Background(), []string{site})
	require.ErrorIs(t, err, storage.ErrSiteUnreachable)
	oneLine(t, err, site)
}

// A server that dies in the middle of a shard upload: Put fails naming the
// site; once the server is back, nothing half-written reads as the object
// (it reads as exactly what was put, or not at all) and the same Put
// completes it.
func stopsMidWrite(t *testing.T, b storagetest.Backend) {
	ctx := context.Background()
	site, p := proxied(t, b)
	st := openStore(t, site)
	data := payload(400, 4<<20)
	p.CutNextWrite(100 << 10)
	putCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	err := st.Put(putCtx, "packs/cut", data)
	oneLine(t, err, site)
	require.Equal(t, int64(1), p.Faults())

	p.Start()
	// Shard uploads are atomic: those that landed before the cut are
	// whole, the cut one is absent. When k of them landed, the object
	// reads, and then only as exactly what was put (its hash is checked).
	if got, _, err := st.Get(ctx, "packs/cut"); err == nil {
		require.True(t, bytes.Equal(data, got), "a Put that failed left a readable object with other bytes (%d bytes)", len(got))
	}
	require.NoError(t, st.Put(ctx, "packs/cut", data))
	got, h, err := st.Get(ctx, "packs/cut")
	require.NoError(t, err)
	require.True(t, h.OK(), "health %v", h)
	require.True(t, bytes.Equal(data, got))
}

// A few 503 answers are retried away: Put and Get succeed.
func errorsForAWhile(t *testing.T, b storagetest.Backend) {
	ctx := context.Background()
	site, p := proxied(t, b)
	st := openStore(t, site)
	data := payload(500, 1<<20)
	p.FailNext(2, 503)
	require.NoError(t, st.Put(ctx, "packs/flaky", data))
	p.FailNext(2, 503)
	got, _, err := st.Get(ctx, "packs/flaky")
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, got))
	require.Equal(t, int64(4), p.Faults())
}

// A server that answers only 503: after its retries Put gives up with one
// line naming the site, in bounded time.
func errorsForGood(t *testing.T, b storagetest.Backend) {
	ctx := context.Background()
	site, p := proxied(t, b)
	st := openStore(t, site)
	p.FailEvery(1)
	start := time.Now()
	err := st.Put(ctx, "packs/down", payload(600, 64<<10))
	oneLine(t, err, site)
	assert.Less(t, time.Since(start), 3*time.Minute)
	assert.Greater(t, p.Faults(), int64(1), "no retry was made")
}

// A server that stops answering: the caller's deadline ends the Put with
// an error naming the site.
func stalls(t *testing.T, b storagetest.Backend) {
	ctx := context.Background()
	site, p := proxied(t, b)
	st := openStore(t, site)
	p.StallNext(1000, time.Hour)
	putCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	start := time.Now()
	err := st.Put(putCtx, "packs/stalled", payload(700, 64<<10))
	oneLine(t, err, site)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 30*time.Second)
}
