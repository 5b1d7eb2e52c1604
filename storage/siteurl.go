package storage

import (
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
)

// ParseSiteURL turns a command-line site argument into the URL Open uses.
//
//   - A bare path, relative or absolute, becomes file:///abs/path (relative
//     paths are made absolute against the working directory).
//   - file:///abs/path (or file://localhost/abs/path) is cleaned; file URLs
//     take no query parameters, the package chooses the fileblob options.
//   - mem://name, s3://bucket, gs://bucket and azblob://container URLs are
//     passed through unchanged (with their query parameters).
//   - The path of an s3://, gs:// or azblob:// URL is the prefix of every
//     key the site writes: s3://bucket/repo-a becomes
//     s3://bucket?prefix=repo-a/, so s3://bucket/repo-a and
//     s3://bucket/repo-b are two separate sites. A URL with both a path and
//     a prefix parameter, or a path with empty, "." or ".." segments, is
//     refused.
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
		return cloudPrefix(s, u)
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

// cloudPrefix moves the path of a cloud site URL into its prefix query
// parameter (gocloud's, which opens a blob.PrefixedBucket), ending it with
// "/". s is u's original text, returned as is when there is no path.
func cloudPrefix(s string, u *url.URL) (string, error) {
	p := strings.TrimPrefix(u.Path, "/")
	if p == "" {
		return s, nil
	}
	if u.Query().Has("prefix") {
		return "", fmt.Errorf("%w: %s: give the key prefix as the path or as ?prefix=, not both", ErrInvalidSiteURL, redactURL(s))
	}
	p = strings.TrimSuffix(p, "/")
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("%w: %s: the path (the key prefix) has an empty, \".\" or \"..\" segment", ErrInvalidSiteURL, redactURL(s))
		}
	}
	q := u.Query()
	q.Set("prefix", p+"/")
	v := *u
	v.Path, v.RawPath, v.RawQuery = "", "", q.Encode()
	return v.String(), nil
}
