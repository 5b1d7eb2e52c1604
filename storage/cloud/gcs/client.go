package gcs

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// defaultEndpoint is the scheme and host of the Cloud Storage JSON API.
const defaultEndpoint = "https://storage.googleapis.com"

// readWriteScope is the OAuth scope of the driver's requests: objects may
// be read, written and deleted, nothing else (no bucket settings, no
// IAM).
const readWriteScope = "https://www.googleapis.com/auth/devstorage.read_write"

// emulatorHost returns the scheme and host of the emulator that
// STORAGE_EMULATOR_HOST names, or "": a bare host:port means plain HTTP,
// as cloud.google.com/go/storage takes it.
func emulatorHost() string {
	h := os.Getenv("STORAGE_EMULATOR_HOST")
	if h == "" {
		return ""
	}
	if !strings.Contains(h, "://") {
		h = "http://" + h
	}
	return strings.TrimSuffix(h, "/")
}

// DefaultClient returns an HTTP client that authenticates its requests
// with Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS,
// gcloud's application default login, or the metadata server) for the
// devstorage.read_write scope, and the universe domain of those
// credentials. A non-empty universeDomain asks for credentials of that
// universe. The credentials are found with a background context, so that
// tokens refresh after ctx ends; ctx bounds only the search.
func DefaultClient(ctx context.Context, universeDomain string) (*http.Client, string, error) {
	type found struct {
		creds *google.Credentials
		err   error
	}
	ch := make(chan found, 1)
	go func() {
		creds, err := google.FindDefaultCredentialsWithParams(context.Background(), google.CredentialsParams{
			Scopes:         []string{readWriteScope},
			UniverseDomain: universeDomain,
		})
		ch <- found{creds, err}
	}()
	var f found
	select {
	case f = <-ch:
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
	if f.err != nil {
		return nil, "", fmt.Errorf("no Google Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, or the metadata server): %w", f.err)
	}
	ud, err := f.creds.GetUniverseDomain()
	if err != nil {
		return nil, "", fmt.Errorf("universe domain of the Google credentials: %w", err)
	}
	return &http.Client{Transport: &oauth2.Transport{Source: f.creds.TokenSource, Base: newTransport()}}, ud, nil
}

// newTransport returns the HTTP transport of a client: the default
// transport's settings, with enough idle connections kept per host for a
// host's parallel uploads and reads to reuse them.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	t.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.ResponseHeaderTimeout = 5 * time.Minute
	return t
}
