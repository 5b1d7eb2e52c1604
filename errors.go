package custodia

import (
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/storage"
)

// Errors to test with errors.Is; they are the lower packages' own, so an
// error from either level matches.
var (
	// ErrNotInitialized: no repository exists at the sites (Open).
	ErrNotInitialized = repo.ErrNotInitialized
	// ErrAlreadyInitialized: a repository exists at the sites (Create).
	ErrAlreadyInitialized = repo.ErrAlreadyInitialized
	// ErrWrongPassword: no key slot of the repository opens with the
	// password.
	ErrWrongPassword = repo.ErrWrongPassword
	// ErrSiteUnreachable: a site cannot be reached or does not exist.
	ErrSiteUnreachable = storage.ErrSiteUnreachable
	// ErrSnapshotNotFound: no snapshot matches the ID, prefix or filter.
	ErrSnapshotNotFound = repo.ErrSnapshotNotFound
	// ErrTargetNotEmpty: Restore's target folder holds files and
	// WithOverwrite was not given.
	ErrTargetNotEmpty = restore.ErrTargetNotEmpty
	// ErrNotStream: RestoreStream was given a snapshot of files.
	ErrNotStream = restore.ErrNotStream
	// ErrMalformed: stored bytes are damaged beyond what the erasure code
	// repairs, or were not written by custodia.
	ErrMalformed = repo.ErrMalformed
)
