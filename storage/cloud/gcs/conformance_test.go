package gcs_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/blob/drivertest"
	"gocloud.dev/gcerrors"

	"github.com/custodia-backup/custodia/internal/testservers"
	"github.com/custodia-backup/custodia/storage/cloud/gcs"
)

// harness runs gocloud's driver conformance suite against the GCS test
// server (fake-gcs-server), on a fresh bucket per test.
type harness struct {
	t    *testing.T
	name string
}

func newHarness(_ context.Context, t *testing.T) (drivertest.Harness, error) {
	u, err := url.Parse(testservers.GCS(t))
	if err != nil {
		return nil, err
	}
	return &harness{t: t, name: u.Host}, nil
}

func (h *harness) MakeDriver(context.Context) (driver.Bucket, error) {
	return gcs.OpenDriver(h.name, gcs.EmulatorEndpoint(), nil)
}

func (h *harness) MakeDriverForNonexistentBucket(context.Context) (driver.Bucket, error) {
	return gcs.OpenDriver(testservers.Name(h.t, "-")+"-absent", gcs.EmulatorEndpoint(), nil)
}

// HTTPClient is nil: the driver makes no signed URLs.
func (h *harness) HTTPClient() *http.Client { return nil }

func (h *harness) Close() {}

func TestConformance(t *testing.T) {
	drivertest.RunConformanceTests(t, newHarness, []drivertest.AsTest{asTest{}})
}

// asTest checks the types the driver's As functions take.
type asTest struct{}

func (asTest) Name() string { return "gcs" }

func (asTest) BucketCheck(b *blob.Bucket) error {
	var c *http.Client
	if !b.As(&c) || c == nil {
		return errors.New("Bucket.As(**http.Client) failed")
	}
	return nil
}

func (asTest) ErrorCheck(b *blob.Bucket, err error) error {
	var e *gcs.Error
	if !b.ErrorAs(err, &e) {
		return errors.New("ErrorAs(**gcs.Error) failed")
	}
	if e.Status != http.StatusNotFound || gcerrors.Code(err) != gcerrors.NotFound {
		return errors.New("the error of a missing blob is not a 404, NotFound")
	}
	return nil
}

func requestCheck(as func(any) bool) error {
	var r *http.Request
	if !as(&r) || r == nil {
		return errors.New("as(**http.Request) failed")
	}
	return nil
}

func (asTest) BeforeRead(as func(any) bool) error  { return requestCheck(as) }
func (asTest) BeforeWrite(as func(any) bool) error { return requestCheck(as) }
func (asTest) BeforeCopy(as func(any) bool) error  { return requestCheck(as) }
func (asTest) BeforeList(as func(any) bool) error  { return requestCheck(as) }
func (asTest) BeforeSign(func(any) bool) error     { return nil }

func (asTest) AttributesCheck(attrs *blob.Attributes) error {
	var o gcs.Object
	if !attrs.As(&o) || o.Name == "" {
		return errors.New("Attributes.As(*gcs.Object) failed")
	}
	return nil
}

func (asTest) ReaderCheck(*blob.Reader) error { return nil }

func (asTest) ListObjectCheck(obj *blob.ListObject) error {
	var o gcs.Object
	if !obj.As(&o) || o.Name == "" {
		return errors.New("ListObject.As(*gcs.Object) failed")
	}
	return nil
}
