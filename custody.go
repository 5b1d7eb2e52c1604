package custodia

import (
	"context"
	"io"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// Two-person control: the read capability split among custodians, any
// threshold of whom open the repository together (docs/FORMAT.md §17.4).

// Custodian is one holder of a custody share: a name, and a password when
// the share is kept in a custody slot of the repository rather than handed
// out as text.
type Custodian = repo.Custodian

// SplitResult is what Split made: the split's ID, its threshold and the
// text shares (secrets, one per custodian without a password).
type SplitResult = repo.SplitResult

// ShareSource supplies custodians' shares to OpenWithShares one at a time,
// told whose share is still missing; io.EOF ends the collection. A host
// backs it with its own approval flow; Shares is the simplest one.
type ShareSource = repo.ShareSource

// ShareRequest is what OpenWithShares asks a ShareSource for: the named
// custodian whose share is missing (empty for the first) and the counts.
type ShareRequest = repo.ShareRequest

// ShareInput is one custodian's answer: a text share, or the password of
// the custodian's custody slot.
type ShareInput = repo.ShareInput

var (
	// ErrNotEnoughShares: fewer custodians than the threshold gave their
	// share to OpenWithShares.
	ErrNotEnoughShares = repo.ErrNotEnoughShares
	// ErrWrongShare: a share is not one of the split's, or the shares do
	// not combine into the repository's key.
	ErrWrongShare = repo.ErrWrongShare
)

// Split turns the read capability into one share per custodian, any
// threshold of which open the repository together with OpenWithShares. It
// then removes every single-person key slot that can read: the password
// this repository was opened with stops opening it (write-only keys stay,
// so file backups go on). It needs a repository opened with full access.
func (r *Repository) Split(ctx context.Context, threshold int, custodians []Custodian) (*SplitResult, error) {
	return r.repo.Split(ctx, threshold, custodians)
}

// OpenWithShares opens the repository on the sites with the shares of a
// threshold of custodians, collected from src. It fails with
// ErrNotEnoughShares when src runs out first, ErrWrongShare for a share
// of another split or repository, and ErrNotInitialized when there is no
// repository.
//
// Each custodian's password is cleared from its ShareInput once used. With
// WithEvents the call reports as an Open.
func OpenWithShares(ctx context.Context, sites []string, src ShareSource, opts ...Option) (*Repository, error) {
	return open(ctx, sites, opts, func(st *storage.Store, o options) (*repo.Repository, error) {
		return repo.OpenWithShares(ctx, st, src, o.open...)
	})
}

// Shares is a ShareSource handing over the given shares in order, whoever
// is asked for, then io.EOF: for a host that collected the custodians'
// shares itself (two managers approving in a web application, say).
func Shares(shares ...ShareInput) ShareSource { return &shareList{shares: shares} }

type shareList struct{ shares []ShareInput }

func (s *shareList) NextShare(_ context.Context, _ ShareRequest) (ShareInput, error) {
	if len(s.shares) == 0 {
		return ShareInput{}, io.EOF
	}
	in := s.shares[0]
	s.shares = s.shares[1:]
	return in, nil
}
