// Package cloud registers the gocloud.dev/blob drivers of the cloud
// object stores, so that storage.Open accepts their site URLs:
//
//   - s3://bucket (Amazon S3 and S3-compatible servers),
//   - gs://bucket (Google Cloud Storage),
//   - azblob://container (Azure Blob Storage).
//
// Package storage itself registers only file:// (and bare paths) and
// mem://, so that a host binary carries only the cloud SDKs it needs. A
// host that wants every provider imports this package for its side
// effect, once, next to its main package:
//
//	import _ "github.com/custodia-backup/custodia/storage/cloud"
//
// A host that wants one provider imports that driver instead (for example
// _ "gocloud.dev/blob/s3blob", or for gs:// this module's
// _ "github.com/custodia-backup/custodia/storage/cloud/gcs"), or opens
// the bucket itself and hands it in with storage.WithBucket. gs:// is
// registered by storage/cloud/gcs, not gocloud.dev/blob/gcsblob: a host
// that links gcsblob too panics at start (both claim the scheme).
package cloud

import (
	// Registered so that their URLs open with blob.OpenBucket.
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/s3blob"

	// gs:// is this module's own driver over the JSON API (not
	// gocloud.dev/blob/gcsblob, whose SDK costs 18 MB of resident memory).
	_ "github.com/custodia-backup/custodia/storage/cloud/gcs"
)
