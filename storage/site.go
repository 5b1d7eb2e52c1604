package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	// Registered so that their URLs open with blob.OpenBucket.
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"
)

// ParseSiteURL turns a command-line site argument into the URL Open uses.
//
//   - A bare path, relative or absolute, becomes file:///abs/path (relative
//     paths are made absolute against the working directory).
//   - file:///abs/path (or file://localhost/abs/path) is cleaned; file URLs
//     take no query parameters, the package chooses the fileblob options.
//   - mem://name, s3://bucket, gs://bucket and azblob://container URLs are
//     passed through unchanged (with their query parameters).
//
// Errors wrap ErrInvalidSiteURL, are one line, and never contain the
// password or secret query values of the argument.
func ParseSiteURL(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("%w: empty site location", ErrInvalidSiteURL)
	}
	if !strings.Contains(s, "://") {
		return fileURL(s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%w: %s: not a valid URL", ErrInvalidSiteURL, redactURL(s))
	}
	switch u.Scheme {
	case "file":
		if u.RawQuery != "" || u.Fragment != "" {
			return "", fmt.Errorf("%w: %s: file site URLs take no query parameters", ErrInvalidSiteURL, redactURL(s))
		}
		if u.User != nil {
			return "", fmt.Errorf("%w: %s: file site URLs take no user information", ErrInvalidSiteURL, redactURL(s))
		}
		p := u.Path
		switch u.Host {
		case "", "localhost":
			if p == "" {
				return "", fmt.Errorf("%w: %s: missing path (use file:///abs/path)", ErrInvalidSiteURL, redactURL(s))
			}
			if runtime.GOOS == "windows" {
				p = strings.TrimPrefix(p, "/")
			}
		case ".":
			p = strings.TrimPrefix(p, "/") // gocloud convention: file://./rel
			if p == "" {
				p = "."
			}
		default:
			return "", fmt.Errorf("%w: %s: file URLs cannot name a host %q (use file:///abs/path)", ErrInvalidSiteURL, redactURL(s), u.Host)
		}
		return fileURL(filepath.FromSlash(p))
	case "mem":
		return s, nil
	case "s3", "gs", "azblob":
		if u.Host == "" {
			return "", fmt.Errorf("%w: %s: missing bucket name (e.g. %s://my-bucket)", ErrInvalidSiteURL, redactURL(s), u.Scheme)
		}
		return s, nil
	default:
		return "", fmt.Errorf("%w: %s: unsupported scheme %q (use a path, file://, mem://, s3://, gs:// or azblob://)", ErrInvalidSiteURL, redactURL(s), u.Scheme)
	}
}

// fileURL makes p absolute and returns it as a file:// URL.
func fileURL(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrInvalidSiteURL, p, err)
	}
	slash := filepath.ToSlash(abs)
	if !strings.HasPrefix(slash, "/") {
		slash = "/" + slash // Windows drive letter: file:///C:/x
	}
	return (&url.URL{Scheme: "file", Path: slash}).String(), nil
}

// localPath returns the directory of a file URL produced by ParseSiteURL.
func localPath(u *url.URL) string {
	p := u.Path
	if runtime.GOOS == "windows" {
		p = strings.TrimPrefix(p, "/")
	}
	return filepath.FromSlash(p)
}

// secretParam reports whether a URL query parameter may hold a secret.
func secretParam(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"secret", "key", "token", "password", "passwd", "sig", "credential", "auth", "sas"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

const redacted = "xxxxx"

// redactURL returns s with the password of its user information and the
// values of secret-looking query parameters replaced by "xxxxx".
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		out := s
		for _, secret := range urlSecrets(s) {
			out = strings.ReplaceAll(out, secret, redacted)
		}
		return out
	}
	changed := false
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), redacted)
			changed = true
		}
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			k, _, hasValue := strings.Cut(p, "=")
			if name, err := url.QueryUnescape(k); (err != nil || secretParam(name)) && hasValue {
				parts[i] = k + "=" + redacted
				changed = true
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	if !changed {
		return s
	}
	return u.String()
}

// urlSecrets lists the secret substrings of a URL (raw and decoded forms),
// longest first, so they can be scrubbed from any text.
func urlSecrets(s string) []string {
	u, err := url.Parse(s)
	if err != nil {
		// Unparseable: hide everything between "://" and the last "@",
		// and the whole query.
		var secrets []string
		if i := strings.Index(s, "://"); i >= 0 {
			if j := strings.LastIndex(s, "@"); j > i+3 {
				secrets = append(secrets, s[i+3:j])
			}
		}
		if i := strings.Index(s, "?"); i >= 0 && i+1 < len(s) {
			secrets = append(secrets, s[i+1:])
		}
		return secrets
	}
	var secrets []string
	add := func(v string) {
		if len(v) >= 1 {
			secrets = append(secrets, v, url.QueryEscape(v), url.PathEscape(v))
		}
	}
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			add(p)
		}
	}
	for k, vs := range u.Query() {
		if secretParam(k) {
			for _, v := range vs {
				add(v)
			}
		}
	}
	// Longest first so that a secret containing another is replaced whole.
	for i := 1; i < len(secrets); i++ {
		for j := i; j > 0 && len(secrets[j]) > len(secrets[j-1]); j-- {
			secrets[j], secrets[j-1] = secrets[j-1], secrets[j]
		}
	}
	return secrets
}

// scrub removes the secrets of rawURL from msg.
func scrub(msg, rawURL string) string {
	msg = strings.ReplaceAll(msg, rawURL, redactURL(rawURL))
	for _, secret := range urlSecrets(rawURL) {
		msg = strings.ReplaceAll(msg, secret, redacted)
	}
	return strings.ReplaceAll(msg, "\n", " ")
}

// site is one opened bucket.
type site struct {
	url      string       // normalized URL, may contain secrets: never print
	redacted string       // printable URL
	bucket   *blob.Bucket // nil when the site is offline (WithAllowUnreachable)
	localDir string       // absolute folder of a file site, for fsync
	// durableDirs holds the folders whose entries (and their parents')
	// have been fsynced by this process.
	durableDirs sync.Map
	fds         fdCache     // open shard files of a local site, for range reads
	noDirect    atomic.Bool // the local site's file system refuses O_DIRECT
	shared      bool        // process-wide mem bucket: not closed by Close
	openErr     error       // why the site is offline
}

// memBuckets makes mem://name URLs refer to one in-memory bucket per name
// for the life of the process, so that a Store can be reopened in tests.
var memBuckets sync.Map // string -> *blob.Bucket

// openSite opens and checks one site. raw must be a ParseSiteURL result.
func openSite(ctx context.Context, raw string, create bool) (*site, error) {
	st := &site{url: raw, redacted: redactURL(raw)}
	u, err := url.Parse(raw)
	if err != nil {
		return st, fmt.Errorf("%w: %s: not a valid URL", ErrSiteUnreachable, st.redacted)
	}
	fail := func(err error) (*site, error) {
		return st, fmt.Errorf("%w: %s: %s", ErrSiteUnreachable, st.redacted, scrub(err.Error(), raw))
	}
	switch u.Scheme {
	case "file":
		dir := localPath(u)
		fi, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist) && create:
			if err := os.MkdirAll(dir, 0o777); err != nil {
				return fail(err)
			}
		case errors.Is(err, fs.ErrNotExist):
			return fail(errors.New("folder does not exist"))
		case err != nil:
			return fail(err)
		case !fi.IsDir():
			return fail(errors.New("not a folder"))
		}
		b, err := fileblob.OpenBucket(dir, &fileblob.Options{
			// Temporary files next to their final name: the rename that
			// publishes a shard never crosses file systems.
			NoTempDir: true,
			// No ".attrs" sidecar files: shards are self-describing.
			Metadata: fileblob.MetadataDontWrite,
		})
		if err != nil {
			return fail(err)
		}
		st.bucket, st.localDir = b, dir
	case "mem":
		if u.RawQuery != "" {
			return fail(errors.New("mem site URLs take no query parameters"))
		}
		b, _ := memBuckets.LoadOrStore(raw, memblob.OpenBucket(&memblob.Options{NoMD5: true}))
		st.bucket, st.shared = b.(*blob.Bucket), true
	default:
		b, err := blob.OpenBucket(ctx, raw)
		if err != nil {
			return fail(err)
		}
		st.bucket = b
	}
	ok, err := st.bucket.IsAccessible(ctx)
	if err == nil && !ok {
		err = errors.New("bucket does not exist or is not accessible")
	}
	if err != nil {
		if !st.shared {
			_ = st.bucket.Close()
		}
		st.bucket = nil
		return fail(err)
	}
	return st, nil
}

func (st *site) close() error {
	st.fds.closeAll()
	if st.bucket == nil || st.shared {
		return nil
	}
	return st.bucket.Close()
}

// syncDirs fsyncs the folder holding key, so that the rename that
// published a shard survives a power loss, and the first time a folder is
// seen also its parents up to the site's root, so that the folder's own
// entry is durable.
func (st *site) syncDirs(key string) (err error) {
	if st.localDir == "" || runtime.GOOS == "windows" {
		return nil
	}
	dir := filepath.Dir(filepath.Join(st.localDir, filepath.FromSlash(key)))
	if _, known := st.durableDirs.Load(dir); known {
		f, err := os.Open(dir)
		if err != nil {
			return err
		}
		err = f.Sync()
		_ = f.Close()
		return err
	}
	defer func(dir string) {
		if err == nil {
			st.durableDirs.Store(dir, true)
		}
	}(dir)
	for {
		f, err := os.Open(dir)
		if err != nil {
			return err
		}
		err = f.Sync()
		_ = f.Close()
		if err != nil {
			return err
		}
		if dir == st.localDir || len(dir) <= len(st.localDir) {
			return nil
		}
		dir = filepath.Dir(dir)
	}
}

// shardKey is the blob key of shard i of object name.
func shardKey(name string, i int) string {
	return name + "." + strconv.Itoa(i)
}

// splitShardKey parses a blob key "<name>.<i>"; ok is false for any other
// key (for example a stranded temporary file).
func splitShardKey(key string) (name string, i int, ok bool) {
	dot := strings.LastIndexByte(key, '.')
	if dot <= 0 || dot == len(key)-1 || len(key)-dot-1 > 3 {
		return "", 0, false
	}
	digits := key[dot+1:]
	if len(digits) > 1 && digits[0] == '0' {
		return "", 0, false
	}
	n := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			return "", 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n >= MaxShards {
		return "", 0, false
	}
	return key[:dot], n, true
}

// MaxNameLen is the longest accepted object name in bytes.
const MaxNameLen = 512

// checkName validates an object name: 1..MaxNameLen bytes of ASCII
// letters, digits and "._-=+/", with "/"-separated segments that are
// neither empty nor "." and do not end in "..".
func checkName(name string) error {
	if name == "" || len(name) > MaxNameLen {
		return fmt.Errorf("%w: length %d (must be 1..%d bytes)", ErrInvalidName, len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == '-', c == '=', c == '+', c == '/':
		default:
			return fmt.Errorf("%w: %q: character %q not allowed", ErrInvalidName, name, c)
		}
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || strings.HasSuffix(seg, "..") {
			// A segment ending in ".." would make "../" in a local
			// site's path, which the file bucket escapes.
			return fmt.Errorf("%w: %q: empty or \".\" path segment, or one ending in \"..\"", ErrInvalidName, name)
		}
	}
	return nil
}
