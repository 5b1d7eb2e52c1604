package gcs

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"gocloud.dev/blob/driver"
)

// reader reads an object, or a range of it; it implements driver.Reader.
type reader struct {
	body  io.ReadCloser
	attrs driver.ReaderAttributes
}

func (r *reader) Read(p []byte) (int, error)           { return r.body.Read(p) }
func (r *reader) Close() error                         { return r.body.Close() }
func (r *reader) Attributes() *driver.ReaderAttributes { return &r.attrs }
func (r *reader) As(any) bool                          { return false }
func emptyReader(o *Object) *reader                    { return &reader{body: http.NoBody, attrs: readerAttrs(o)} }
func readerAttrs(o *Object) driver.ReaderAttributes {
	return driver.ReaderAttributes{ContentType: o.ContentType, ModTime: parseTime(o.Updated), Size: o.size()}
}

// NewRangeReader implements driver.Bucket. Opening the reader is tried
// again on a transient failure; reading its body is not (a host reads
// again from where it stopped).
func (b *bucket) NewRangeReader(ctx context.Context, key string, offset, length int64, opts *driver.ReaderOptions) (driver.Reader, error) {
	if length == 0 {
		// No HTTP range says "nothing": ask for the attributes only.
		o, err := b.getObject(ctx, "read", key)
		if err != nil {
			return nil, err
		}
		if opts.BeforeRead != nil {
			if err := opts.BeforeRead(func(any) bool { return false }); err != nil {
				return nil, err
			}
		}
		return emptyReader(o), nil
	}
	u, err := b.objectURL("read", key, url.Values{"alt": {"media"}})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	ranged := offset > 0 || length > 0
	if ranged {
		rng := "bytes=" + strconv.FormatInt(offset, 10) + "-"
		if length > 0 {
			rng += strconv.FormatInt(offset+length-1, 10)
		}
		req.Header.Set("Range", rng)
	}
	if opts.BeforeRead != nil {
		if err := opts.BeforeRead(requestAs(req)); err != nil {
			return nil, err
		}
	}
	resp, err := b.send(ctx, req, call{op: "read", key: key, retry: true})
	if err != nil {
		if e, ok := err.(*Error); ok && e.Status == http.StatusRequestedRangeNotSatisfiable {
			// offset is at or past the end: nothing to read.
			o, err := b.getObject(ctx, "read", key)
			if err != nil {
				return nil, err
			}
			return emptyReader(o), nil
		}
		return nil, err
	}
	r := &reader{body: resp.Body, attrs: driver.ReaderAttributes{
		ContentType: resp.Header.Get("Content-Type"),
		Size:        resp.ContentLength,
	}}
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		r.attrs.ModTime = t
	}
	if n, err := strconv.ParseInt(resp.Header.Get("X-Goog-Stored-Content-Length"), 10, 64); err == nil {
		r.attrs.Size = n
	}
	switch {
	case resp.StatusCode == http.StatusPartialContent:
		if n, ok := rangeTotal(resp.Header.Get("Content-Range")); ok {
			r.attrs.Size = n
		}
	case ranged:
		// The whole object came (a transcoded object ignores ranges):
		// skip to offset and stop after length.
		if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil && err != io.EOF {
			resp.Body.Close()
			return nil, err
		}
		if length > 0 {
			r.body = struct {
				io.Reader
				io.Closer
			}{io.LimitReader(resp.Body, length), resp.Body}
		}
	}
	if r.attrs.ModTime.IsZero() || r.attrs.Size < 0 {
		// The answer did not say: ask the object's resource.
		o, err := b.getObject(ctx, "read", key)
		if err != nil {
			resp.Body.Close()
			return nil, err
		}
		if r.attrs.ModTime.IsZero() {
			r.attrs.ModTime = parseTime(o.Updated)
		}
		if r.attrs.Size < 0 {
			r.attrs.Size = o.size()
		}
	}
	if r.attrs.ContentType == "" {
		r.attrs.ContentType = "application/octet-stream"
	}
	return r, nil
}

// rangeTotal returns the complete length in a Content-Range header
// ("bytes 0-9/100").
func rangeTotal(h string) (int64, bool) {
	i := strings.LastIndexByte(h, '/')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(h[i+1:], 10, 64)
	return n, err == nil
}
