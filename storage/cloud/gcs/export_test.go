package gcs

import (
	"net/http"
	"time"

	"gocloud.dev/blob/driver"
)

// OpenDriver opens the driver of bucket name at endpoint with client (nil:
// unauthenticated), for drivertest.
func OpenDriver(name, endpoint string, client *http.Client) (driver.Bucket, error) {
	return openBucket(name, &Options{Endpoint: endpoint, HTTPClient: client})
}

// EmulatorEndpoint is the endpoint STORAGE_EMULATOR_HOST names.
func EmulatorEndpoint() string { return emulatorHost() }

// ShortRetryPause makes retries pause briefly until the returned func runs.
func ShortRetryPause() func() {
	old := retryPause
	retryPause = time.Millisecond
	return func() { retryPause = old }
}

// Exported for the escape tests.
var (
	EscapeKey   = escapeKey
	UnescapeKey = unescapeKey
)
