package storage

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"gocloud.dev/gcerrors"
)

// Requests to a remote site that fail for a reason that may pass (a 5xx
// answer, a refused or broken connection, throttling) are tried again after
// an exponentially growing, jittered pause: retryAttempts tries in all,
// the first pause retryPause. This comes on top of the driver's own
// retries (the AWS and Azure SDKs', storage/cloud/gcs's), which not every
// driver makes for uploads: storage/cloud/gcs streams an upload's body and
// leaves sending it again to these.
var (
	retryAttempts = 3
	retryPause    = 250 * time.Millisecond
)

// transient reports whether err, from a request to a remote site, may
// succeed if the request is made again.
func transient(err error) bool {
	switch {
	case err == nil, conditionFailed(err),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, ErrShardMissing), errors.Is(err, ErrShardCorrupt),
		errors.Is(err, errShardExists):
		return false
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound, gcerrors.AlreadyExists, gcerrors.FailedPrecondition,
		gcerrors.PermissionDenied, gcerrors.InvalidArgument, gcerrors.Unimplemented,
		gcerrors.Canceled:
		return false
	}
	return true
}

// retry runs op, again while it fails transiently on a remote site and
// ctx allows, and returns its last error, which then says how many tries
// were made.
func (st *bucketSite) retry(ctx context.Context, op func() error) error {
	if !st.remote {
		return op()
	}
	pause := retryPause
	for try := 1; ; try++ {
		err := op()
		if err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		if try == retryAttempts {
			return fmt.Errorf("%w (gave up after %d tries)", err, try)
		}
		t := time.NewTimer(pause/2 + rand.N(pause))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		pause *= 2
	}
}

// conditionFailed reports whether a conditional (if-not-exists) write
// failed because the blob exists. Besides gocloud's FailedPrecondition it
// looks at the provider's own error code: gocloud v0.46's s3blob takes any
// S3 error whose text contains "301" (a request ID may) for a missing
// bucket, so a 412 PreconditionFailed is sometimes reported as NotFound.
func conditionFailed(err error) bool {
	if errors.Is(err, errShardExists) || gcerrors.Code(err) == gcerrors.FailedPrecondition {
		return true
	}
	var coded interface{ ErrorCode() string }
	return errors.As(err, &coded) && coded.ErrorCode() == "PreconditionFailed"
}
