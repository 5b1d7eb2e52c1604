package source

import (
	"io"
	"iter"
	"os"

	"github.com/custodia-backup/custodia/classify"
)

// Reader yields the records of r in format f (classify.Read: CSV, TSV or
// JSON Lines). A malformed row ends the sequence with a *FileError naming
// name and wrapping the *classify.SyntaxError that carries the line.
func Reader(r io.Reader, name string, f classify.Format) iter.Seq2[classify.Record, error] {
	return func(yield func(classify.Record, error) bool) {
		for rec, err := range classify.Read(r, f) {
			if err != nil {
				yield(nil, &FileError{Name: name, Err: err})
				return
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// File yields the records of the file at path, in the format of its
// extension (.csv, .tsv, .jsonl, .ndjson).
func File(path string) iter.Seq2[classify.Record, error] {
	return func(yield func(classify.Record, error) bool) {
		f, err := classify.FormatOf(path)
		if err != nil {
			yield(nil, err)
			return
		}
		fh, err := os.Open(path)
		if err != nil {
			yield(nil, err)
			return
		}
		defer fh.Close()
		for rec, err := range Reader(fh, path, f) {
			if !yield(rec, err) || err != nil {
				return
			}
		}
	}
}

// FileError is a problem in a record file: the file's name and the cause
// (a *classify.SyntaxError carries the line).
type FileError struct {
	Name string
	Err  error
}

func (e *FileError) Error() string { return e.Name + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }
