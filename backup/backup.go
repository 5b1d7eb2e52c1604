package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/internal/ticker"
	"github.com/custodia-backup/custodia/repo"
)

// Result is what a backup produced.
type Result struct {
	// Snapshot is the snapshot written.
	Snapshot *repo.Snapshot
	// Errors lists the files and folders left out because they could not
	// be read.
	Errors []*FileError
	// Notes lists what was kept only in part or not at all by design:
	// sockets (which hold nothing to restore), extended attributes that
	// could not be read.
	Notes []*FileError
	// Changed lists the files that changed while they were read, twice:
	// what was read is in the snapshot, perhaps torn (a database file
	// written meanwhile); the snapshot's Stats.ChangedWhileRead counts them.
	Changed []string
}

// ErrNoPaths means Files was called without paths.
var ErrNoPaths = errors.New("nothing to back up: no paths given")

// future is the node a pending file or directory will become.
type future struct {
	done chan struct{}
	node repo.Node
	skip bool
}

func newFuture() *future { return &future{done: make(chan struct{})} }

func doneFuture(n repo.Node) *future { return &future{done: closedChan, node: n} }

// skipped is the future of an entry left out (read with an error, or a
// socket); it is never written to.
var skipped = &future{done: closedChan, skip: true}

type fileJob struct {
	path   string
	fi     fs.FileInfo
	node   repo.Node
	parent *repo.Node
	f      *future
}

type saveJob struct {
	id  repo.ID
	buf []byte
}

type backuper struct {
	r    *repo.Repository
	opts options

	ctx    context.Context
	cancel context.CancelCauseFunc

	params chunk.Params
	gear   *chunk.Gear

	files chan fileJob
	saves chan saveJob

	mu      sync.Mutex
	errs    []*FileError
	notes   []*FileError
	changed []string
	stats   repo.SnapshotStats
	links   map[[2]uint64]*future // first name of each hard-linked file

	nFiles, nDirs, nBytes, nErrors atomic.Uint64
	nSkipped                       atomic.Uint64 // files kept from the parent snapshot
	// parentXattrs says that the parent snapshot read every entry's
	// extended attributes (repo.Snapshot.XattrsRead) and this backup
	// reads them too: an unchanged file keeps the parent's.
	parentXattrs         bool
	xattrFailed          atomic.Bool   // some entry's extended attributes could not be read
	walkSem              chan struct{} // a place for each folder listed in parallel
	chunkBufs            *chunkBufs
	dirs, fileWG, saveWG sync.WaitGroup
	start                time.Time
	base                 repo.WriteStats // repository counters when the backup started
}

func (b *backuper) fail(err error) { b.cancel(err) }

// note records something kept only in part, or left out by design.
func (b *backuper) note(path string, err error) {
	b.mu.Lock()
	b.notes = append(b.notes, &FileError{Path: path, Err: err})
	b.mu.Unlock()
}

func (b *backuper) fileError(path string, err error) {
	b.nErrors.Add(1)
	b.mu.Lock()
	b.errs = append(b.errs, &FileError{Path: path, Err: err})
	b.mu.Unlock()
}

// Files backs up the given files and folders into r and writes a snapshot
// of them. Each path becomes one entry of the snapshot's root, named by its
// last element.
func Files(ctx context.Context, r *repo.Repository, paths []string, opts ...Option) (*Result, error) {
	if len(paths) == 0 {
		return nil, ErrNoPaths
	}
	o := newOptions(opts)
	if err := repo.CheckPriority(o.priority); err != nil {
		return nil, err
	}
	abs := make([]string, len(paths))
	names := make(map[string]string)
	for i, p := range paths {
		a, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		name := filepath.Base(a)
		if name == string(filepath.Separator) {
			return nil, fmt.Errorf("cannot back up the root folder %s as a whole: name its subfolders", a)
		}
		if other, dup := names[name]; dup && other != a {
			return nil, fmt.Errorf("%s and %s would have the same name %q in the snapshot", other, a, name)
		}
		names[name] = a
		abs[i] = a
	}
	slices.Sort(abs)
	abs = slices.Compact(abs)

	b := newBackuper(ctx, r, o)
	defer b.cancel(nil)
	// Two packs upload at once: while one waits for its fsynced shards the
	// savers need not wait for the upload slot (repo/upload_slots.go).
	defer r.RaiseUploads()()
	// Only the paths that exist take part: a missing one is reported and
	// neither stored in the snapshot nor counted when finding the parent.
	present := make([]string, 0, len(abs))
	infos := make(map[string]fs.FileInfo, len(abs))
	for _, p := range abs {
		fi, err := os.Lstat(p)
		if err != nil {
			b.fileError(p, err)
			continue
		}
		present = append(present, p)
		infos[p] = fi
	}
	parent := b.findParent(ctx, repo.KindFiles, present)
	var parentRoot *repo.Tree
	if parent != nil {
		var err error
		if parentRoot, err = r.LoadTree(ctx, parent.Tree); err != nil {
			parentRoot, parent = nil, nil // unreadable parent: read everything
		}
	}
	b.parentXattrs = parent != nil && parent.XattrsRead && !b.opts.noXattrs
	stopProgress := b.startProgress()
	b.startWorkers()

	roots := make([]*future, len(present))
	for i, p := range present {
		var pn *repo.Node
		if parentRoot != nil {
			pn, _ = parentRoot.Find(filepath.Base(p))
		}
		roots[i] = b.entry(p, infos[p], pn)
	}
	rootTree := &repo.Tree{}
	var stored []string
	for i, f := range roots {
		<-f.done
		if !f.skip {
			rootTree.Nodes = append(rootTree.Nodes, f.node)
			stored = append(stored, present[i])
		}
	}
	err := b.finishWorkers()
	stopProgress()
	if err != nil {
		return nil, err
	}
	if len(rootTree.Nodes) == 0 {
		ferr := b.r.Flush(ctx) // what was stored stays for the next backup
		return &Result{Errors: b.errs}, fmt.Errorf("nothing could be read: %w", errors.Join(append(fileErrs(b.errs), ferr)...))
	}
	return b.commit(ctx, repo.KindFiles, stored, parent, rootTree)
}

func fileErrs(fe []*FileError) []error {
	out := make([]error, len(fe))
	for i, e := range fe {
		out[i] = e
	}
	return out
}

// Stream backs up one stream under the given name: the snapshot holds a
// single file of that name, and its Paths are that name. The name must be a
// plain file name: an empty name, "." and "..", and a name holding a slash
// (or the system's path separator) are rejected with an error before
// anything is read.
func Stream(ctx context.Context, r *repo.Repository, name string, rd io.Reader, opts ...Option) (*Result, error) {
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
		return nil, fmt.Errorf("stream name %q: want a plain file name", name)
	}
	o := newOptions(opts)
	if err := repo.CheckPriority(o.priority); err != nil {
		return nil, err
	}
	b := newBackuper(ctx, r, o)
	defer b.cancel(nil)
	stopProgress := b.startProgress()
	b.startWorkers()
	node := repo.Node{Name: name, Type: repo.NodeFile, Mode: 0o600, ModTime: b.start.UTC(), UID: uint32(os.Getuid()), GID: uint32(os.Getgid())}
	c, err := chunk.NewChunker(rd, b.params, b.gear)
	if err == nil {
		node.Content, node.Size, err = b.chunkStream(c)
	}
	b.nFiles.Add(1)
	ferr := b.finishWorkers()
	stopProgress()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if ferr != nil {
		return nil, ferr
	}
	b.stats.FilesNew = 1
	return b.commit(ctx, repo.KindStream, []string{name}, nil, &repo.Tree{Nodes: []repo.Node{node}})
}

func newBackuper(ctx context.Context, r *repo.Repository, o options) *backuper {
	if o.host == "" {
		h, err := os.Hostname()
		if err != nil {
			h = "unknown"
		}
		o.host = h
	}
	if o.user == "" {
		if u, err := user.Current(); err == nil {
			o.user = u.Username
		}
	}
	params, gear := r.ChunkerParams()
	b := &backuper{r: r, opts: o, params: params, gear: gear, start: time.Now(), base: r.Stats()}
	b.ctx, b.cancel = context.WithCancelCause(ctx)
	return b
}

// findParent returns the explicit parent, or the latest snapshot of the
// same kind, host and paths.
func (b *backuper) findParent(ctx context.Context, kind string, paths []string) *repo.Snapshot {
	if b.opts.noParent {
		return nil
	}
	if b.opts.parent != nil {
		return b.opts.parent
	}
	var parent *repo.Snapshot
	for s, err := range b.r.Snapshots(ctx) {
		if err != nil {
			continue // an unreadable snapshot is only not a parent
		}
		if s.Kind == kind && s.Host == b.opts.host && slices.Equal(s.Paths, paths) {
			parent = s
		}
	}
	return parent
}

func (b *backuper) startWorkers() {
	b.files = make(chan fileJob, 4*b.opts.workers)
	b.walkSem = make(chan struct{}, b.opts.walkers-1) // the caller of Files lists too
	b.saves = make(chan saveJob, b.opts.workers)
	// A chunk copy is in the queue, with a save worker, or being made by
	// a file worker.
	b.chunkBufs = newChunkBufs(3*b.opts.workers, b.params.Avg, b.params.Max)
	b.fileWG.Add(b.opts.workers)
	for range b.opts.workers {
		go b.fileWorker()
	}
	b.saveWG.Add(b.opts.workers)
	for range b.opts.workers {
		go b.saveWorker()
	}
}

// finishWorkers waits for all directories, files and chunks. It returns
// the first fatal error. It does not flush: the root tree joins the last
// data packs, and SaveSnapshot flushes them before it writes the snapshot
// (so no pack holds only a root tree, FORMAT.md 20).
func (b *backuper) finishWorkers() error {
	b.dirs.Wait()
	close(b.files)
	b.fileWG.Wait()
	close(b.saves)
	b.saveWG.Wait()
	if err := context.Cause(b.ctx); err != nil {
		b.keepWritten()
		return err
	}
	return nil
}

// keepTimeout bounds how long a stopped backup spends naming its
// completed packs in an index file.
const keepTimeout = 30 * time.Second

// keepWritten names the packs completed before the backup stopped in an
// index file, so that the next backup reuses them instead of storing their
// data again. It is best effort: the error that stopped the backup is the
// one to report.
func (b *backuper) keepWritten() {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(b.ctx), keepTimeout)
	defer cancel()
	_ = b.r.SaveIndex(ctx)
}

func (b *backuper) commit(ctx context.Context, kind string, paths []string, parent *repo.Snapshot, root *repo.Tree) (*Result, error) {
	root.Sort()
	treeID, err := b.r.SaveTree(ctx, root)
	if err != nil {
		return nil, err
	}
	ws := b.r.Stats()
	st := b.stats
	st.Files = b.nFiles.Load()
	st.Dirs = b.nDirs.Load()
	st.Bytes = b.nBytes.Load()
	st.Errors = b.nErrors.Load()
	st.FilesSkipped += b.nSkipped.Load()
	st.BlobsAdded = ws.Blobs - b.base.Blobs
	st.BytesAdded = ws.Bytes - b.base.Bytes
	st.StoredAdded = ws.Stored - b.base.Stored
	st.Duration = time.Since(b.start)
	s := &repo.Snapshot{
		Time:     b.start.UTC(),
		Host:     b.opts.host,
		Username: b.opts.user,
		Tags:     b.opts.tags,
		Paths:    paths,
		Kind:     kind,
		Tree:     treeID,
		Stats:    st,
		Priority: b.opts.priority,
		// A file's attributes are read, or kept from a parent that read
		// them, unless left out.
		XattrsRead: kind == repo.KindFiles && !b.opts.noXattrs && !b.xattrFailed.Load(),
	}
	if parent != nil {
		id := parent.ID
		s.Parent = &id
	}
	if _, err := b.r.SaveSnapshot(ctx, s); err != nil {
		return nil, err
	}
	for _, l := range [][]*FileError{b.errs, b.notes} {
		sort.Slice(l, func(i, j int) bool { return l[i].Path < l[j].Path })
	}
	sort.Strings(b.changed)
	return &Result{Snapshot: s, Errors: b.errs, Notes: b.notes, Changed: b.changed}, nil
}

func (b *backuper) startProgress() func() {
	if b.opts.progress == nil {
		return func() {}
	}
	return ticker.Start(b.opts.interval, func(last bool) { b.opts.progress(b.progress(last)) })
}

func (b *backuper) progress(done bool) Progress {
	return Progress{
		Files:   b.nFiles.Load(),
		Dirs:    b.nDirs.Load(),
		Bytes:   b.nBytes.Load(),
		Added:   b.r.Stats().Bytes - b.base.Bytes,
		Errors:  b.nErrors.Load(),
		Elapsed: time.Since(b.start),
		Done:    done,
	}
}

// baseNode fills the metadata every node type shares.
func baseNode(name string, fi fs.FileInfo) repo.Node {
	n := repo.Node{
		Name:    name,
		Mode:    fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky),
		ModTime: fi.ModTime().UTC(),
	}
	fillStat(&n, fi)
	return n
}

// entry starts backing up one file system entry and returns its future.
func (b *backuper) entry(path string, fi fs.FileInfo, parent *repo.Node) *future {
	n, f := b.begin(path, fi, parent)
	if f == nil {
		f = doneFuture(n)
	}
	return f
}

// begin starts backing up one file system entry. An entry done at once
// (an unchanged file, a symbolic link, a special file) is its node and a
// nil future, which spares a folder listing one allocation per entry;
// any other has a future to wait for.
func (b *backuper) begin(path string, fi fs.FileInfo, parent *repo.Node) (repo.Node, *future) {
	node := baseNode(filepath.Base(path), fi)
	switch {
	case fi.Mode().IsRegular():
		node.Type = repo.NodeFile
		node.Size = uint64(fi.Size())
		return b.file(fileJob{path: path, fi: fi, node: node, parent: parent})
	case fi.IsDir():
		return repo.Node{}, b.dir(path, node, parent)
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			b.fileError(path, err)
			return repo.Node{}, skipped
		}
		node.Type = repo.NodeSymlink
		node.LinkTarget = target
		b.mu.Lock()
		b.stats.Symlinks++
		b.mu.Unlock()
		return node, nil
	case fi.Mode()&fs.ModeSocket != 0:
		// A socket is made by the program listening on it, not restored.
		b.note(path, ErrSocket)
		return repo.Node{}, skipped
	default:
		return b.special(path, fi, node)
	}
}

// ErrSocket is the note of a socket, which a backup does not keep: it
// holds no data, and the program that listens on it makes it again.
var ErrSocket = errors.New("socket not backed up")

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()
