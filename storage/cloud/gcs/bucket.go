package gcs

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"
)

// defaultPageSize is the page size of a list that asks for none (the
// API's own maximum).
const defaultPageSize = 1000

// errNoSignedURL is SignedURL's error.
var errNoSignedURL = errors.New("gcs: signed URLs are not supported by this driver")

// bucket is a Cloud Storage bucket; it implements driver.Bucket.
type bucket struct {
	name   string
	client *http.Client
	api    api
}

// Object is the JSON resource of an object, as far as the driver reads it.
type Object struct {
	Name               string            `json:"name"`
	Bucket             string            `json:"bucket"`
	Generation         string            `json:"generation"`
	Size               string            `json:"size"`
	ContentType        string            `json:"contentType"`
	CacheControl       string            `json:"cacheControl"`
	ContentDisposition string            `json:"contentDisposition"`
	ContentEncoding    string            `json:"contentEncoding"`
	ContentLanguage    string            `json:"contentLanguage"`
	Metadata           map[string]string `json:"metadata"`
	MD5Hash            string            `json:"md5Hash"`
	CRC32C             string            `json:"crc32c"`
	ETag               string            `json:"etag"`
	TimeCreated        string            `json:"timeCreated"`
	Updated            string            `json:"updated"`
}

func (o *Object) size() int64 {
	n, _ := strconv.ParseInt(o.Size, 10, 64)
	return n
}

func (o *Object) md5() []byte {
	sum, err := base64.StdEncoding.DecodeString(o.MD5Hash)
	if err != nil || len(sum) == 0 {
		return nil
	}
	return sum
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// objectAs is the AsFunc of attributes and list entries: it copies o
// into a *Object.
func objectAs(o *Object) func(any) bool {
	return func(i any) bool {
		p, ok := i.(*Object)
		if ok {
			*p = *o
		}
		return ok
	}
}

// requestAs is the asFunc of the Before* callbacks: it hands out req as
// a **http.Request.
func requestAs(req *http.Request) func(any) bool {
	return func(i any) bool {
		p, ok := i.(**http.Request)
		if ok {
			*p = req
		}
		return ok
	}
}

// ErrorCode implements driver.Bucket.
func (b *bucket) ErrorCode(err error) gcerrors.ErrorCode {
	if errors.Is(err, errNoSignedURL) {
		return gcerrors.Unimplemented
	}
	return errorCode(err)
}

// As implements driver.Bucket: it takes a **http.Client, the client the
// bucket sends its requests with.
func (b *bucket) As(i any) bool {
	p, ok := i.(**http.Client)
	if ok {
		*p = b.client
	}
	return ok
}

// ErrorAs implements driver.Bucket: it takes a **Error.
func (b *bucket) ErrorAs(err error, i any) bool {
	p, ok := i.(**Error)
	return ok && errors.As(err, p)
}

// Close implements driver.Bucket. The client's idle connections stay
// for the other buckets that share it.
func (b *bucket) Close() error { return nil }

// SignedURL implements driver.Bucket: this driver makes none.
func (b *bucket) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", errNoSignedURL
}

// objectURL returns the URL of the object of key. No object has the
// empty name (its URL is the bucket's list): asking for it is NotFound.
func (b *bucket) objectURL(op, key string, q url.Values) (string, error) {
	if key == "" {
		return "", &Error{Op: op, Bucket: b.name, Status: http.StatusNotFound, Message: "an object's name cannot be empty"}
	}
	return b.api.object(b.name, escapeKey(key), q), nil
}

// getObject returns the resource of the object of key.
func (b *bucket) getObject(ctx context.Context, op, key string) (*Object, error) {
	u, err := b.objectURL(op, key, url.Values{"projection": {"noAcl"}})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := b.send(ctx, req, call{op: op, key: key, retry: true})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var o Object
	if err := json.NewDecoder(resp.Body).Decode(&o); err != nil {
		return nil, fmt.Errorf("gcs: %s %s: decode the answer: %w", op, b.where(key), err)
	}
	return &o, nil
}

// Attributes implements driver.Bucket.
func (b *bucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	o, err := b.getObject(ctx, "attributes of", key)
	if err != nil {
		return nil, err
	}
	// The API gives the ETag unquoted; HTTP's form has the quotes.
	etag := o.ETag
	if etag != "" && !strings.HasPrefix(etag, `"`) && !strings.HasPrefix(etag, `W/"`) {
		etag = strconv.Quote(etag)
	}
	return &driver.Attributes{
		CacheControl:       o.CacheControl,
		ContentDisposition: o.ContentDisposition,
		ContentEncoding:    o.ContentEncoding,
		ContentLanguage:    o.ContentLanguage,
		ContentType:        o.ContentType,
		Metadata:           o.Metadata,
		CreateTime:         parseTime(o.TimeCreated),
		ModTime:            parseTime(o.Updated),
		Size:               o.size(),
		MD5:                o.md5(),
		ETag:               etag,
		AsFunc:             objectAs(o),
	}, nil
}

// ListPaged implements driver.Bucket.
func (b *bucket) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	q := url.Values{"projection": {"noAcl"}}
	if opts.Prefix != "" {
		q.Set("prefix", escapeKey(opts.Prefix))
	}
	if opts.Delimiter != "" {
		q.Set("delimiter", escapeKey(opts.Delimiter))
	}
	if len(opts.PageToken) > 0 {
		q.Set("pageToken", string(opts.PageToken))
	}
	size := opts.PageSize
	if size <= 0 || size > defaultPageSize {
		size = defaultPageSize
	}
	q.Set("maxResults", strconv.Itoa(size))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.api.objects(b.name, q), nil)
	if err != nil {
		return nil, err
	}
	if opts.BeforeList != nil {
		if err := opts.BeforeList(requestAs(req)); err != nil {
			return nil, err
		}
	}
	resp, err := b.send(ctx, req, call{op: "list", key: opts.Prefix, retry: true})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var page struct {
		Items         []*Object `json:"items"`
		Prefixes      []string  `json:"prefixes"`
		NextPageToken string    `json:"nextPageToken"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return nil, fmt.Errorf("gcs: list %s: decode the answer: %w", b.where(opts.Prefix), err)
	}
	out := &driver.ListPage{Objects: make([]*driver.ListObject, 0, len(page.Items)+len(page.Prefixes))}
	if page.NextPageToken != "" {
		out.NextPageToken = []byte(page.NextPageToken)
	}
	for _, o := range page.Items {
		out.Objects = append(out.Objects, &driver.ListObject{
			Key:     unescapeKey(o.Name),
			ModTime: parseTime(o.Updated),
			Size:    o.size(),
			MD5:     o.md5(),
			AsFunc:  objectAs(o),
		})
	}
	for _, p := range page.Prefixes {
		dir := &Object{Name: p}
		out.Objects = append(out.Objects, &driver.ListObject{Key: unescapeKey(p), IsDir: true, AsFunc: objectAs(dir)})
	}
	// The API gives the "directories" after the objects.
	slices.SortFunc(out.Objects, func(x, y *driver.ListObject) int { return strings.Compare(x.Key, y.Key) })
	return out, nil
}

// Delete implements driver.Bucket.
func (b *bucket) Delete(ctx context.Context, key string) error {
	u, err := b.objectURL("delete", key, nil)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u, nil)
	if err != nil {
		return err
	}
	resp, err := b.send(ctx, req, call{op: "delete", key: key, retry: true, absentIsDone: true})
	if err != nil {
		return err
	}
	if resp != nil {
		discard(resp)
	}
	return nil
}

// Copy implements driver.Bucket with the API's rewrite, which copies an
// object of any size in as many calls as the service asks for.
func (b *bucket) Copy(ctx context.Context, dstKey, srcKey string, opts *driver.CopyOptions) error {
	u, err := b.objectURL("copy from", srcKey, nil)
	if err != nil {
		return err
	}
	u += "/rewriteTo/b/" + url.PathEscape(b.name) + "/o/" + url.PathEscape(escapeKey(dstKey))
	token := ""
	for first := true; ; first = false {
		q := url.Values{"projection": {"noAcl"}}
		if token != "" {
			q.Set("rewriteToken", token)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, withQuery(u, q), bytes.NewReader([]byte("{}")))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		if first && opts.BeforeCopy != nil {
			if err := opts.BeforeCopy(requestAs(req)); err != nil {
				return err
			}
		}
		resp, err := b.send(ctx, req, call{op: "copy to " + dstKey + " from", key: srcKey})
		if err != nil {
			return err
		}
		var r struct {
			Done         bool   `json:"done"`
			RewriteToken string `json:"rewriteToken"`
		}
		err = json.NewDecoder(resp.Body).Decode(&r)
		discard(resp)
		if err != nil {
			return fmt.Errorf("gcs: copy %s: decode the answer: %w", b.where(srcKey), err)
		}
		if r.Done {
			return nil
		}
		if r.RewriteToken == "" {
			return fmt.Errorf("gcs: copy %s: the service neither finished nor gave a rewrite token", b.where(srcKey))
		}
		token = r.RewriteToken
	}
}
