package crypto

import "errors"

// Sentinel errors. Every error returned by this package wraps one of them
// (sometimes several), so callers test with errors.Is. No error message ever
// contains key material, passwords or plaintext.
var (
	// ErrAuthentication means sealed bytes did not authenticate: they were
	// tampered with, truncated, or sealed under another key or with other
	// additional data.
	ErrAuthentication = errors.New("crypto: message authentication failed (wrong key or corrupted data)")

	// ErrMalformed means stored or transmitted bytes do not have the layout
	// docs/FORMAT.md defines (bad magic, unknown version, wrong length,
	// out-of-range parameters, bad checksum).
	ErrMalformed = errors.New("crypto: malformed input")

	// ErrUnsupported means stored bytes carry a version, KDF or other
	// variant this build does not know (a newer writer made them). It is
	// returned wrapped together with ErrMalformed, so callers that only
	// test ErrMalformed still refuse the input; callers that can tell a
	// newer format from damage test ErrUnsupported first.
	ErrUnsupported = errors.New("crypto: unsupported format version")

	// ErrWrongPassword means a password slot did not open: the password is wrong
	// or the slot was corrupted (the two cannot be told apart).
	ErrWrongPassword = errors.New("crypto: wrong password (or corrupted key slot)")

	// ErrInvalidParams means Argon2id parameters are out of the accepted range.
	ErrInvalidParams = errors.New("crypto: invalid Argon2id parameters")

	// ErrInvalidShares is wrapped by every secret-sharing error: bad split
	// parameters, and every reason CombineShares refuses its input.
	ErrInvalidShares = errors.New("crypto: invalid secret shares")

	// ErrNotEnoughShares means fewer distinct shares than the threshold were
	// given to CombineShares. It is returned wrapped together with ErrInvalidShares.
	ErrNotEnoughShares = errors.New("crypto: not enough shares")

	// ErrMixedShares means the shares given to CombineShares come from
	// different splits (set ID, threshold, version or length differ). It is
	// returned wrapped together with ErrInvalidShares.
	ErrMixedShares = errors.New("crypto: shares come from different splits")

	// ErrDuplicateShare means two shares given to CombineShares have the same
	// index. It is returned wrapped together with ErrInvalidShares.
	ErrDuplicateShare = errors.New("crypto: duplicate share")

	// ErrShareMismatch means the shares combined into a value whose check tag is
	// wrong: at least one share is corrupted or forged. It is returned wrapped
	// together with ErrInvalidShares.
	ErrShareMismatch = errors.New("crypto: shares do not combine to a valid secret (a share is corrupted)")
)
