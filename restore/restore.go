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
	"strings"
	"sync"
	"sync/atomic"
	"time"

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

// WithWorkers sets how many files are created and written in parallel
// (default: twice the number of CPUs usable, at least 4). Each worker holds
// at most one blob of content (up to the chunker's maximum, 8 MiB by
// default) twice, plus 1 MiB for a large file's direct writes, which
// bounds a restore's memory.
func WithWorkers(n int) Option { return func(o *options) { o.workers = n } }

// defaultWorkers is the number of file workers of a restore: more than the
// CPUs, because a worker spends much of its time in the kernel creating
// its file or waiting for a direct write to reach the disk.
func defaultWorkers() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

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
	path string
	node repo.Node
	// f is the file when the walker created it (the first name of a
	// hard-linked file); nil: the worker creates it.
	f      *os.File
	direct bool // f was opened for direct I/O
	// owned means a file created in the job's folder is owned by the
	// node's owner and group already (no chown needed).
	owned bool
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

	mu   sync.Mutex
	res  Result
	dirs []dirEntry
	// folders holds every folder made or found by the restore, and
	// whether entries created in it take its group (set-group-ID).
	folders map[string]bool
	// umask is the process's file mode creation mask, when known
	// (umaskKnown): files are created with their permissions, and the
	// chmod is left out when the mask takes none of them away.
	umask      fs.FileMode
	umaskKnown bool
	euid, egid int

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
	o := options{workers: defaultWorkers(), interval: 500 * time.Millisecond}
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
	rs := &restorer{r: r, opts: o, target: target, start: time.Now(), root: os.Geteuid() == 0, euid: os.Geteuid(), egid: os.Getegid()}
	rs.umask, rs.umaskKnown = processUmask()
	fi, err := os.Stat(target)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	rs.folders = map[string]bool{target: fi.Mode()&fs.ModeSetgid != 0}
	rs.ctx, rs.cancel = context.WithCancelCause(ctx)
	defer rs.cancel(nil)
	// Folders placed apart from the target's neighbours (ext4; see
	// spreadFolders), until the folders' metadata is set.
	defer spreadFolders(target)()
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
	rs.setDirsMeta()
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
	if err := checkWritable(target); err != nil {
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
			// Files are created by the workers, in parallel: most of a
			// restore's kernel time is creating them (on ext4, scanning for
			// a free inode), and one walker creating them all kept the
			// other core idle (docs/PERFORMANCE.md, issue 16).
			job := fileJob{path: dst, node: n, owned: rs.owned(filepath.Dir(dst), n)}
			if _, ok := linkKey(n); ok {
				// The first name of a hard-linked file is created here, so
				// that its other names can be linked to it at once.
				f, direct, err := rs.create(dst, n)
				if err != nil {
					return err
				}
				rs.firstName(dst, n)
				job.f, job.direct = f, direct
			}
			select {
			case rs.jobs <- job:
			case <-rs.ctx.Done():
				if job.f != nil {
					job.f.Close()
				}
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
				if symlinkRefused(err) {
					// Every link would fail alike: each is reported, the
					// files and folders are restored.
					rs.metaFailed([]error{fmt.Errorf("restore symlink %s: %w", dst, err)})
					continue
				}
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
// a symbolic link that is in the way. Only the walker calls it.
func (rs *restorer) mkdir(p string) error {
	if _, done := rs.folders[p]; done {
		return nil
	}
	parent := filepath.Dir(p)
	if parent != p {
		if err := rs.mkdir(parent); err != nil {
			return err
		}
	}
	// A new folder in a set-group-ID folder is set-group-ID too.
	setgid := rs.folders[parent]
	// Mkdir first: it fails on anything in the way, a symbolic link
	// included, and a restore into a new folder finds nothing there.
	err := os.Mkdir(p, 0o700)
	if errors.Is(err, fs.ErrExist) {
		fi, lerr := os.Lstat(p)
		switch {
		case lerr != nil:
			return fmt.Errorf("restore: %w", lerr)
		case fi.IsDir():
			err, setgid = nil, fi.Mode()&fs.ModeSetgid != 0
		case !rs.opts.overwrite:
			return fmt.Errorf("restore %s: a file is in the way of a folder", p)
		default:
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("restore %s: %w", p, err)
			}
			err = os.Mkdir(p, 0o700)
		}
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	rs.folders[p] = setgid
	return nil
}

func (rs *restorer) startProgress() func() {
	if rs.opts.progress == nil {
		return func() {}
	}
	return ticker.Start(rs.opts.interval, func(last bool) {
		rs.opts.progress(Progress{Files: rs.files.Load(), Dirs: rs.dirsN.Load(), Bytes: rs.bytes.Load(), Elapsed: time.Since(rs.start), Done: last})
	})
}
