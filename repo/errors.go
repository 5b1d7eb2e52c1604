package repo

import "errors"

// Sentinel errors returned by the repository, to be tested with errors.Is.
var (
	// ErrNotInitialized means no repository exists at the given sites.
	ErrNotInitialized = errors.New("no custodia repository here")
	// ErrAlreadyInitialized means Init found an existing repository.
	ErrAlreadyInitialized = errors.New("a custodia repository already exists here")
	// ErrWrongPassword means no key slot opens with the given password.
	ErrWrongPassword = errors.New("wrong password: no key slot of this repository opens with it")
	// ErrSnapshotNotFound means no snapshot matches the given ID or prefix.
	ErrSnapshotNotFound = errors.New("snapshot not found")
	// ErrAmbiguousSnapshot means an ID prefix matches more than one snapshot.
	ErrAmbiguousSnapshot = errors.New("snapshot ID prefix is ambiguous")
	// ErrBlobNotFound means the index holds no entry for a blob.
	ErrBlobNotFound = errors.New("blob not in the index")
	// ErrMalformed means stored bytes do not decode: they were damaged or
	// were not written by custodia.
	ErrMalformed = errors.New("malformed repository object")
	// ErrUnsupported means the object uses a format version or feature this
	// build does not implement.
	ErrUnsupported = errors.New("unsupported repository format")
	// ErrSlotLimit means a key slot asks for more Argon2id time or memory
	// than Open accepts (SlotLimits), so it was not tried.
	ErrSlotLimit = errors.New("key slot over the Argon2id cost limit")
	// ErrNoPassword means an operation needs a password and none was given.
	ErrNoPassword = errors.New("no password given")
)
