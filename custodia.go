package custodia

import (
	"context"
	"errors"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// Repository is an open custodia repository: its sites, its keys and what
// it has written. It is safe for concurrent use. Close it when done.
type Repository struct {
	repo  *repo.Repository
	store *storage.Store
}

// Create makes a new repository on the sites (URLs or paths, one per site,
// plus any WithBucket sites), encrypted with password, and opens it. It
// fails with ErrAlreadyInitialized when a repository exists there.
func Create(ctx context.Context, sites []string, password []byte, opts ...Option) (*Repository, error) {
	o := newOptions(opts)
	st, err := storage.Open(ctx, sites, append(o.storage, storage.WithCreate())...)
	if err != nil {
		return nil, err
	}
	r, err := repo.Init(ctx, st, password, o.init...)
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	return &Repository{repo: r, store: st}, nil
}

// Open opens the repository on the sites (URLs or paths, one per site,
// plus any WithBucket sites) with password. It fails with
// ErrNotInitialized when there is none and ErrWrongPassword when no key
// slot opens with password.
func Open(ctx context.Context, sites []string, password []byte, opts ...Option) (*Repository, error) {
	o := newOptions(opts)
	st, err := storage.Open(ctx, sites, o.storage...)
	if err != nil {
		return nil, err
	}
	r, err := repo.Open(ctx, st, password, o.open...)
	if err != nil {
		return nil, errors.Join(err, st.Close())
	}
	return &Repository{repo: r, store: st}, nil
}

// Close flushes what the repository has written, forgets its keys and
// closes its sites (buckets handed in with WithBucket stay open: their
// owner closes them). Do not use the Repository after Close.
func (r *Repository) Close(ctx context.Context) error {
	return errors.Join(r.repo.Close(ctx), r.store.Close())
}

// Repo returns the lower-level repository, for what this package does not
// cover (packages repo, backup, restore). It is closed by Close.
func (r *Repository) Repo() *repo.Repository { return r.repo }
