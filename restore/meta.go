package restore

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/custodia-backup/custodia/internal/filetimes"
	"github.com/custodia-backup/custodia/repo"
)

// owned reports whether a file created by this process in folder dir is
// owned by n's owner and group already, so that restoring its ownership
// (as root) needs no chown: it is owned by the effective user, and by the
// effective group unless dir is set-group-ID (then by dir's group).
func (rs *restorer) owned(dir string, n repo.Node) bool {
	setgid, known := rs.folders[dir]
	return known && !setgid && int(n.UID) == rs.euid && int(n.GID) == rs.egid
}

// setFileMeta is setMeta for the open regular file of job.
func (rs *restorer) setFileMeta(f *os.File, job fileJob) {
	p, n := job.path, job.node
	errs := rs.setXattrs(p, n)
	if rs.root && !job.owned {
		if err := f.Chown(int(n.UID), int(n.GID)); err != nil {
			errs = append(errs, err)
		}
	}
	// The file was created with its permissions; the umask may have
	// taken some away, and the special bits are set only now (after the
	// chown, which clears them).
	if mode := n.Mode & (fs.ModePerm | specialBits); !rs.umaskKnown || mode&rs.umask != 0 || mode&specialBits != 0 {
		if err := f.Chmod(mode); err != nil {
			errs = append(errs, err)
		}
	}
	if err := filetimes.SetFile(f, n.ModTime); err != nil {
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
		if err := os.Chmod(p, n.Mode&(fs.ModePerm|specialBits)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := filetimes.SetPath(p, n.ModTime); err != nil {
		errs = append(errs, fmt.Errorf("set times of %s: %w", p, err))
	}
	rs.metaFailed(errs)
}

// setDirsMeta restores the metadata of the folders, after every entry in
// them is written (so that writing their entries does not change their
// restored times), deepest first (so that a folder made unreadable does
// not stop the restore of those below it). The folders of one depth are
// done in parallel.
func (rs *restorer) setDirsMeta() {
	depth := func(d dirEntry) int { return strings.Count(d.path, string(os.PathSeparator)) }
	slices.SortFunc(rs.dirs, func(a, b dirEntry) int { return depth(b) - depth(a) })
	for level := rs.dirs; len(level) > 0; {
		n := 1
		for n < len(level) && depth(level[n]) == depth(level[0]) {
			n++
		}
		rs.parallel(level[:n], func(d dirEntry) { rs.setMeta(d.path, d.node) })
		level = level[n:]
	}
}

// parallel calls fn for every entry, on the restore's workers.
func (rs *restorer) parallel(dirs []dirEntry, fn func(dirEntry)) {
	var wg sync.WaitGroup
	ch := make(chan dirEntry)
	for range min(rs.opts.workers, len(dirs)) {
		wg.Go(func() {
			for d := range ch {
				fn(d)
			}
		})
	}
	for _, d := range dirs {
		ch <- d
	}
	close(ch)
	wg.Wait()
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

// processUmask returns the process's umask, read from /proc/self/status
// (Linux 4.7 and later); ok is false where that is not available. (The
// umask system call cannot read it without setting it, which would race
// with the host program's own file creation.)
func processUmask() (mask fs.FileMode, ok bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, found := strings.CutPrefix(sc.Text(), "Umask:"); found {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			if err != nil {
				return 0, false
			}
			return fs.FileMode(m) & fs.ModePerm, true
		}
	}
	return 0, false
}
