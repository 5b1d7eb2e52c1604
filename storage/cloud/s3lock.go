package cloud

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	tmtypes "github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"gocloud.dev/blob"

	"github.com/custodia-backup/custodia/storage"
)

func init() { storage.RegisterLocker("s3", openS3Locker) }

// s3Locker is the object lock of an s3:// site: S3's retention (mode and
// retain-until date) on each blob, set when the blob is written
// (PutObject's object-lock headers) and extended with PutObjectRetention.
// The bucket must have been created with object lock enabled (which on
// AWS also enables versioning).
type s3Locker struct {
	client *s3.Client
	bucket string
	prefix string // the site URL's prefix, prepended to every key
}

func openS3Locker(b *blob.Bucket, siteURL string) (storage.SiteLocker, error) {
	u, err := url.Parse(siteURL)
	if err != nil {
		return nil, err
	}
	var client *s3.Client
	if !b.As(&client) {
		return nil, errors.New("not an S3 bucket")
	}
	return &s3Locker{client: client, bucket: u.Host, prefix: u.Query().Get("prefix")}, nil
}

func (l *s3Locker) Enabled(ctx context.Context) (bool, error) {
	out, err := l.client.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: &l.bucket})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "ObjectLockConfigurationNotFoundError" || ae.ErrorCode() == "NotImplemented") {
			return false, nil
		}
		return false, err
	}
	return out.ObjectLockConfiguration != nil && out.ObjectLockConfiguration.ObjectLockEnabled == types.ObjectLockEnabledEnabled, nil
}

func (l *s3Locker) BeforeWrite(mode storage.LockMode, until time.Time) func(as func(any) bool) error {
	return func(as func(any) bool) error {
		var in *transfermanager.UploadObjectInput
		if !as(&in) {
			return errors.New("s3 object lock: the driver does not expose its upload request")
		}
		in.ObjectLockMode = tmtypes.ObjectLockMode(mode)
		in.ObjectLockRetainUntilDate = aws.Time(wholeSecond(until))
		// S3 wants a checksum of a locked object's body.
		if in.ChecksumAlgorithm == "" {
			in.ChecksumAlgorithm = tmtypes.ChecksumAlgorithmCrc32
		}
		return nil
	}
}

func (l *s3Locker) Retention(ctx context.Context, key string) (storage.LockMode, time.Time, error) {
	out, err := l.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &l.bucket, Key: aws.String(l.prefix + key)})
	if err != nil {
		var nf *types.NotFound
		var nk *types.NoSuchKey
		if errors.As(err, &nf) || errors.As(err, &nk) {
			return "", time.Time{}, nil
		}
		return "", time.Time{}, err
	}
	if out.ObjectLockRetainUntilDate == nil || out.ObjectLockMode == "" {
		return "", time.Time{}, nil
	}
	return storage.LockMode(out.ObjectLockMode), *out.ObjectLockRetainUntilDate, nil
}

func (l *s3Locker) Extend(ctx context.Context, key string, mode storage.LockMode, until time.Time) error {
	switch mode {
	case storage.LockGovernance, storage.LockCompliance:
	default:
		return fmt.Errorf("s3 object lock: mode %q", mode)
	}
	_, err := l.client.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{
		Bucket: &l.bucket,
		Key:    aws.String(l.prefix + key),
		Retention: &types.ObjectLockRetention{
			Mode:            types.ObjectLockRetentionMode(mode),
			RetainUntilDate: aws.Time(wholeSecond(until)),
		},
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	})
	return err
}

// wholeSecond returns t in UTC rounded up to a whole second. S3 gives a
// lock's end back in whole seconds (the x-amz-object-lock-retain-until-date
// header), while a site may keep and enforce the fraction it was sent: a
// lock sent as 07.659 read back as 07 and refused deletes until 07.659,
// so prune, trusting what it read, failed on a lock it thought lapsed. A
// lock sent in whole seconds reads back as the lock the site enforces.
func wholeSecond(t time.Time) time.Time {
	t = t.UTC()
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}
