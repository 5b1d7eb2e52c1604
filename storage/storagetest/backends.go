// Package storagetest holds what the storage conformance suite and other
// cloud-server tests share: the five kinds of site a repository can live on
// (local folder, mem, S3, Azure, GCS), each as a fresh empty site URL, and
// a fault-injecting HTTP proxy that puts a cloud site down, cuts a write in
// the middle, or answers 5xx and stalls for a while.
package storagetest

import (
	"fmt"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/custodia-backup/custodia/internal/testservers"
	// The cloud kinds' URLs open through their gocloud drivers.
	_ "github.com/custodia-backup/custodia/storage/cloud"
)

// Backend is one kind of site.
type Backend struct {
	Name string
	// New returns the URL of a fresh, empty site of this kind, removed
	// when the test ends. Cloud kinds need the test servers: without them
	// the test is skipped, or fails when CI is set.
	New func(t testing.TB) string
	// Cloud is true for the kinds reached over HTTP (S3, Azure, GCS).
	Cloud bool
}

var memCount atomic.Int64

// Backends returns every kind of site: local folder, mem, S3, Azure, GCS.
func Backends() []Backend {
	return []Backend{
		{Name: "local", New: func(t testing.TB) string { return filepath.Join(t.TempDir(), "site") }},
		{Name: "mem", New: func(testing.TB) string { return fmt.Sprintf("mem://storagetest-%d", memCount.Add(1)) }},
		{Name: "s3", New: testservers.S3, Cloud: true},
		{Name: "azure", New: testservers.Azure, Cloud: true},
		{Name: "gcs", New: testservers.GCS, Cloud: true},
	}
}

// Cloud returns the backends reached over HTTP.
func Cloud() []Backend {
	var out []Backend
	for _, b := range Backends() {
		if b.Cloud {
			out = append(out, b)
		}
	}
	return out
}

// WithBucket returns u, a cloud site URL, naming bucket instead of its own
// bucket or container (for example one that does not exist).
func WithBucket(u, bucket string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.Host = bucket
	return p.String()
}
