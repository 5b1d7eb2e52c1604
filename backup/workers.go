package backup

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/internal/testhook"
	"github.com/custodia-backup/custodia/repo"
)

// fileWorker reads, chunks and hashes files.
func (b *backuper) fileWorker() {
	defer b.fileWG.Done()
	var c *chunk.Chunker
	for job := range b.files {
		if b.ctx.Err() != nil {
			job.f.skip = true
			close(job.f.done)
			continue
		}
		b.saveFile(&c, job)
		close(job.f.done)
	}
}

// unchanged reports whether a file can keep its parent snapshot's content.
func (b *backuper) unchanged(n repo.Node, p *repo.Node) bool {
	if p == nil || p.Type != repo.NodeFile || p.Size != n.Size || !p.ModTime.Equal(n.ModTime) ||
		p.Inode != n.Inode || !p.ChangeTime.Equal(n.ChangeTime) || len(p.Content) == 0 && p.DataSize() > 0 {
		return false
	}
	for _, id := range p.Content {
		if !b.r.HasBlob(repo.BlobHandle{Type: repo.DataBlob, ID: id}) {
			return false
		}
	}
	return true
}

// keep returns the node of a file unchanged since the parent snapshot,
// with the parent's content, and counts it; ok is false when the file must
// be read.
func (b *backuper) keep(job fileJob) (n repo.Node, ok bool) {
	n = job.node
	if !b.unchanged(n, job.parent) {
		return n, false
	}
	b.nFiles.Add(1)
	if b.parentXattrs {
		// Setting or removing an attribute changes the ctime, which
		// unchanged compared: they are the parent's.
		n.Xattrs = job.parent.Xattrs
	} else {
		n.Xattrs = b.xattrs(job.path)
	}
	n.Content, n.Sparse, n.Extents = job.parent.Content, job.parent.Sparse, job.parent.Extents
	b.nBytes.Add(n.DataSize())
	b.nSkipped.Add(1)
	return n, true
}

func (b *backuper) saveFile(c **chunk.Chunker, job fileJob) {
	node := job.node
	b.nFiles.Add(1)
	node.Xattrs = b.xattrs(job.path)
	// A file that changes while it is read is read once more; if it
	// changes again, what was read is kept with a warning.
	var changed bool
	for range 2 {
		n, ch, err := b.readFile(c, job.path, node)
		if err != nil {
			if b.ctx.Err() == nil {
				b.fileError(job.path, err)
			}
			job.f.skip = true
			return
		}
		node, changed = n, ch
		if !changed {
			break
		}
	}
	b.mu.Lock()
	if changed {
		b.changed = append(b.changed, job.path)
		b.stats.ChangedWhileRead++
	}
	if job.parent != nil && job.parent.Type == repo.NodeFile {
		b.stats.FilesChanged++
	} else {
		b.stats.FilesNew++
	}
	b.mu.Unlock()
	job.f.node = node
}

// readFile reads the file at path: its data (of a sparse file only the
// runs the file system holds data for; holes are not read) and the
// metadata it had when opened. changed reports that its size, mtime or
// ctime moved while it was read, or that it held more or less data than
// its size said.
func (b *backuper) readFile(c **chunk.Chunker, path string, listed repo.Node) (n repo.Node, changed bool, err error) {
	f, err := openNoFollow(path)
	if err != nil {
		return n, false, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return n, false, err
	}
	if !before.Mode().IsRegular() {
		return n, false, errors.New("no longer a regular file")
	}
	n = baseNode(listed.Name, before)
	n.Type, n.Size, n.Xattrs = repo.NodeFile, uint64(before.Size()), listed.Xattrs
	var rd io.Reader = f
	if alloc, ok := allocated(before); ok && alloc < before.Size() {
		ext, err := dataExtents(f, before.Size())
		if err != nil {
			return n, false, err
		}
		if ext != nil {
			n.Sparse, n.Extents = true, ext
			rd = extentReader(f, ext)
		}
	}
	if *c == nil {
		if *c, err = chunk.NewChunker(rd, b.params, b.gear); err != nil {
			b.fail(err)
			return n, false, err
		}
	} else {
		(*c).Reset(rd)
	}
	var size uint64
	if n.Content, size, err = b.chunkStream(*c); err != nil {
		return n, false, err
	}
	testhook.FileRead(path)
	after, err := f.Stat()
	if err != nil {
		return n, false, err
	}
	a := baseNode(listed.Name, after)
	changed = size != n.DataSize() || uint64(after.Size()) != n.Size || !a.ModTime.Equal(n.ModTime) || !a.ChangeTime.Equal(n.ChangeTime)
	return n, changed, nil
}

// extentReader reads the data runs of a sparse file one after the other.
func extentReader(f *os.File, ext []repo.Extent) io.Reader {
	rs := make([]io.Reader, len(ext))
	for i, e := range ext {
		rs[i] = io.NewSectionReader(f, int64(e.Offset), int64(e.Length))
	}
	return io.MultiReader(rs...)
}

// chunkStream chunks a stream, hashes each chunk and hands the chunks the
// repository lacks to the save workers. It returns the content list.
func (b *backuper) chunkStream(c *chunk.Chunker) ([]repo.ID, uint64, error) {
	var (
		content []repo.ID
		size    uint64
	)
	for {
		data, err := c.Next()
		if errors.Is(err, io.EOF) {
			return content, size, nil
		}
		if err != nil {
			return nil, 0, err
		}
		if b.ctx.Err() != nil {
			return nil, 0, b.stopped()
		}
		id := b.r.BlobID(data)
		content = append(content, id)
		size += uint64(len(data))
		b.nBytes.Add(uint64(len(data)))
		if b.r.HasBlob(repo.BlobHandle{Type: repo.DataBlob, ID: id}) {
			continue
		}
		buf := b.chunkBufs.get(len(data))
		copy(buf, data)
		select {
		case b.saves <- saveJob{id: id, buf: buf}:
		case <-b.ctx.Done():
			return nil, 0, b.stopped()
		}
	}
}

func (b *backuper) stopped() error {
	return fmt.Errorf("backup stopped: %w", b.ctx.Err())
}

// saveWorker compresses, seals and stores chunks, sealing each in the
// same buffer.
func (b *backuper) saveWorker() {
	defer b.saveWG.Done()
	var scratch repo.SealScratch
	for job := range b.saves {
		if b.ctx.Err() == nil {
			if _, err := b.r.SaveBlobScratch(b.ctx, repo.DataBlob, job.id, job.buf, true, &scratch); err != nil {
				b.fail(err)
			}
		}
		b.chunkBufs.put(job.buf)
	}
}
