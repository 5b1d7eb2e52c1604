package restore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/custodia-backup/custodia/internal/directio"
	"github.com/custodia-backup/custodia/internal/ticker"
	"github.com/custodia-backup/custodia/repo"
)

// ErrTargetNotEmpty means the target folder holds files and overwriting was
// not asked for.
var ErrTargetNotEmpty = errors.New("target folder is not empty")

// ErrNothingSelected means the include patterns matched nothing.
var ErrNothingSelected = errors.New("no file of the snapshot matches the include patterns")

// Option configures a restore.
type Option func(*options)

type options struct {
	include   []string
	overwrite bool
	workers   int
	progress  func(Progress)
	interval  time.Duration
	noXattrs  bool
}

// WithInclude restores only entries matching one of the glob patterns (and
// everything below a matching folder). A pattern with a slash matches the
// entry's path relative to the snapshot root (e.g. "clients/0042/*.pdf"),
// one without matches its name at any depth (e.g. "*.xml"). Patterns use
// path.Match syntax.
func WithInclude(patterns ...string) Option {
	return func(o *options) { o.include = append(o.include, patterns...) }
}

// WithOverwrite allows restoring into a non-empty folder, replacing what is
// in the way.
func WithOverwrite() Option { return func(o *options) { o.overwrite = true } }

// WithoutXattrs does not restore extended attributes (nor the POSIX ACLs
// kept in them).
func WithoutXattrs() Option { return func(o *options) { o.noXattrs = true } }

// WithWorkers sets how many files are written in parallel.
func WithWorkers(n int) Option { return func(o *options) { o.workers = n } }

// WithProgress calls fn about every interval and once at the end.
func WithProgress(fn func(Progress), interval time.Duration) Option {
	return func(o *options) {
		o.progress = fn
		if interval > 0 {
			o.interval = interval
		}
	}
}

// Progress reports how far a restore is.
type Progress struct {
	Files, Dirs uint64
	Bytes       uint64
	Elapsed     time.Duration
	Done        bool
}

// Result summarises a restore.
type Result struct {
	Files, Dirs, Symlinks uint64
	// Special counts the named pipes and device nodes restored.
	Special uint64
	// Hardlinks counts the names restored as links to a file restored
	// under another name (they are counted in Files too).
	Hardlinks uint64
	Bytes     uint64
	// Errors lists the entries whose metadata could not be fully restored
	// (their contents were written).
	Errors []error
}

// ValidatePatterns checks include patterns before a restore starts.
func ValidatePatterns(patterns []string) error {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("include pattern %q: %w", p, err)
		}
	}
	return nil
}

type dirEntry struct {
	path string
	node repo.Node
}

type fileJob struct {
	path   string
	node   repo.Node
	f      *os.File
	direct bool // f was opened for direct I/O
}

// directMinSize is the size from which a file is written with direct I/O
// (internal/directio): restored bytes are not read back soon, and copying
// them through the page cache was most of a restore's kernel time. Smaller
// files go through the page cache, where the kernel batches their writes.
const directMinSize = 1 << 20

type restorer struct {
	r      *repo.Repository
	opts   options
	target string
	ctx    context.Context
	cancel context.CancelCauseFunc

	jobs chan fileJob
	wg   sync.WaitGroup

	mu      sync.Mutex
	res     Result
	created map[string]bool
	dirs    []dirEntry

	files, dirsN, bytes atomic.Uint64
	start               time.Time
	root                bool
	noDirect            atomic.Bool // the target's file system refuses direct I/O
	// links maps the device and inode of a hard-linked file, as backed
	// up, to the path its first name was restored at (walk only).
	links map[[2]uint64]string
}

// Snapshot restores snap into target.
func Snapshot(ctx context.Context, r *repo.Repository, snap *repo.Snapshot, target string, opts ...Option) (*Result, error) {
	o := options{workers: runtime.GOMAXPROCS(0), interval: 500 * time.Millisecond}
	for _, opt := range opts {
		opt(&o)
	}
	o.workers = max(1, o.workers)
	if err := ValidatePatterns(o.include); err != nil {
		return nil, err
	}
	target, err := filepath.Abs(target)
	if err != nil {
		return nil, err
	}
	created, err := prepareTarget(target, o.overwrite)
	if err != nil {
		return nil, err
	}
	res, err := restoreInto(ctx, r, snap, target, o)
	if err != nil {
		removeEmptyDirs(created)
	}
	return res, err
}

// restoreInto restores snap into the prepared folder target.
func restoreInto(ctx context.Context, r *repo.Repository, snap *repo.Snapshot, target string, o options) (*Result, error) {
	root, err := r.LoadTree(ctx, snap.Tree)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", snap.ID.String()[:8], err)
	}
	rs := &restorer{r: r, opts: o, target: target, created: map[string]bool{target: true}, start: time.Now(), root: os.Geteuid() == 0}
	rs.ctx, rs.cancel = context.WithCancelCause(ctx)
	defer rs.cancel(nil)
	stop := rs.startProgress()
	rs.jobs = make(chan fileJob, 4*o.workers)
	rs.wg.Add(o.workers)
	for range o.workers {
		go rs.worker()
	}
	walkErr := rs.walk(root, "", false)
	close(rs.jobs)
	rs.wg.Wait()
	stop()
	if walkErr != nil {
		return nil, walkErr
	}
	if err := context.Cause(rs.ctx); err != nil {
		return nil, err
	}
	// Folders last, deepest first, so writing their entries does not change
	// their restored times.
	slices.SortFunc(rs.dirs, func(a, b dirEntry) int { return strings.Compare(b.path, a.path) })
	for _, d := range rs.dirs {
		rs.setMeta(d.path, d.node)
	}
	rs.res.Files, rs.res.Dirs, rs.res.Bytes = rs.files.Load(), rs.dirsN.Load(), rs.bytes.Load()
	if len(o.include) > 0 && rs.res.Files+rs.res.Dirs+rs.res.Symlinks == 0 {
		return &rs.res, ErrNothingSelected
	}
	return &rs.res, nil
}

// prepareTarget creates the target or checks that it may be written. It
// returns the folders it created, deepest first.
func prepareTarget(target string, overwrite bool) ([]string, error) {
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		var created []string
		for d := target; ; d = filepath.Dir(d) {
			if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) || d == filepath.Dir(d) {
				break
			}
			created = append(created, d)
		}
		if err := os.MkdirAll(target, 0o700); err != nil {
			removeEmptyDirs(created)
			return nil, fmt.Errorf("create target: %w", err)
		}
		return created, nil
	case err != nil:
		return nil, fmt.Errorf("target: %w", err)
	case !fi.IsDir():
		return nil, fmt.Errorf("target %s is not a folder", target)
	}
	f, err := os.Open(target)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	names, err := f.Readdirnames(1)
	f.Close()
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("target: %w", err)
	}
	if len(names) > 0 && !overwrite {
		return nil, fmt.Errorf("%s: %w", target, ErrTargetNotEmpty)
	}
	if err := unix.Access(target, unix.W_OK); err != nil {
		return nil, fmt.Errorf("target %s is not writable: %w", target, err)
	}
	return nil, nil
}

// removeEmptyDirs removes the folders a failed restore created, deepest
// first, as long as they are empty: what was restored before the failure
// stays.
func removeEmptyDirs(dirs []string) {
	for _, d := range dirs {
		if os.Remove(d) != nil {
			return
		}
	}
}

// selected reports whether rel matches an include pattern.
func (rs *restorer) selected(rel string) bool {
	if len(rs.opts.include) == 0 {
		return true
	}
	base := path.Base(rel)
	for _, p := range rs.opts.include {
		subject := base
		if strings.Contains(p, "/") {
			subject = rel
			p = strings.TrimPrefix(p, "/")
		}
		if ok, _ := path.Match(p, subject); ok {
			return true
		}
	}
	return false
}

// walk restores the entries of a tree at the relative path dir. inside is
// set when an ancestor matched the include patterns.
func (rs *restorer) walk(t *repo.Tree, dir string, inside bool) error {
	for _, n := range t.Nodes {
		if err := rs.ctx.Err(); err != nil {
			return context.Cause(rs.ctx)
		}
		rel := path.Join(dir, n.Name)
		sel := inside || rs.selected(rel)
		dst := filepath.Join(rs.target, filepath.FromSlash(rel))
		switch n.Type {
		case repo.NodeDir:
			if sel {
				if err := rs.mkdir(dst); err != nil {
					return err
				}
				rs.dirsN.Add(1)
				rs.mu.Lock()
				rs.dirs = append(rs.dirs, dirEntry{path: dst, node: n})
				rs.mu.Unlock()
			}
			sub, err := rs.r.LoadTree(rs.ctx, *n.Subtree)
			if err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			if err := rs.walk(sub, rel, sel); err != nil {
				return err
			}
		case repo.NodeFile:
			if !sel {
				continue
			}
			if err := rs.mkdir(filepath.Dir(dst)); err != nil {
				return err
			}
			if linked, err := rs.link(dst, n); linked || err != nil {
				if err != nil {
					return fmt.Errorf("restore %s: %w", rel, err)
				}
				continue
			}
			// Files are created here, one at a time, and written by the
			// workers: creating files in parallel makes the kernel contend
			// on folder and inode-table locks, which costs more than it
			// gains.
			f, direct, err := rs.create(dst, n.Size >= directMinSize && !n.Sparse)
			if err != nil {
				return err
			}
			rs.firstName(dst, n)
			select {
			case rs.jobs <- fileJob{path: dst, node: n, f: f, direct: direct}:
			case <-rs.ctx.Done():
				f.Close()
				return context.Cause(rs.ctx)
			}
		case repo.NodeSymlink:
			if !sel {
				continue
			}
			if err := rs.makeRoom(dst); err != nil {
				return err
			}
			if err := os.Symlink(n.LinkTarget, dst); err != nil {
				return fmt.Errorf("restore %s: %w", rel, err)
			}
			rs.mu.Lock()
			rs.res.Symlinks++
			rs.mu.Unlock()
			rs.setMeta(dst, n)
		case repo.NodeFIFO, repo.NodeCharDev, repo.NodeBlockDev:
			if !sel {
				continue
			}
			if err := rs.makeRoom(dst); err != nil {
				return err
			}
			rs.special(dst, n)
		}
	}
	return nil
}

// makeRoom creates the folder of p and clears p itself (when overwriting)
// for an entry that is made by name.
func (rs *restorer) makeRoom(p string) error {
	if err := rs.mkdir(filepath.Dir(p)); err != nil {
		return err
	}
	return rs.clear(p)
}

// clear removes whatever is at p when restoring over an existing folder.
func (rs *restorer) clear(p string) error {
	if !rs.opts.overwrite {
		return nil
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return nil
	}
	if fi.IsDir() {
		return os.RemoveAll(p)
	}
	return os.Remove(p)
}

// mkdir creates a folder of the restore (and its parents), never following
// a symbolic link that is in the way.
func (rs *restorer) mkdir(p string) error {
	rs.mu.Lock()
	done := rs.created[p]
	rs.mu.Unlock()
	if done {
		return nil
	}
	if parent := filepath.Dir(p); parent != p {
		if err := rs.mkdir(parent); err != nil {
			return err
		}
	}
	fi, err := os.Lstat(p)
	switch {
	case err == nil && fi.IsDir():
	case err == nil && rs.opts.overwrite:
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("restore %s: %w", p, err)
		}
		fallthrough
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("restore: %w", err)
		}
	case err != nil:
		return fmt.Errorf("restore: %w", err)
	default:
		return fmt.Errorf("restore %s: a file is in the way of a folder", p)
	}
	rs.mu.Lock()
	rs.created[p] = true
	rs.mu.Unlock()
	return nil
}

func (rs *restorer) worker() {
	defer rs.wg.Done()
	var buf []byte
	for job := range rs.jobs {
		if rs.ctx.Err() != nil {
			job.f.Close()
			continue
		}
		var err error
		if buf, err = rs.writeFile(job, buf); err != nil {
			rs.cancel(err)
			continue
		}
		rs.files.Add(1)
	}
}

// create creates a file of the restore, replacing what is in the way when
// overwriting; with direct set, for direct I/O if the file system allows
// it (reported).
func (rs *restorer) create(p string, direct bool) (*os.File, bool, error) {
	if err := rs.clear(p); err != nil {
		return nil, false, fmt.Errorf("restore %s: %w", p, err)
	}
	want := direct && !rs.noDirect.Load()
	f, direct, err := directio.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600, want)
	if err != nil {
		return nil, false, fmt.Errorf("restore: %w", err)
	}
	if want && !direct {
		rs.noDirect.Store(true) // the target's file system refuses it: stop asking
	}
	return f, direct, nil
}

// writeFile writes one file's content, sets its metadata and closes it.
func (rs *restorer) writeFile(job fileJob, buf []byte) ([]byte, error) {
	f := job.f
	w := directio.NewWriter(f, job.direct)
	closed := false
	defer func() {
		if !closed { // a failure: abandon the write
			w.Discard()
			f.Close()
		}
	}()
	var out io.Writer = w
	if job.node.Sparse {
		out = &extentWriter{f: f, ext: job.node.Extents}
	}
	var err error
	var written uint64
	for _, id := range job.node.Content {
		buf, err = rs.r.LoadBlob(rs.ctx, repo.BlobHandle{Type: repo.DataBlob, ID: id}, buf)
		if err != nil {
			return buf, fmt.Errorf("restore %s: %w", job.path, err)
		}
		if _, err := out.Write(buf); err != nil {
			return buf, fmt.Errorf("restore %s: %w", job.path, err)
		}
		written += uint64(len(buf))
		rs.bytes.Add(uint64(len(buf)))
	}
	err = w.Flush()
	if w.Refused() {
		rs.noDirect.Store(true)
	}
	if err != nil {
		return buf, fmt.Errorf("restore: %w", err)
	}
	if written != job.node.DataSize() {
		return buf, fmt.Errorf("restore %s: wrote %d bytes, the snapshot records %d", job.path, written, job.node.DataSize())
	}
	if job.node.Sparse { // the holes up to the end
		if err := f.Truncate(int64(job.node.Size)); err != nil {
			return buf, fmt.Errorf("restore: %w", err)
		}
	}
	// Metadata through the open file: no path lookups, and the times are
	// set after the last write.
	rs.setFileMeta(f, job.path, job.node)
	closed = true
	if err := f.Close(); err != nil {
		return buf, fmt.Errorf("restore: %w", err)
	}
	return buf, nil
}

// setFileMeta is setMeta for an open regular file.
func (rs *restorer) setFileMeta(f *os.File, p string, n repo.Node) {
	errs := rs.setXattrs(p, n)
	if rs.root {
		if err := f.Chown(int(n.UID), int(n.GID)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := f.Chmod(n.Mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)); err != nil {
		errs = append(errs, err)
	}
	if err := setFileTimes(f, n.ModTime); err != nil {
		errs = append(errs, fmt.Errorf("set times of %s: %w", p, err))
	}
	rs.metaFailed(errs)
}

// setMeta restores ownership (as root), permissions and times. Failures are
// recorded, not fatal: the content is there.
func (rs *restorer) setMeta(p string, n repo.Node) {
	errs := rs.setXattrs(p, n)
	if rs.root {
		if err := os.Lchown(p, int(n.UID), int(n.GID)); err != nil {
			errs = append(errs, err)
		}
	}
	if n.Type != repo.NodeSymlink {
		if err := os.Chmod(p, n.Mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
			errs = append(errs, err)
		}
	}
	ts := []unix.Timespec{unix.NsecToTimespec(n.ModTime.UnixNano()), unix.NsecToTimespec(n.ModTime.UnixNano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		errs = append(errs, fmt.Errorf("set times of %s: %w", p, err))
	}
	rs.metaFailed(errs)
}

// metaFailed records the failures of setting one entry's metadata: they
// are not fatal, the content is there.
func (rs *restorer) metaFailed(errs []error) {
	if len(errs) > 0 {
		rs.mu.Lock()
		rs.res.Errors = append(rs.res.Errors, errors.Join(errs...))
		rs.mu.Unlock()
	}
}

func (rs *restorer) startProgress() func() {
	if rs.opts.progress == nil {
		return func() {}
	}
	return ticker.Start(rs.opts.interval, func(last bool) {
		rs.opts.progress(Progress{Files: rs.files.Load(), Dirs: rs.dirsN.Load(), Bytes: rs.bytes.Load(), Elapsed: time.Since(rs.start), Done: last})
	})
}
