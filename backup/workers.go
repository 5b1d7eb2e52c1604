package backup

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/internal/bufpool"
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
		p.Inode != n.Inode || !p.ChangeTime.Equal(n.ChangeTime) || len(p.Content) == 0 && n.Size > 0 {
		return false
	}
	for _, id := range p.Content {
		if !b.r.HasBlob(repo.BlobHandle{Type: repo.DataBlob, ID: id}) {
			return false
		}
	}
	return true
}

func (b *backuper) saveFile(c **chunk.Chunker, job fileJob) {
	node := job.node
	b.nFiles.Add(1)
	if b.unchanged(node, job.parent) {
		node.Content = job.parent.Content
		b.nBytes.Add(node.Size)
		b.mu.Lock()
		b.stats.FilesSkipped++
		b.mu.Unlock()
		job.f.node = node
		return
	}
	f, err := os.OpenFile(job.path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		b.fileError(job.path, err)
		job.f.skip = true
		return
	}
	defer f.Close()
	if *c == nil {
		if *c, err = chunk.NewChunker(f, b.params, b.gear); err != nil {
			b.fail(err)
			job.f.skip = true
			return
		}
	} else {
		(*c).Reset(f)
	}
	content, size, err := b.chunkStream(*c)
	if err != nil {
		if b.ctx.Err() == nil {
			b.fileError(job.path, err)
		}
		job.f.skip = true
		return
	}
	node.Content, node.Size = content, size
	b.mu.Lock()
	if job.parent != nil && job.parent.Type == repo.NodeFile {
		b.stats.FilesChanged++
	} else {
		b.stats.FilesNew++
	}
	b.mu.Unlock()
	job.f.node = node
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
		buf := bufpool.Get(len(data))
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

// saveWorker compresses, seals and stores chunks.
func (b *backuper) saveWorker() {
	defer b.saveWG.Done()
	for job := range b.saves {
		if b.ctx.Err() == nil {
			if _, err := b.r.SaveBlob(b.ctx, repo.DataBlob, job.id, job.buf, true); err != nil {
				b.fail(err)
			}
		}
		bufpool.Put(job.buf)
	}
}
