package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

// site is one member of a Store: where shard blobs are written, read,
// listed and deleted. There are three kinds, so that whether a site is
// remote, local or offline is decided here and nowhere else:
//
//   - bucketSite: any gocloud bucket (S3, GCS, Azure, memory, or a bucket
//     the host opened);
//   - localSite: a local folder, a bucketSite with a fast path for shard
//     writes (direct I/O, fsync) and reads (kept-open files);
//   - offlineSite: a site Open could not reach (WithAllowUnreachable),
//     whose every operation fails with ErrSiteUnreachable.
//
// Errors returned by a site have been scrubbed of its secrets.
type site interface {
	// String is the site's redacted URL, safe to print.
	String() string
	// offline is nil for a reachable site, else why it is offline
	// (wrapping ErrSiteUnreachable).
	offline() error
	// writeShard publishes the blob hdr||data under key atomically; with
	// ifNotExist it fails when the key exists.
	writeShard(ctx context.Context, key string, hdr, data []byte, ifNotExist bool) error
	// readShard reads a whole shard blob, or its header and size only,
	// into a pooled buffer, refusing a header that claims an object of
	// more than maxObject bytes before reading further. Errors wrap ErrShardMissing, ErrShardCorrupt
	// or ErrShardUnreadable.
	readShard(ctx context.Context, key string, headerOnly bool, maxObject int64) (*[]byte, int64, error)
	// readShardInto is the local fast path of a whole-shard read into a
	// caller's buffer (see localSite); ok is false when it does not apply.
	readShardInto(name, key string, i int, place placeFunc) (h ShardHeader, data []byte, ok bool, err error)
	// readRange reads len(dst) bytes at off of blob key, which must be
	// wantSize bytes long. A missing blob wraps ErrShardMissing.
	readRange(ctx context.Context, key string, off int64, dst []byte, wantSize int64) error
	// windows is the site's window reader (window.go), nil when the site
	// reads exact ranges (a local folder) or is offline.
	windows() *windowReader
	// list calls fn with every blob key (not folders) under prefix (on a
	// local site only the shard blobs; see list_local.go).
	list(ctx context.Context, prefix string, fn func(key string)) error
	// usage calls fn with every blob key and its size (same rule).
	usage(ctx context.Context, fn func(key string, size int64)) error
	exists(ctx context.Context, key string) (bool, error)
	// delete removes blob key; a missing blob is not an error.
	delete(ctx context.Context, key string) error
	// removeStaleTemporaries removes the temporary files of interrupted
	// writes older than olderThan (local sites only).
	removeStaleTemporaries(ctx context.Context, olderThan time.Duration) (int, error)
	close() error
}

// placeFunc gives the buffer a whole-shard read of shard i, whose (not
// yet verified) header is h, should read its data into, or nil.
type placeFunc func(i int, h ShardHeader) []byte

// cloudPackage registers the drivers of the cloud providers.
const cloudPackage = "github.com/custodia-backup/custodia/storage/cloud"

// memBuckets makes mem://name URLs refer to one in-memory bucket per name
// for the life of the process, so that a Store can be reopened in tests.
var memBuckets sync.Map // string -> *blob.Bucket

// openSite opens and checks one site. raw must be a ParseSiteURL result.
// On failure it returns an offlineSite along with the error.
func openSite(ctx context.Context, raw string, create bool) (site, error) {
	redacted := redactURL(raw)
	fail := func(err error) (site, error) {
		err = fmt.Errorf("%w: %s: %s", ErrSiteUnreachable, redacted, scrub(err.Error(), raw))
		return &offlineSite{name: redacted, err: err}, err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fail(errors.New("not a valid URL"))
	}
	var st site
	bs := &bucketSite{url: raw, name: redacted, owned: true}
	switch u.Scheme {
	case "file":
		dir := localPath(u)
		fi, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist) && create:
			if err := os.MkdirAll(dir, dirPerm); err != nil {
				return fail(err)
			}
		case errors.Is(err, fs.ErrNotExist):
			return fail(errors.New("folder does not exist"))
		case err != nil:
			return fail(err)
		case !fi.IsDir():
			return fail(errors.New("not a folder"))
		}
		bs.bucket, err = fileblob.OpenBucket(dir, &fileblob.Options{
			// Temporary files next to their final name: the rename that
			// publishes a shard never crosses file systems.
			NoTempDir: true,
			// No ".attrs" sidecar files: shards are self-describing.
			Metadata: fileblob.MetadataDontWrite,
			// Shards and folders are private to their owner.
			DirFileMode: dirPerm,
		})
		if err != nil {
			return fail(err)
		}
		st = &localSite{bucketSite: bs, dir: dir}
	case "mem":
		if u.RawQuery != "" {
			return fail(errors.New("mem site URLs take no query parameters"))
		}
		b, _ := memBuckets.LoadOrStore(raw, memblob.OpenBucket(&memblob.Options{NoMD5: true}))
		bs.bucket, bs.owned = b.(*blob.Bucket), false
		st = bs
	default:
		if !blob.DefaultURLMux().ValidBucketScheme(u.Scheme) {
			err := fmt.Errorf("%w: %s: no driver registered for %s:// (import _ %q, or the gocloud.dev/blob driver of that provider)", ErrInvalidSiteURL, redacted, u.Scheme, cloudPackage)
			return &offlineSite{name: redacted, err: err}, err
		}
		b, err := blob.OpenBucket(ctx, raw)
		if err != nil {
			return fail(err)
		}
		bs.bucket, bs.remote = b, true
		bs.locker = siteLocker(raw, b)
		st = bs
	}
	if err := bs.accessible(ctx); err != nil {
		_ = st.close()
		return fail(err)
	}
	return st, nil
}

// bucketSite is a site reached through a gocloud bucket.
type bucketSite struct {
	url    string // normalized URL, may contain secrets: never print
	name   string // printable (redacted) URL
	bucket *blob.Bucket
	owned  bool // opened by the Store, so closed by it
	remote bool // reached over a network: transient failures are retried
	// locker sets and reads object locks (lock.go); nil when the site's
	// kind has none.
	locker SiteLocker
	// win reads the site in aligned windows (window.go). Every bucket
	// site has one; a local folder (localSite) reads exact ranges.
	win *windowReader
}

func (st *bucketSite) String() string { return st.name }
func (st *bucketSite) offline() error { return nil }

func (st *bucketSite) accessible(ctx context.Context) error {
	ok, err := st.bucket.IsAccessible(ctx)
	if err == nil && !ok {
		err = errors.New("bucket does not exist or is not accessible")
	}
	return err
}

func (st *bucketSite) close() error {
	if !st.owned {
		return nil
	}
	return st.wrap(st.bucket.Close())
}

// siteError carries an error whose message has been scrubbed of the
// site's secrets, while keeping the original for errors.Is/As.
type siteError struct {
	msg string
	err error
}

func (e *siteError) Error() string { return e.msg }
func (e *siteError) Unwrap() error { return e.err }

// wrap scrubs the site's secrets from err's message.
func (st *bucketSite) wrap(err error) error {
	if err == nil {
		return nil
	}
	if st.url == "" {
		return &siteError{msg: err.Error(), err: err}
	}
	return &siteError{msg: scrub(err.Error(), st.url), err: err}
}

func (st *bucketSite) writeShard(ctx context.Context, key string, hdr, data []byte, ifNotExist bool) error {
	return st.wrap(st.retry(ctx, func() error { return st.writeBlob(ctx, key, hdr, data, ifNotExist, false) }))
}

// writeBlob uploads hdr||data as blob key; a failed or cancelled upload
// publishes nothing. With local (a file bucket), the temporary file is
// made private to its owner and fsynced before it is renamed into place.
func (st *bucketSite) writeBlob(ctx context.Context, key string, hdr, data []byte, ifNotExist, local bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var f *os.File
	opts := &blob.WriterOptions{ContentType: "application/octet-stream", IfNotExist: ifNotExist}
	if local {
		opts.BeforeWrite = func(as func(any) bool) error {
			var fp *os.File
			if as(&fp) {
				f = fp
				// The file bucket creates 0666 files: narrow the
				// temporary file before any byte is written (its
				// mode already has the umask applied).
				if fi, err := f.Stat(); err == nil {
					return f.Chmod(fi.Mode().Perm() & filePerm)
				}
			}
			return nil
		}
	}
	if lk := lockFrom(ctx); lk != nil && st.locker != nil {
		opts.BeforeWrite = st.locker.BeforeWrite(lk.mode, lk.until)
	}
	w, err := st.bucket.NewWriter(ctx, key, opts)
	if err != nil {
		return err
	}
	_, err = w.Write(hdr)
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil && f != nil {
		err = f.Sync()
	}
	if err != nil {
		cancel() // abort: the blob must not become visible
		_ = w.Close()
		return err
	}
	return w.Close()
}

func (st *bucketSite) readShard(ctx context.Context, key string, headerOnly bool, maxObject int64) (buf *[]byte, size int64, err error) {
	err = st.retry(ctx, func() error {
		buf, size, err = st.readShardOnce(ctx, key, headerOnly, maxObject)
		return err
	})
	return buf, size, err
}

func (st *bucketSite) readShardOnce(ctx context.Context, key string, headerOnly bool, maxObject int64) (*[]byte, int64, error) {
	var (
		rd  *blob.Reader
		err error
	)
	if headerOnly {
		rd, err = st.bucket.NewRangeReader(ctx, key, 0, HeaderSize, nil)
	} else {
		rd, err = st.bucket.NewReader(ctx, key, nil)
	}
	if err != nil {
		return nil, 0, st.shardErr(err)
	}
	defer rd.Close()
	return readShardBlob(rd, rd.Size(), headerOnly, maxObject, st.shardErr)
}

// readShardBlob reads a shard blob whose size the site reports as size
// from rd: the header first, and only when the header is well-formed,
// declares that size, and an object of at most maxObject bytes, its data,
// into a pooled buffer (so no unauthenticated length sizes memory beyond
// what the header allows). With headerOnly the buffer holds the header.
func readShardBlob(rd io.Reader, size int64, headerOnly bool, maxObject int64, classify func(error) error) (*[]byte, int64, error) {
	if size < HeaderSize {
		return nil, size, fmt.Errorf("%w: blob is %d bytes", ErrShardCorrupt, size)
	}
	var hdr [HeaderSize]byte
	if _, err := io.ReadFull(rd, hdr[:]); err != nil {
		return nil, size, classify(err)
	}
	h, err := parseShardHeader(hdr[:])
	if err != nil {
		return nil, size, err
	}
	if uint64(size) != HeaderSize+h.ShardLen {
		return nil, size, fmt.Errorf("%w: blob is %d bytes, header says %d", ErrShardCorrupt, size, HeaderSize+h.ShardLen)
	}
	if limit := max(min(maxObject, MaxObjectSize), 0); h.ObjectLen > uint64(limit) {
		return nil, size, fmt.Errorf("%w: %w: header says the object has %d bytes, at most %d allowed", ErrShardCorrupt, ErrTooLarge, h.ObjectLen, limit)
	}
	n := HeaderSize
	if !headerOnly {
		n += int(h.ShardLen)
	}
	buf := getBuf(n)
	copy(*buf, hdr[:])
	if _, err := io.ReadFull(rd, (*buf)[HeaderSize:]); err != nil {
		putBuf(buf)
		return nil, size, classify(err)
	}
	return buf, size, nil
}

func (st *bucketSite) readShardInto(string, string, int, placeFunc) (ShardHeader, []byte, bool, error) {
	return ShardHeader{}, nil, false, nil
}

func (st *bucketSite) readRange(ctx context.Context, key string, off int64, dst []byte, wantSize int64) error {
	if st.win != nil {
		return st.win.readRange(ctx, key, off, dst, wantSize)
	}
	return st.retry(ctx, func() error { return st.readRangeOnce(ctx, key, off, dst, wantSize) })
}

func (st *bucketSite) readRangeOnce(ctx context.Context, key string, off int64, dst []byte, wantSize int64) error {
	rd, err := st.bucket.NewRangeReader(ctx, key, off, int64(len(dst)), nil)
	if err != nil {
		return st.shardErr(err)
	}
	defer rd.Close()
	if rd.Size() != wantSize {
		return fmt.Errorf("%w: blob is %d bytes, want %d", ErrShardCorrupt, rd.Size(), wantSize)
	}
	if _, err := io.ReadFull(rd, dst); err != nil {
		return st.shardErr(err)
	}
	return nil
}

func (st *bucketSite) windows() *windowReader { return st.win }

func (st *bucketSite) list(ctx context.Context, prefix string, fn func(key string)) error {
	return st.walk(ctx, prefix, func(obj *blob.ListObject) { fn(obj.Key) })
}

func (st *bucketSite) usage(ctx context.Context, fn func(key string, size int64)) error {
	return st.walk(ctx, "", func(obj *blob.ListObject) { fn(obj.Key, obj.Size) })
}

// walk calls fn with every blob (not folder) under prefix, page by page,
// so that a failed page is asked for again alone.
func (st *bucketSite) walk(ctx context.Context, prefix string, fn func(obj *blob.ListObject)) error {
	token := blob.FirstPageToken
	for {
		var page []*blob.ListObject
		var next []byte
		err := st.retry(ctx, func() (err error) {
			page, next, err = st.bucket.ListPage(ctx, token, 1000, &blob.ListOptions{Prefix: prefix})
			return err
		})
		if err != nil {
			return st.wrap(err)
		}
		for _, obj := range page {
			if !obj.IsDir {
				fn(obj)
			}
		}
		if len(next) == 0 {
			return nil
		}
		token = next
	}
}

func (st *bucketSite) exists(ctx context.Context, key string) (ok bool, err error) {
	err = st.retry(ctx, func() error {
		ok, err = st.bucket.Exists(ctx, key)
		return err
	})
	return ok, st.wrap(err)
}

func (st *bucketSite) delete(ctx context.Context, key string) error {
	err := st.retry(ctx, func() error {
		if err := st.bucket.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return err
		}
		return nil
	})
	return st.wrap(err)
}

// shardErr classifies a read error of a shard blob.
func (st *bucketSite) shardErr(err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound {
		return ErrShardMissing
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: shorter than its size", ErrShardCorrupt)
	}
	return fmt.Errorf("%w: %w", ErrShardUnreadable, st.wrap(err))
}

// offlineSite is a site that could not be reached when the Store was
// opened.
type offlineSite struct {
	name string
	err  error // wraps ErrSiteUnreachable
}

func (st *offlineSite) String() string { return st.name }
func (st *offlineSite) offline() error { return st.err }

func (st *offlineSite) errOffline() error {
	return fmt.Errorf("%w: %s: offline", ErrSiteUnreachable, st.name)
}

func (st *offlineSite) writeShard(context.Context, string, []byte, []byte, bool) error {
	return st.errOffline()
}

func (st *offlineSite) readShard(context.Context, string, bool, int64) (*[]byte, int64, error) {
	return nil, 0, errOfflineShard
}

func (st *offlineSite) readShardInto(string, string, int, placeFunc) (ShardHeader, []byte, bool, error) {
	return ShardHeader{}, nil, false, nil
}

func (st *offlineSite) readRange(context.Context, string, int64, []byte, int64) error {
	return errOfflineShard
}

// errOfflineShard is the read error of a shard on an offline site: it
// matches both ErrShardUnreadable and ErrSiteUnreachable.
var errOfflineShard error = offlineShardError{}

type offlineShardError struct{}

func (offlineShardError) Error() string { return ErrShardUnreadable.Error() + ": site offline" }

func (offlineShardError) Is(target error) bool {
	return target == ErrShardUnreadable || target == ErrSiteUnreachable
}

func (st *offlineSite) windows() *windowReader { return nil }

func (st *offlineSite) list(context.Context, string, func(string)) error { return st.errOffline() }
func (st *offlineSite) usage(context.Context, func(string, int64)) error { return st.errOffline() }
func (st *offlineSite) exists(context.Context, string) (bool, error) {
	return false, st.errOffline()
}
func (st *offlineSite) delete(context.Context, string) error { return st.errOffline() }
func (st *offlineSite) close() error                         { return nil }

// Permissions of the folders and shard files created on local sites: a
// repository's files (key slots included) are private to their owner. A
// stricter umask still applies.
const (
	dirPerm  = 0o700
	filePerm = 0o600
)
