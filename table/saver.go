package table

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/custodia-backup/custodia/repo"
)

// saver stores pages on background goroutines, so that compressing and
// sealing one page overlaps with building the next. At most 2×workers pages
// wait, which bounds its memory.
type saver struct {
	r      *repo.Repository
	parent context.Context // for the repository: packs upload after wait
	ctx    context.Context // canceled at the first error
	cancel context.CancelCauseFunc
	jobs   chan saveJob
	wg     sync.WaitGroup
	added  atomic.Uint64
	stored atomic.Uint64
}

type saveJob struct {
	id   ID
	data []byte
}

func newSaver(parent context.Context, r *repo.Repository) *saver {
	ctx, cancel := context.WithCancelCause(parent)
	n := runtime.GOMAXPROCS(0)
	s := &saver{r: r, parent: parent, ctx: ctx, cancel: cancel, jobs: make(chan saveJob, n)}
	for range n {
		s.wg.Go(s.work)
	}
	return s
}

func (s *saver) work() {
	for j := range s.jobs {
		if s.ctx.Err() != nil {
			continue
		}
		isNew, err := s.r.SaveBlob(s.parent, repo.DataBlob, j.id, j.data, true)
		if err != nil {
			s.cancel(err)
			continue
		}
		if isNew {
			s.added.Add(uint64(len(j.data)))
		}
		s.stored.Add(uint64(len(j.data)))
	}
}

// save queues a page; data is owned by the saver from now on.
func (s *saver) save(id ID, data []byte) error {
	select {
	case s.jobs <- saveJob{id, data}:
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
