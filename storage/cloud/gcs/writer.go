package gcs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"sync"

	"gocloud.dev/blob/driver"
)

// writer uploads an object in one multipart request whose body it
// streams as it is written: it holds no copy of the data, and nothing is
// published until Close sends the body's end. It implements
// driver.Writer.
type writer struct {
	ctx  context.Context
	b    *bucket
	key  string
	req  *http.Request
	meta []byte // the object's JSON resource
	ct   string // the content's type

	pw    *io.PipeWriter
	mw    *multipart.Writer
	media io.Writer // the multipart writer's content part

	once sync.Once
	done chan struct{}
	err  error // the request's outcome, once done is closed
}

// resource is the JSON resource sent with an upload.
type resource struct {
	Name               string            `json:"name"`
	ContentType        string            `json:"contentType,omitempty"`
	CacheControl       string            `json:"cacheControl,omitempty"`
	ContentDisposition string            `json:"contentDisposition,omitempty"`
	ContentEncoding    string            `json:"contentEncoding,omitempty"`
	ContentLanguage    string            `json:"contentLanguage,omitempty"`
	Metadata           map[string]string `json:"metadata,omitempty"`
	MD5Hash            string            `json:"md5Hash,omitempty"`
}

// NewTypedWriter implements driver.Bucket. With opts.IfNotExist the
// upload is conditional on no object of key existing
// (ifGenerationMatch=0); when one does, Write or Close fails with a 412,
// gcerrors.FailedPrecondition.
func (b *bucket) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	res := resource{
		Name:               escapeKey(key),
		ContentType:        contentType,
		CacheControl:       opts.CacheControl,
		ContentDisposition: opts.ContentDisposition,
		ContentEncoding:    opts.ContentEncoding,
		ContentLanguage:    opts.ContentLanguage,
		Metadata:           opts.Metadata,
	}
	if len(opts.ContentMD5) > 0 {
		// The service checks the content against it.
		res.MD5Hash = base64.StdEncoding.EncodeToString(opts.ContentMD5)
	}
	meta, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	q := url.Values{"uploadType": {"multipart"}, "projection": {"noAcl"}}
	if opts.IfNotExist {
		q.Set("ifGenerationMatch", "0")
	}
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.api.upload+"/b/"+url.PathEscape(b.name)+"/o?"+q.Encode(), pr)
	if err != nil {
		return nil, err
	}
	mw := multipart.NewWriter(pw)
	req.Header.Set("Content-Type", "multipart/related; boundary="+mw.Boundary())
	if opts.BeforeWrite != nil {
		if err := opts.BeforeWrite(requestAs(req)); err != nil {
			return nil, err
		}
	}
	return &writer{ctx: ctx, b: b, key: key, req: req, meta: meta, ct: contentType, pw: pw, mw: mw, done: make(chan struct{})}, nil
}

// start sends the request, in its own goroutine, and writes the parts'
// headers and the resource into its body.
func (w *writer) start() error {
	w.once.Do(func() {
		go func() {
			defer close(w.done)
			resp, err := w.b.send(w.ctx, w.req, call{op: "write", key: w.key})
			if err == nil {
				discard(resp)
			}
			w.err = err
			if err == nil {
				err = errors.New("gcs: write: the service answered before the upload ended")
			}
			// Unblock a Write the transport no longer reads.
			w.req.Body.(*io.PipeReader).CloseWithError(err)
		}()
		h := textproto.MIMEHeader{"Content-Type": {"application/json; charset=UTF-8"}}
		part, err := w.mw.CreatePart(h)
		if err == nil {
			_, err = part.Write(w.meta)
		}
		if err == nil {
			h = textproto.MIMEHeader{}
			if w.ct != "" {
				h.Set("Content-Type", w.ct)
			}
			w.media, err = w.mw.CreatePart(h)
		}
		if err != nil {
			w.pw.CloseWithError(err)
		}
	})
	if w.media == nil {
		return w.failed(errors.New("gcs: write: the upload did not start"))
	}
	return nil
}

// failed returns the request's error after a write into its body failed
// with err, or err if the request ended well or did not end.
func (w *writer) failed(err error) error {
	select {
	case <-w.done:
		if w.err != nil {
			return w.err
		}
	case <-w.ctx.Done():
		return w.ctx.Err()
	}
	return err
}

// Write implements io.Writer: p goes into the request's body.
func (w *writer) Write(p []byte) (int, error) {
	if err := w.start(); err != nil {
		return 0, err
	}
	n, err := w.media.Write(p)
	if err != nil {
		return n, w.failed(err)
	}
	return n, nil
}

// Close ends the body, which publishes the object, and returns the
// request's outcome. When the writer's context has ended, the request is
// abandoned instead, nothing is published, and Close returns the
// context's error.
func (w *writer) Close() error {
	if err := w.ctx.Err(); err != nil {
		w.pw.CloseWithError(err)
		w.once.Do(func() {}) // a writer not started never starts
		if w.media != nil {
			<-w.done
		}
		return err
	}
	if err := w.start(); err != nil {
		return err
	}
	if err := w.mw.Close(); err != nil {
		return w.failed(err)
	}
	_ = w.pw.Close()
	<-w.done
	return w.err
}
