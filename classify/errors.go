package classify

import (
	"errors"
	"fmt"
	"strings"
)

// Every error this package returns starts with "classify: ". The sentinel
// reasons below are wrapped, so they are matched with errors.Is; malformed
// input comes as a *SyntaxError and a bad policy as a *PolicyError, which
// carry the line and are matched with errors.As.
var (
	// ErrNoKey: the policy or plan asks for tokenization or encryption and
	// the key was not given ([WithTokenKey], [WithFieldKey]).
	ErrNoKey = errors.New("a key the policy needs was not given")
	// ErrKeySize: a token or field key is not [KeySize] bytes.
	ErrKeySize = errors.New("keys must be 32 bytes")
	// ErrDecrypt: an encrypted value does not open under the field key and
	// its table, field and record key (wrong key, damaged, or moved from
	// another field or record).
	ErrDecrypt = errors.New("value does not decrypt (wrong key, damaged, or moved from another field or record)")
	// ErrUnsupported: [RecordOf] cannot represent a Go value.
	ErrUnsupported = errors.New("unsupported value")
	// ErrPolicy is wrapped by every [PolicyError].
	ErrPolicy = errors.New("invalid policy")
	// ErrBadMask: mask parameters out of range ([Mask.Validate]).
	ErrBadMask = errors.New("bad mask")
	// ErrFormat: an input format other than those of [Format].
	ErrFormat = errors.New("unknown format (want csv, tsv, jsonl or json)")

	// Reasons wrapped by [SyntaxError].
	ErrUnterminatedQuote = errors.New("unterminated quoted field")
	ErrQuote             = errors.New("unexpected character after closing quote")
	ErrFieldCount        = errors.New("wrong number of fields")
	ErrDuplicateName     = errors.New("duplicate column name")
	ErrTooLong           = errors.New("record too long")
	ErrNotObject         = errors.New("not a JSON object")
	ErrInvalidUTF8       = errors.New("invalid UTF-8")
)

const errPrefix = "classify: "

// errorf is fmt.Errorf with the package prefix.
func errorf(format string, args ...any) error {
	return fmt.Errorf(errPrefix+format, args...)
}

// SyntaxError reports malformed input. Line is the 1-based line where the
// bad record (or the unterminated quoted field) starts.
type SyntaxError struct {
	Line int
	Err  error // the reason, without prefix or line
}

// Error returns "classify: line N: reason".
func (e *SyntaxError) Error() string { return fmt.Sprintf("%sline %d: %v", errPrefix, e.Line, e.Err) }

// Unwrap returns the reason.
func (e *SyntaxError) Unwrap() error { return e.Err }

// PolicyError reports a bad policy file: the line of the offending entry and
// what is wrong with it (wrapping [ErrPolicy]).
type PolicyError struct {
	Line int
	Err  error // the reason, without prefix or line
}

// Error returns "classify: line N: invalid policy: reason".
func (e *PolicyError) Error() string { return fmt.Sprintf("%sline %d: %v", errPrefix, e.Line, e.Err) }

// Unwrap returns the reason.
func (e *PolicyError) Unwrap() error { return e.Err }

// trimPrefix drops the package prefix of a nested error's text.
func trimPrefix(s string) string { return strings.TrimPrefix(s, errPrefix) }
