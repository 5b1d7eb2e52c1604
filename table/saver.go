package table

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/custodia-backup/custodia/internal/bufpool"
	"github.com/custodia-backup/custodia/repo"
)

// saver encodes, names and stores pages on background goroutines, so that
// compressing and sealing pages overlaps with building the next ones. At
// most 2×workers pages wait for a worker, and each pager waits once it has
// maxQueue pages not yet stored, which bounds its memory.
type saver struct {
	r      *repo.Repository
	parent context.Context // for the repository: packs upload after wait
	ctx    context.Context // canceled at the first error
	cancel context.CancelCauseFunc
	jobs   chan *pageJob
	enc    textCompressor // of record pages' text
	wg     sync.WaitGroup
	added  atomic.Uint64
	stored atomic.Uint64
}

// pageJob is one page for the saver: an encoded page (data), or the text
// and encrypted values of a record page that the saver encodes as version
// 3. The saver sets id, size and err, then closes done.
type pageJob struct {
	data         []byte
	text, sealed []byte
	first        []byte
	count        uint64

	id   ID
	size int
	err  error
	done chan struct{}
}

func newSaver(parent context.Context, r *repo.Repository) *saver {
	ctx, cancel := context.WithCancelCause(parent)
	n := runtime.GOMAXPROCS(0)
	s := &saver{r: r, parent: parent, ctx: ctx, cancel: cancel, jobs: make(chan *pageJob, 2*n), enc: textEncoder(r.Config().Compression)}
	for range n {
		s.wg.Go(s.work)
	}
	return s
}

func (s *saver) work() {
	var scratch []byte
	for j := range s.jobs {
		j.err = s.store(j, &scratch)
		if j.err != nil {
			s.cancel(j.err)
		}
		close(j.done)
	}
}

// store encodes and stores one page.
func (s *saver) store(j *pageJob, scratch *[]byte) error {
	if s.ctx.Err() != nil {
		return context.Cause(s.ctx)
	}
	data, compress := j.data, true
	if data == nil {
		data, *scratch = appendPageV3(bufpool.Get(32 + len(j.text) + len(j.sealed))[:0], s.enc, *scratch, j.text, j.sealed)
		compress = false // the text is compressed, the rest is ciphertext
		bufpool.Put(j.text)
		bufpool.Put(j.sealed)
		j.text, j.sealed = nil, nil
	}
	// The repository copies what it stores: the page's buffer goes back.
	defer bufpool.Put(data)
	j.data = nil
	j.id, j.size = s.r.BlobID(data), len(data)
	isNew, err := s.r.SaveBlob(s.parent, repo.DataBlob, j.id, data, compress)
	if err != nil {
		return err
	}
	if isNew {
		s.added.Add(uint64(len(data)))
	}
	s.stored.Add(uint64(len(data)))
	return nil
}

// save queues a page; j is owned by the saver until j.done is closed.
func (s *saver) save(j *pageJob) error {
	select {
	case s.jobs <- j:
		return nil
	case <-s.ctx.Done():
		return context.Cause(s.ctx)
	}
}

// wait stores the queued pages and returns the first error.
func (s *saver) wait() error {
	close(s.jobs)
	s.wg.Wait()
	err := context.Cause(s.ctx)
	s.cancel(nil)
	return err
}
