package gcs

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// api holds the URL prefixes of the JSON API at an endpoint.
type api struct {
	json   string // scheme://host/storage/v1
	upload string // scheme://host/upload/storage/v1
}

func newAPI(endpoint string) api {
	endpoint = strings.TrimSuffix(endpoint, "/")
	return api{json: endpoint + "/storage/v1", upload: endpoint + "/upload/storage/v1"}
}

// objects returns the URL of the objects collection of bucket.
func (a api) objects(bucket string, q url.Values) string {
	return withQuery(a.json+"/b/"+url.PathEscape(bucket)+"/o", q)
}

// object returns the URL of the object name of bucket.
func (a api) object(bucket, name string, q url.Values) string {
	return withQuery(a.json+"/b/"+url.PathEscape(bucket)+"/o/"+url.PathEscape(name), q)
}

func withQuery(u string, q url.Values) string {
	if len(q) == 0 {
		return u
	}
	return u + "?" + q.Encode()
}

// Idempotent requests are sent up to retryAttempts times while they fail
// transiently, the first pause retryPause, doubling, each jittered.
// Above the driver, custodia's storage package tries every request to a
// remote site up to three times too; these bounds keep the product short
// (at most nine requests and a few seconds of pauses).
var (
	retryAttempts = 3
	retryPause    = 200 * time.Millisecond
)

// call describes a request for send.
type call struct {
	op, key string
	// retry: the request is idempotent and has no body.
	retry bool
	// absentIsDone: a 404 after a failed try means the failed try was
	// carried out (a delete).
	absentIsDone bool
}

// send sends req and returns its answer when it is a success (2xx; a 304
// too). A failure is an *Error, a transport error or the context's error.
func (b *bucket) send(ctx context.Context, req *http.Request, c call) (*http.Response, error) {
	pause := retryPause
	for try := 1; ; try++ {
		r := req
		if try > 1 {
			r = req.Clone(ctx)
		}
		resp, err := b.client.Do(r)
		var fail error
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			fail = fmt.Errorf("gcs: %s %s: %w", c.op, b.where(c.key), stripURL(err))
		case resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusNotModified:
			return resp, nil
		case resp.StatusCode == http.StatusNotFound && c.absentIsDone && try > 1:
			discard(resp)
			return nil, nil
		default:
			e := apiError(c.op, b.name, c.key, resp)
			discard(resp)
			if !retryable(e.Status) {
				return nil, e
			}
			fail = e
		}
		if !c.retry || try >= retryAttempts {
			return nil, fail
		}
		t := time.NewTimer(pause/2 + rand.N(pause))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		pause *= 2
	}
}

// where names a bucket or an object of it in an error.
func (b *bucket) where(key string) string {
	if key == "" {
		return "gs://" + b.name
	}
	return "gs://" + b.name + "/" + key
}

// stripURL returns the error under a *url.Error, whose text repeats the
// request's URL (with its query) in front of it, on one line (a failed
// token request quotes the token endpoint's answer on lines of its own).
func stripURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		err = ue.Err
	}
	return oneLine{err}
}

// oneLine is an error whose text is its cause's on one line.
type oneLine struct{ err error }

func (e oneLine) Error() string { return strings.Join(strings.Fields(e.err.Error()), " ") }
func (e oneLine) Unwrap() error { return e.err }

// discard reads what is left of resp's body (a little, so the connection
// may be reused) and closes it.
func discard(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	_ = resp.Body.Close()
}
