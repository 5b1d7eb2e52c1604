// Package gcs is a gocloud.dev/blob driver for Google Cloud Storage over
// its JSON API, written on net/http and golang.org/x/oauth2/google alone.
//
// It registers itself for the gs:// scheme on blob.DefaultURLMux, in the
// place of gocloud.dev/blob/gcsblob, whose cloud.google.com/go/storage
// links gRPC, OpenTelemetry and Cloud Monitoring into every binary and
// costs some 18 MB of resident memory before a host does anything. The
// objects it writes and the keys it gives them are those gcsblob gives, so
// buckets written by either read with the other.
//
// # URLs
//
// gs://BUCKET opens the bucket BUCKET with Application Default Credentials
// (GOOGLE_APPLICATION_CREDENTIALS, gcloud's application default login, or
// the metadata server on Google Cloud) and the devstorage.read_write scope.
// When STORAGE_EMULATOR_HOST is set (host:port, or a URL), every request
// goes to that emulator over plain HTTP without credentials, as the Google
// SDKs do. The query parameters gcsblob accepts are accepted:
//
//   - anonymous=true: send no credentials (public buckets);
//   - access_id=-: the same; any other access_id, and private_key_path,
//     are only used by gcsblob to sign URLs, which this driver does not
//     make, and are ignored;
//   - universe_domain=DOMAIN: the API of storage.DOMAIN instead of
//     storage.googleapis.com.
//
// # Errors and retries
//
// A 404 is gcerrors.NotFound, a 412 (an IfNotExist write of an existing
// object) gcerrors.FailedPrecondition, a 429 gcerrors.ResourceExhausted,
// 401 and 403 gcerrors.PermissionDenied. Idempotent requests (metadata,
// reads, lists and deletes) are tried again on a 408, 429 or 5xx answer or
// a transport error, up to three times with a jittered exponential pause;
// uploads stream their body and are not, so a host retries them itself
// (custodia's storage package does). Errors name the operation, the bucket
// and the key, never a credential.
//
// # As
//
// Bucket.As takes a **http.Client; Attributes.As and ListObject.As take
// a *Object (the JSON resource); ErrorAs takes a **Error; the Before*
// callbacks take a **http.Request, the request about to be sent (the
// writer's before any byte of its body).
package gcs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"gocloud.dev/blob"
)

// Scheme is the URL scheme this package registers on blob.DefaultURLMux.
const Scheme = "gs"

func init() {
	blob.DefaultURLMux().RegisterBucket(Scheme, new(urlOpener))
}

// Options configure OpenBucket.
type Options struct {
	// HTTPClient sends the requests; it must add the credentials. Nil
	// means an unauthenticated client (for an emulator or a public
	// bucket): DefaultClient gives one with Application
	// Default Credentials.
	HTTPClient *http.Client
	// Endpoint is the scheme and host of the API, without a path; empty
	// means https://storage.googleapis.com.
	Endpoint string
}

// OpenBucket returns a *blob.Bucket of the existing Google Cloud Storage
// bucket named bucketName. It sends no request: a missing bucket shows in
// the first call.
func OpenBucket(ctx context.Context, bucketName string, opts *Options) (*blob.Bucket, error) {
	b, err := openBucket(bucketName, opts)
	if err != nil {
		return nil, err
	}
	return blob.NewBucket(b), nil
}

func openBucket(name string, opts *Options) (*bucket, error) {
	if name == "" {
		return nil, errors.New("gcs: a bucket name is required")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Endpoint == "" {
		o.Endpoint = defaultEndpoint
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Transport: newTransport()}
	}
	return &bucket{name: name, client: o.HTTPClient, api: newAPI(o.Endpoint)}, nil
}

// urlOpener opens gs:// URLs on the default mux. It finds the Application
// Default Credentials on the first authenticated open and keeps them, so
// every bucket of a process shares one token source and one connection
// pool; a failure is not kept, and the next open tries again.
type urlOpener struct {
	mu      sync.Mutex
	clients map[string]Options // by the URL's universe_domain
	anon    *http.Client
}

// OpenBucketURL opens the bucket named by u's host.
func (o *urlOpener) OpenBucketURL(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	opts, err := o.options(ctx, u.Query())
	if err != nil {
		return nil, fmt.Errorf("gcs: open bucket %q: %w", u.Host, err)
	}
	return OpenBucket(ctx, u.Host, opts)
}

func (o *urlOpener) options(ctx context.Context, q url.Values) (*Options, error) {
	anonymous := false
	for k := range q {
		switch k {
		case "anonymous":
			v, err := strconv.ParseBool(q.Get(k))
			if err != nil {
				return nil, fmt.Errorf("invalid value %q for query parameter \"anonymous\"", q.Get(k))
			}
			anonymous = anonymous || v
		case "access_id":
			anonymous = anonymous || q.Get(k) == "-"
		case "private_key_path", "universe_domain":
		default:
			return nil, fmt.Errorf("invalid query parameter %q", k)
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if host := emulatorHost(); host != "" {
		return &Options{HTTPClient: o.anonClient(), Endpoint: host}, nil
	}
	domain := q.Get("universe_domain")
	endpoint := ""
	if domain != "" {
		endpoint = "https://storage." + domain
	}
	if anonymous {
		return &Options{HTTPClient: o.anonClient(), Endpoint: endpoint}, nil
	}
	if opts, ok := o.clients[domain]; ok {
		return &opts, nil
	}
	c, ud, err := DefaultClient(ctx, domain)
	if err != nil {
		return nil, err
	}
	if endpoint == "" && ud != "" && ud != "googleapis.com" {
		endpoint = "https://storage." + ud
	}
	if o.clients == nil {
		o.clients = map[string]Options{}
	}
	o.clients[domain] = Options{HTTPClient: c, Endpoint: endpoint}
	opts := o.clients[domain]
	return &opts, nil
}

func (o *urlOpener) anonClient() *http.Client {
	if o.anon == nil {
		o.anon = &http.Client{Transport: newTransport()}
	}
	return o.anon
}
