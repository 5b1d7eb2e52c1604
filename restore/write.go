package restore

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/custodia-backup/custodia/internal/directio"
	"github.com/custodia-backup/custodia/repo"
)

// worker creates and writes the files the walker hands over.
func (rs *restorer) worker() {
	defer rs.wg.Done()
	var buf []byte
	for job := range rs.jobs {
		if rs.ctx.Err() != nil {
			if job.f != nil {
				job.f.Close()
			}
			continue
		}
		var err error
		if job.f == nil {
			if job.f, job.direct, err = rs.create(job.path, job.node); err != nil {
				rs.cancel(err)
				continue
			}
		}
		if buf, err = rs.writeFile(job, buf); err != nil {
			rs.cancel(err)
			continue
		}
		rs.files.Add(1)
	}
}

// create creates the file of node n at p, replacing what is in the way
// when overwriting. Large files are opened for direct I/O if the file
// system allows it (reported). The file gets n's permissions at once
// (less the umask; setFileMeta sets them exactly where that differs).
func (rs *restorer) create(p string, n repo.Node) (*os.File, bool, error) {
	if err := rs.clear(p); err != nil {
		return nil, false, fmt.Errorf("restore %s: %w", p, err)
	}
	want := n.Size >= directMinSize && !n.Sparse && !rs.noDirect.Load()
	f, direct, err := directio.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, n.Mode.Perm(), want)
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
	write := func(b []byte) error {
		if _, err := out.Write(b); err != nil {
			return fmt.Errorf("restore %s: %w", job.path, err)
		}
		written += uint64(len(b))
		rs.bytes.Add(uint64(len(b)))
		return nil
	}
	if len(job.node.Content) >= prefetchMin {
		err = rs.writeAhead(job, write)
	} else {
		for _, id := range job.node.Content {
			if buf, err = rs.r.LoadBlob(rs.ctx, repo.BlobHandle{Type: repo.DataBlob, ID: id}, buf); err != nil {
				err = fmt.Errorf("restore %s: %w", job.path, err)
				break
			}
			if err = write(buf); err != nil {
				break
			}
		}
	}
	if err != nil {
		return buf, err
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
	rs.setFileMeta(f, job)
	closed = true
	if err := f.Close(); err != nil {
		return buf, fmt.Errorf("restore: %w", err)
	}
	return buf, nil
}

// prefetchMin is the number of blobs from which a file's next blob is
// loaded (read, authenticated, decompressed, re-hashed) while the one
// before is written: a large file (a database dump) then keeps two cores
// busy on its own.
const prefetchMin = 4

// writeAhead loads the blobs of job's file one ahead of write, on another
// goroutine, with two buffers taking turns: memory stays at two blobs.
func (rs *restorer) writeAhead(job fileJob, write func([]byte) error) error {
	ctx, cancel := context.WithCancel(rs.ctx)
	type loaded struct {
		buf []byte
		err error
	}
	free := make(chan []byte, 2)
	free <- nil
	free <- nil
	ready := make(chan loaded, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, id := range job.node.Content {
			var b []byte
			select {
			case b = <-free:
			case <-ctx.Done():
				return
			}
			b, err := rs.r.LoadBlob(ctx, repo.BlobHandle{Type: repo.DataBlob, ID: id}, b)
			select {
			case ready <- loaded{b, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		cancel()
		<-done // the loader has stopped before the buffers go
	}()
	for range job.node.Content {
		var l loaded
		select {
		case l = <-ready:
		case <-ctx.Done():
			return context.Cause(rs.ctx)
		}
		if l.err != nil {
			return fmt.Errorf("restore %s: %w", job.path, l.err)
		}
		if err := write(l.buf); err != nil {
			return err
		}
		free <- l.buf
	}
	return nil
}

// specialBits are the mode bits besides the permissions that a restore
// sets.
const specialBits = fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky
