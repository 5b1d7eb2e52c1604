package backup

import "fmt"

// FileError is a file or folder that could not be backed up; it was left
// out of the snapshot.
type FileError struct {
	Path string
	Err  error
}

// Error returns "path: cause".
func (e *FileError) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }
