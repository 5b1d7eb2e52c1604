package classify

import (
	"io"
	"iter"
	"path/filepath"
	"strings"
)

// Format is an input format [Read] understands.
type Format string

// The input formats.
const (
	// CSV is comma-separated values with a header row (RFC 4180, strict).
	CSV Format = "csv"
	// TSV is CSV with tabs between the fields.
	TSV Format = "tsv"
	// JSONLines is one JSON object per line (also called NDJSON).
	JSONLines Format = "jsonl"
	// JSON is one JSON document: an array of objects, each a record, or one
	// object (an invoice document), which is one record.
	JSON Format = "json"
)

// formatNames maps names and file extensions to formats.
var formatNames = map[string]Format{
	"csv": CSV, "tsv": TSV, "jsonl": JSONLines, "ndjson": JSONLines, "json": JSON,
}

// FormatOf returns the format called name ("csv", "tsv", "jsonl", "ndjson", "json"), or
// the format of a file called name, judged by its extension
// ("customers.csv"). Anything else is an error wrapping ErrFormat.
func FormatOf(name string) (Format, error) {
	n := strings.ToLower(name)
	if f, ok := formatNames[n]; ok {
		return f, nil
	}
	if f, ok := formatNames[strings.TrimPrefix(strings.ToLower(filepath.Ext(n)), ".")]; ok {
		return f, nil
	}
	return "", errorf("%q: %w", name, ErrFormat)
}

// Read yields the records of r, read in format f; an unknown format yields
// one error wrapping ErrFormat. Malformed input yields a *SyntaxError with
// its line, and reading stops there.
//
// CSV: a header row, then data rows; UTF-8 with or without a byte order
// mark; CRLF or LF line ends; quoted fields may hold separators, doubled
// quotes and line breaks (read as "\n"); blank lines are skipped; empty
// header names become "colN". Rejected: an unterminated quoted field (the
// line where it opens), a character after a closing quote, a row with more
// or fewer fields than the header (a shifted column would be
// misclassified), duplicate header names, invalid UTF-8, a record larger
// than the maximum size ([WithMaxRecordSize]). Values are KindString.
//
// JSON Lines: one object per line, blank lines skipped. Nested objects and
// arrays are flattened ("contact.mobile", "tags.0"); keys keep the order in
// which they are written and a repeated key keeps its last value; numbers
// keep their literal text.
//
// JSON: a document holding an array of objects (each one record, flattened
// as in JSON Lines) or one object, which is one record: an invoice document
// with its line items gives "items.0.name", "items.1.name", ... Only one
// record at a time is held in memory.
func Read(r io.Reader, f Format, opts ...Option) iter.Seq2[Record, error] {
	cfg := newConfig(opts)
	switch f {
	case CSV, TSV:
		return readCSV(r, f.comma(), cfg)
	case JSONLines:
		return readJSONL(r, cfg)
	case JSON:
		return readJSON(r, cfg)
	}
	return func(yield func(Record, error) bool) {
		yield(nil, errorf("%q: %w", string(f), ErrFormat))
	}
}

// comma is the field separator of CSV and TSV.
func (f Format) comma() byte {
	if f == TSV {
		return '\t'
	}
	return ','
}
