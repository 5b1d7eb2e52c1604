package custodia

import (
	"context"
	"errors"
	"time"

	"github.com/custodia-backup/custodia/monitor"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// Repository is an open custodia repository: its sites, its keys and what
// it has written. It is safe for concurrent use. Close it when done.
type Repository struct {
	repo  *repo.Repository
	store *storage.Store

	events   *monitor.Events // nil without WithEvents
	interval time.Duration   // between progress events
}

// Create makes a new repository on the sites (URLs or paths, one per site,
// plus any WithBucket sites), encrypted with password, and opens it. It
// fails with ErrAlreadyInitialized when a repository exists there.
func Create(ctx context.Context, sites []string, password []byte, opts ...Option) (*Repository, error) {
	o := newOptions(opts)
	rp := newRepository(o)
	run := rp.events.Begin(monitor.OpCreate)
	st, err := storage.Open(ctx, sites, append(o.storage, storage.WithCreate())...)
	if err != nil {
		run.Finish(monitor.Counts{}, "", err)
		return nil, err
	}
	rp.store = st
	r, err := repo.Init(ctx, st, password, o.init...)
	if err != nil {
		run.Finish(monitor.Counts{}, "", err)
		return nil, errors.Join(err, st.Close())
	}
	rp.repo = r
	run.Finish(monitor.Counts{}, "", nil)
	return rp, nil
}

// Open opens the repository on the sites (URLs or paths, one per site,
// plus any WithBucket sites) with password. It fails with
// ErrNotInitialized when there is none and ErrWrongPassword when no key
// slot opens with password.
func Open(ctx context.Context, sites []string, password []byte, opts ...Option) (*Repository, error) {
	return open(ctx, sites, opts, func(st *storage.Store, o options) (*repo.Repository, error) {
		return repo.Open(ctx, st, password, o.open...)
	})
}

// open opens the sites and then the repository on them with how, as an
// OpOpen for the events: Open with a password, OpenWithShares with
// custodians' shares.
func open(ctx context.Context, sites []string, opts []Option, how func(*storage.Store, options) (*repo.Repository, error)) (*Repository, error) {
	o := newOptions(opts)
	rp := newRepository(o)
	run := rp.events.Begin(monitor.OpOpen)
	st, err := storage.Open(ctx, sites, o.storage...)
	if err != nil {
		run.Finish(monitor.Counts{}, "", err)
		return nil, err
	}
	rp.store = st
	r, err := how(st, o)
	if err != nil {
		run.Finish(monitor.Counts{}, "", err)
		return nil, errors.Join(err, st.Close())
	}
	rp.repo = r
	for _, w := range r.Warnings() {
		run.Warn("", w.Error(), w, monitor.Counts{})
	}
	run.Finish(monitor.Counts{}, "", nil)
	return rp, nil
}

// Close flushes what the repository has written, forgets its keys and
// closes its sites (buckets handed in with WithBucket stay open: their
// owner closes them). Do not use the Repository after Close.
func (r *Repository) Close(ctx context.Context) error {
	run := r.events.Begin(monitor.OpClose)
	err := errors.Join(r.repo.Close(ctx), r.store.Close())
	run.Finish(monitor.Counts{}, "", err)
	return err
}

// Repo returns the lower-level repository, for what this package does not
// cover (packages repo, backup, restore). It is closed by Close. What is
// done through it emits no events.
func (r *Repository) Repo() *repo.Repository { return r.repo }
