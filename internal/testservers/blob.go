package testservers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	gcaws "gocloud.dev/aws"
	"gocloud.dev/blob"

	// The schemes of the URLs this package returns.
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/s3blob"

	_ "github.com/custodia-backup/custodia/storage/cloud/gcs"
)

// S3 returns the gocloud URL of a fresh, empty bucket on the S3 test server
// (versitygw); the bucket is emptied and removed when the test ends.
// Credentials come from the standard AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY environment variables.
func S3(t testing.TB) string {
	t.Helper()
	endpoint := need(t, "S3", EnvS3Endpoint, urlHost)
	ctx := context.Background()
	client, err := s3Client(ctx, endpoint)
	if err != nil {
		t.Fatalf("S3 test server: %v", err)
	}
	name := Name(t, "-")
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatalf("S3 test server: create bucket %s: %v", name, err)
	}
	u := S3URL(endpoint, name)
	t.Cleanup(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		if err := empty(ctx, u); err != nil {
			t.Logf("S3 test server: empty bucket %s: %v", name, err)
			return
		}
		if _, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &name}); err != nil {
			t.Logf("S3 test server: delete bucket %s: %v", name, err)
		}
	})
	return u
}

// S3URL returns the gocloud URL of bucket on the S3 server at endpoint
// (http://host:port), whether or not the bucket exists.
func S3URL(endpoint, bucket string) string {
	q := url.Values{}
	q.Set("endpoint", endpoint)
	q.Set("region", s3Region())
	q.Set("use_path_style", "true")
	q.Set("disable_https", "true")
	return "s3://" + bucket + "?" + q.Encode()
}

func s3Region() string {
	if r := os.Getenv("AWS_REGION"); r != "" {
		return r
	}
	return "us-east-1"
}

func s3Client(ctx context.Context, endpoint string) (*s3.Client, error) {
	cfg, err := gcaws.V2ConfigFromURLParams(ctx, url.Values{"endpoint": {endpoint}, "region": {s3Region()}})
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), nil
}

// Azure returns the gocloud URL of a fresh, empty container on the Azure test
// server (Azurite); it is removed when the test ends. Credentials come from
// the standard AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY variables.
func Azure(t testing.TB) string {
	t.Helper()
	domain := need(t, "Azure", EnvAzureDomain, plainHost)
	client, err := azureClient(domain)
	if err != nil {
		t.Fatalf("Azure test server: %v", err)
	}
	name := Name(t, "-")
	ctx := context.Background()
	if _, err := client.CreateContainer(ctx, name, nil); err != nil {
		t.Fatalf("Azure test server: create container %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		if _, err := client.DeleteContainer(ctx, name, nil); err != nil {
			t.Logf("Azure test server: delete container %s: %v", name, err)
		}
	})
	return AzureURL(domain, name)
}

// AzureURL returns the gocloud URL of container on the Azurite server at
// domain (host:port), whether or not the container exists.
func AzureURL(domain, container string) string {
	return "azblob://" + container + "?" + url.Values{"protocol": {"http"}, "domain": {domain}}.Encode()
}

func azureClient(domain string) (*azblob.Client, error) {
	account := os.Getenv("AZURE_STORAGE_ACCOUNT")
	cred, err := azblob.NewSharedKeyCredential(account, os.Getenv("AZURE_STORAGE_KEY"))
	if err != nil {
		return nil, err
	}
	return azblob.NewClientWithSharedKeyCredential("http://"+domain+"/"+account, cred, nil)
}

// GCS returns the gocloud URL of a fresh, empty bucket on the GCS test server
// (fake-gcs-server, reached through STORAGE_EMULATOR_HOST, as the Google
// SDKs do); the bucket is emptied and removed when the test ends.
func GCS(t testing.TB) string {
	t.Helper()
	host := need(t, "GCS", EnvGCSHost, plainHost)
	name := Name(t, "-")
	ctx := context.Background()
	body, _ := json.Marshal(map[string]string{"name": name})
	if err := gcsCall(ctx, http.MethodPost, "http://"+host+"/storage/v1/b?project=custodia-test", body); err != nil {
		t.Fatalf("GCS test server: create bucket %s: %v", name, err)
	}
	u := "gs://" + name
	t.Cleanup(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		if err := empty(ctx, u); err != nil {
			t.Logf("GCS test server: empty bucket %s: %v", name, err)
			return
		}
		if err := gcsCall(ctx, http.MethodDelete, "http://"+host+"/storage/v1/b/"+name, nil); err != nil {
			t.Logf("GCS test server: delete bucket %s: %v", name, err)
		}
	})
	return u
}

func gcsCall(ctx context.Context, method, u string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// empty deletes every object of the bucket at u.
func empty(ctx context.Context, u string) error {
	b, err := blob.OpenBucket(ctx, u)
	if err != nil {
		return err
	}
	defer b.Close()
	it := b.List(nil)
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := b.Delete(ctx, obj.Key); err != nil {
			return err
		}
	}
}
