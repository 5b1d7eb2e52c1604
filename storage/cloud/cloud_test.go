package cloud_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"gocloud.dev/blob"

	_ "github.com/custodia-backup/custodia/storage/cloud"
)

func TestRegistersCloudSchemes(t *testing.T) {
	for _, scheme := range []string{"s3", "gs", "azblob"} {
		assert.True(t, blob.DefaultURLMux().ValidBucketScheme(scheme), scheme)
	}
}
