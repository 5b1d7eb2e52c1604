package classify

import (
	"context"
	"io"
	"iter"
)

// Shorthands of the tests.

func profileCSV(ctx context.Context, r io.Reader, opts ...Option) ([]FieldResult, error) {
	p := NewProfiler(opts...)
	if err := p.Read(ctx, r, CSV); err != nil {
		return nil, err
	}
	return p.Result(), nil
}

func profileJSONL(ctx context.Context, r io.Reader, opts ...Option) ([]FieldResult, error) {
	p := NewProfiler(opts...)
	if err := p.Read(ctx, r, JSONLines); err != nil {
		return nil, err
	}
	return p.Result(), nil
}

func readCSVAll(r io.Reader, opts ...Option) iter.Seq2[Record, error] { return Read(r, CSV, opts...) }

func readJSONLAll(r io.Reader, opts ...Option) iter.Seq2[Record, error] {
	return Read(r, JSONLines, opts...)
}

// observe records one value of a field.
func (p *Profiler) observe(field, value string) { p.field(field).observe(value, p.cfg.sample) }

// recordsOf streams a slice of records.
func recordsOf(in []Record) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for _, r := range in {
			if !yield(r, nil) {
				return
			}
		}
	}
}
