package gcs_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
	"golang.org/x/oauth2"

	"github.com/custodia-backup/custodia/internal/testservers"
	"github.com/custodia-backup/custodia/storage/cloud/gcs"
	"github.com/custodia-backup/custodia/storage/storagetest"
)

// open opens the gs:// URL u through the default mux, as a host does.
func open(t *testing.T, u string) *blob.Bucket {
	t.Helper()
	b, err := blob.OpenBucket(context.Background(), u)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// A listing by "/" gives the objects of a level and its "directories",
// in key order, through pages.
func TestListDirs(t *testing.T) {
	ctx := context.Background()
	b := open(t, testservers.GCS(t))
	for _, k := range []string{"p/a", "p/b/1", "p/b/2", "p/c", "p/d/1", "q"} {
		require.NoError(t, b.WriteAll(ctx, k, []byte(k), nil))
	}
	var got []string
	it := b.List(&blob.ListOptions{Prefix: "p/", Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if obj.IsDir {
			got = append(got, obj.Key+" dir")
		} else {
			got = append(got, obj.Key)
			assert.Equal(t, int64(len(obj.Key)), obj.Size)
			assert.False(t, obj.ModTime.IsZero())
			assert.Len(t, obj.MD5, 16)
		}
	}
	assert.Equal(t, []string{"p/a", "p/b/ dir", "p/c", "p/d/ dir"}, got)

	var keys []string
	var token = blob.FirstPageToken
	for {
		page, next, err := b.ListPage(ctx, token, 2, nil)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(page), 2)
		for _, o := range page {
			keys = append(keys, o.Key)
		}
		if len(next) == 0 {
			break
		}
		token = next
	}
	assert.Equal(t, []string{"p/a", "p/b/1", "p/b/2", "p/c", "p/d/1", "q"}, keys)
}

// proxied opens a fresh bucket of the test server through a proxy that
// injects faults, and writes "data" into its object "k".
func proxied(t *testing.T) (*blob.Bucket, *storagetest.Proxy) {
	t.Helper()
	site := testservers.GCS(t)
	p := storagetest.NewProxy(t, storagetest.Target(t, site))
	b := open(t, storagetest.Via(t, p, site))
	require.NoError(t, b.WriteAll(context.Background(), "k", []byte("data"), nil))
	return b, p
}

// Idempotent requests are tried again on a 5xx or a 429, at most three
// times; an upload (which streams its body) is not, and a failed one
// publishes nothing.
func TestRetries(t *testing.T) {
	defer gcs.ShortRetryPause()()
	ctx := context.Background()
	b, p := proxied(t)

	p.FailNext(2, http.StatusServiceUnavailable)
	got, err := b.ReadAll(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "data", string(got))
	assert.Equal(t, int64(2), p.Faults())

	p.FailNext(1, http.StatusTooManyRequests)
	_, err = b.Attributes(ctx, "k")
	require.NoError(t, err)
	p.FailNext(1, http.StatusBadGateway)
	_, _, err = b.ListPage(ctx, blob.FirstPageToken, 10, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(4), p.Faults())

	p.FailNext(3, http.StatusServiceUnavailable)
	_, err = b.ReadAll(ctx, "k")
	require.Error(t, err)
	assert.Equal(t, gcerrors.Internal, gcerrors.Code(err))
	assert.Equal(t, int64(7), p.Faults(), "a read is tried three times")

	p.FailNext(1, http.StatusServiceUnavailable)
	err = b.WriteAll(ctx, "w", []byte("new"), &blob.WriterOptions{IfNotExist: true})
	require.Error(t, err)
	assert.Equal(t, int64(8), p.Faults())
	_, err = b.Attributes(ctx, "w")
	assert.Equal(t, gcerrors.NotFound, gcerrors.Code(err), "a failed upload published the object")

	// A delete tried again after a failure, that then finds no object,
	// was carried out by the failed try: it succeeds.
	p.FailNext(1, http.StatusServiceUnavailable)
	require.NoError(t, b.Delete(ctx, "k"))
	p.FailNext(1, http.StatusServiceUnavailable)
	require.NoError(t, b.Delete(ctx, "k"))
	assert.Equal(t, gcerrors.NotFound, gcerrors.Code(b.Delete(ctx, "k")))
}

// A stalled server ends with the caller's deadline; a stopped one with
// an error of one line naming the object, after the retries.
func TestUnreachable(t *testing.T) {
	defer gcs.ShortRetryPause()()
	ctx := context.Background()
	b, p := proxied(t)

	p.StallNext(100, time.Hour)
	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := b.ReadAll(short, "k")
	require.Error(t, err)
	assert.Equal(t, gcerrors.DeadlineExceeded, gcerrors.Code(err))
	assert.Less(t, time.Since(start), 10*time.Second)

	p.Stop()
	_, err = b.Attributes(ctx, "k")
	require.Error(t, err)
	msg := err.Error()
	assert.NotContains(t, msg, "\n")
	assert.Contains(t, msg, "k")
	assert.Contains(t, msg, "connection refused")
	assert.NotContains(t, msg, "projection=", "the error repeats the request's URL")
}

// No credential appears in an error: the token goes in a header, never
// into a URL or a message.
func TestErrorsHoldNoCredential(t *testing.T) {
	const secret = "ya29.custodia-test-secret-token"
	ctx := context.Background()
	u, err := url.Parse(testservers.GCS(t))
	require.NoError(t, err)
	client := &http.Client{Transport: &oauth2.Transport{Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: secret})}}
	drv, err := gcs.OpenDriver(u.Host, gcs.EmulatorEndpoint(), client)
	require.NoError(t, err)
	b := blob.NewBucket(drv)
	defer b.Close()
	require.NoError(t, b.WriteAll(ctx, "k", []byte("x"), nil))
	var errs []error
	_, err = b.ReadAll(ctx, "missing")
	errs = append(errs, err)
	errs = append(errs, b.WriteAll(ctx, "k", []byte("y"), &blob.WriterOptions{IfNotExist: true}))
	errs = append(errs, b.Delete(ctx, "missing"))
	_, err = b.Attributes(ctx, "")
	errs = append(errs, err)
	for _, err := range errs {
		require.Error(t, err)
		assert.NotContains(t, err.Error(), secret)
		assert.NotContains(t, err.Error(), "Bearer")
	}
	assert.Equal(t, gcerrors.NotFound, gcerrors.Code(errs[0]))
	assert.Equal(t, gcerrors.FailedPrecondition, gcerrors.Code(errs[1]))
	assert.Equal(t, gcerrors.NotFound, gcerrors.Code(errs[2]))
	assert.Contains(t, errs[0].Error(), "missing")
	var e *gcs.Error
	require.True(t, b.ErrorAs(errs[1], &e))
	assert.Equal(t, http.StatusPreconditionFailed, e.Status)
}

// The URL opener takes gcsblob's query parameters; without the emulator
// it needs Application Default Credentials and says so when there are
// none.
func TestURLOpener(t *testing.T) {
	ctx := context.Background()
	site := testservers.GCS(t)
	for _, q := range []string{"", "?anonymous=true", "?access_id=-", "?access_id=x%40y.iam.gserviceaccount.com&private_key_path=%2Fnone", "?universe_domain=googleapis.com"} {
		b := open(t, site+q)
		ok, err := b.IsAccessible(ctx)
		require.NoError(t, err, q)
		assert.True(t, ok, q)
	}
	for _, q := range []string{"?anonymous=maybe", "?endpoint=http%3A%2F%2Fx"} {
		_, err := blob.OpenBucket(ctx, site+q)
		assert.Error(t, err, q)
	}

	t.Setenv("STORAGE_EMULATOR_HOST", "")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "absent.json"))
	_, err := blob.OpenBucket(ctx, "gs://custodia-none")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "\n")
	assert.Contains(t, err.Error(), "Application Default Credentials")

	// With credentials the bucket opens (no request is sent) and reaches
	// storage.googleapis.com, or with anonymous=true sends none.
	creds := filepath.Join(t.TempDir(), "sa.json")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	js, err := json.Marshal(map[string]string{
		"type":         "service_account",
		"client_email": "ci@custodia-test.iam.gserviceaccount.com",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: must(x509.MarshalPKCS8PrivateKey(key))})),
		"token_uri":    "http://127.0.0.1:1/token",
	})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(creds, js, 0o600))
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", creds)
	b := open(t, "gs://custodia-none")
	// The token endpoint is down: the request fails on one line, with
	// nothing of the key in it.
	defer gcs.ShortRetryPause()()
	_, err = b.Attributes(ctx, "k")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "\n")
	assert.NotContains(t, err.Error(), "PRIVATE")
	assert.Contains(t, err.Error(), "token")
	var c *http.Client
	require.True(t, b.As(&c))
	_, ok := c.Transport.(*oauth2.Transport)
	assert.True(t, ok, "the client does not authenticate")
	anon := open(t, "gs://custodia-none?anonymous=true")
	require.True(t, anon.As(&c))
	_, ok = c.Transport.(*oauth2.Transport)
	assert.False(t, ok, "an anonymous client authenticates")
}

// Keys are escaped as gcsblob escapes them and come back whole.
func TestEscape(t *testing.T) {
	for key, name := range map[string]string{
		"packs/ab/cd":     "packs/ab/cd",
		"a\nb\rc":         "a__0xa__b__0xd__c",
		"../x/../y":       "..__0x2f__x/..__0x2f__y",
		"./x":             "./x",
		"":                "",
		"\u00e9t\u00e9/k": "\u00e9t\u00e9/k",
	} {
		assert.Equal(t, name, gcs.EscapeKey(key), "%q", key)
		assert.Equal(t, key, gcs.UnescapeKey(name), "%q", name)
	}
	for _, name := range []string{"__0x", "__0x__", "__0xzz__", "a__0x41_b", "__0x__0x41__"} {
		assert.NotPanics(t, func() { gcs.UnescapeKey(name) })
	}
	assert.Equal(t, "__0xA", gcs.UnescapeKey("__0x__0x41__"))
}

// unescapeKey decodes names read from a bucket: it never panics, and
// every key without an escape in it comes back from its name.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"a", "a\nb", "../..", "__0x41__", "__0x__0x41__", "x__0x110000__"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		name := gcs.EscapeKey(key)
		back := gcs.UnescapeKey(name)
		if !strings.Contains(key, "__0x") && strings.ToValidUTF8(key, "\uFFFD") == key {
			if back != key {
				t.Fatalf("key %q: name %q: back %q", key, name, back)
			}
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
