package testservers

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Locked is S3 for a bucket created with object lock enabled, so that
// objects can be written with a retention mode and date. When the test
// ends its objects are deleted bypassing GOVERNANCE retention; objects
// under COMPLIANCE retention are deleted once their retention date has
// passed, waiting up to two minutes (tests lock for seconds), and the
// bucket is removed.
func S3Locked(t testing.TB) string {
	t.Helper()
	endpoint := need(t, "S3", EnvS3Endpoint, urlHost)
	ctx := context.Background()
	client, err := s3Client(ctx, endpoint)
	if err != nil {
		t.Fatalf("S3 test server: %v", err)
	}
	name := Name(t, "-")
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name, ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatalf("S3 test server: create bucket %s with object lock: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if err := emptyLocked(ctx, client, name); err != nil {
			t.Logf("S3 test server: empty locked bucket %s: %v", name, err)
			return
		}
		if _, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &name}); err != nil {
			t.Logf("S3 test server: delete bucket %s: %v", name, err)
		}
	})
	return S3URL(endpoint, name)
}

// emptyLocked deletes every object of bucket, bypassing GOVERNANCE
// retention and waiting out COMPLIANCE retention.
func emptyLocked(ctx context.Context, client *s3.Client, bucket string) error {
	for {
		var left []string
		var wait time.Duration
		p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &bucket})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, obj := range page.Contents {
				_, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: obj.Key, BypassGovernanceRetention: aws.Bool(true)})
				if err == nil {
					continue
				}
				left = append(left, *obj.Key)
				head, herr := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: obj.Key})
				if herr != nil || head.ObjectLockRetainUntilDate == nil {
					return err
				}
				wait = max(wait, time.Until(*head.ObjectLockRetainUntilDate))
			}
		}
		if len(left) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait + time.Second):
		}
	}
}
