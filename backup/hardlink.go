package backup

import "github.com/custodia-backup/custodia/repo"

// file starts backing up a regular file: one unchanged since the parent
// snapshot is settled at once (its node, and no future), any other is read
// by the file workers. A file with several hard links is read once per
// backup: its other names take the first name's content and metadata when
// it is done, so that a restore links them again.
func (b *backuper) file(job fileJob) (repo.Node, *future) {
	if job.node.Links <= 1 {
		if n, ok := b.keep(job); ok {
			return n, nil
		}
		job.f = newFuture()
		b.send(job)
		return repo.Node{}, job.f
	}
	f := newFuture()
	job.f = f
	key := [2]uint64{job.node.Device, job.node.Inode}
	b.mu.Lock()
	first, seen := b.links[key]
	if !seen {
		if b.links == nil {
			b.links = make(map[[2]uint64]*future)
		}
		b.links[key] = f
	}
	b.mu.Unlock()
	if seen {
		go b.linkName(job, first)
		return repo.Node{}, f
	}
	b.queue(job)
	return repo.Node{}, f
}

// queue settles an unchanged file at once and hands any other to the file
// workers.
func (b *backuper) queue(job fileJob) {
	if n, ok := b.keep(job); ok {
		job.f.node = n
		close(job.f.done)
		return
	}
	b.send(job)
}

// send hands a file to the file workers.
func (b *backuper) send(job fileJob) {
	select {
	case b.files <- job:
	case <-b.ctx.Done():
		job.f.skip = true
		close(job.f.done)
	}
}

// linkName completes another name of a hard-linked file once its first
// name is saved; when the first could not be read, this name is read.
func (b *backuper) linkName(job fileJob, first *future) {
	<-first.done
	if first.skip {
		b.queue(job)
		return
	}
	n := first.node
	n.Name = job.node.Name
	job.f.node = n
	b.nFiles.Add(1)
	close(job.f.done)
}
