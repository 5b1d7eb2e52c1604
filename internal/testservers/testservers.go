// Package testservers gives tests a fresh, empty place on the project's test
// servers: an S3 bucket on versitygw, an Azure container on Azurite, a GCS
// bucket on fake-gcs-server and a PostgreSQL database, each removed when the
// test ends.
//
// The servers are started by scripts/test-servers, which prints the
// environment this package reads:
//
//	eval "$(scripts/test-servers up)"
//
// When a server is not configured or not reachable, the test fails if the CI
// environment variable is set and is skipped otherwise, with a message saying
// how to start the servers.
package testservers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// StartHint is the skip message of a test whose server is not running.
const StartHint = `start the test servers: eval "$(scripts/test-servers up)"`

// Environment variables set by scripts/test-servers (besides the SDKs'
// standard AWS_*, AZURE_STORAGE_* and STORAGE_EMULATOR_HOST).
const (
	EnvS3Endpoint  = "CUSTODIA_TEST_S3_ENDPOINT"  // http://127.0.0.1:PORT of versitygw
	EnvAzureDomain = "CUSTODIA_TEST_AZURE_DOMAIN" // 127.0.0.1:PORT of Azurite
	EnvGCSHost     = "STORAGE_EMULATOR_HOST"      // 127.0.0.1:PORT of fake-gcs-server
	EnvPostgres    = "CUSTODIA_TEST_POSTGRES"     // DSN of the server's admin database
)

// unavailable fails the test in CI and skips it elsewhere.
func unavailable(t testing.TB, server, why string) {
	t.Helper()
	msg := fmt.Sprintf("%s test server not available (%s); %s", server, why, StartHint)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// need returns the value of the environment variable env, after checking that
// something listens at the host:port hostport(value).
func need(t testing.TB, server, env string, hostport func(string) string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		unavailable(t, server, env+" is not set")
	}
	addr := hostport(v)
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		unavailable(t, server, "nothing answers at "+addr)
	}
	c.Close()
	return v
}

func urlHost(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return v
	}
	return u.Host
}

func plainHost(v string) string { return v }

// Name returns a fresh bucket, container or database name for t: lower-case
// letters, digits and sep, at most 40 characters, starting with "ct".
func Name(t testing.TB, sep string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		if b.Len() >= 20 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), sep):
			b.WriteString(sep)
		}
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	return "ct" + sep + strings.Trim(b.String(), sep) + sep + hex.EncodeToString(rnd[:])
}

func cleanupContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), time.Minute)
}
