package classify

import (
	"context"
	"io"
	"iter"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FieldResult is the classification of one field.
type FieldResult struct {
	Name       string  `json:"name"`             // field name as written
	Type       Type    `json:"type"`             // what the field holds
	Level      Level   `json:"level"`            // sensitivity; for FreeText the level of the data found in it
	Confidence float64 `json:"confidence"`       // 0..1, two decimals
	Review     bool    `json:"review,omitempty"` // an operator should confirm the decision (see [FieldResult.Reason])
	Reason     string  `json:"reason,omitempty"` // why Review is set: "header only", "few values"
	Header     Type    `json:"header,omitempty"` // the type suggested by the name alone, "" if none
	Count      int     `json:"count"`            // non-null values seen
	Nulls      int     `json:"nulls"`            // null values seen (empty, null, \N, -, 无, ...)
	Sampled    int     `json:"sampled"`          // non-null values examined
	// Example is one value of the field, masked with the default mask of
	// its type unless the field is public, so that it can be shown. It
	// never holds a raw level 1 or level 2 value.
	Example string `json:"example,omitempty"`

	raw string // the example before masking; never leaves the package
}

// minReviewValues is the number of non-null values under which a decision
// is flagged for review.
const minReviewValues = 50

// fieldStats accumulates evidence for one field.
type fieldStats struct {
	name     string
	header   Type
	seen     int
	nulls    int
	examined int
	stride   int
	next     int // value number (seen) of the next value to examine
	strong   [numTypes]int
	weak     [numTypes]int
	guess    [numTypes]int
	embedded [numTypes]int
	cards    int
	example  [numTypes]string
	first    string
	// cache remembers the analysis of repeated values (bank names,
	// remarks, statuses); it is dropped when the field turns out to have
	// few repeats.
	cache map[string]valueInfo
	hits  int
	col   columnStats
}

const (
	cacheEntries = 512
	maxCached    = 256  // longer values are rarely repeated
	cacheTrial   = 2048 // examined values after which a useless cache is dropped
)

// Profiler accumulates observations of the fields of one table and
// classifies them. It is not safe for concurrent use.
type Profiler struct {
	cfg    config
	fields map[string]*fieldStats
	order  []*fieldStats
}

// NewProfiler returns an empty profiler. It takes [WithSampleSize] and,
// for [Profiler.Read], the reader options.
func NewProfiler(opts ...Option) *Profiler {
	return &Profiler{cfg: newConfig(opts), fields: map[string]*fieldStats{}}
}

func (p *Profiler) field(name string) *fieldStats {
	if f, ok := p.fields[name]; ok {
		return f
	}
	f := &fieldStats{name: name, header: headerType(name), stride: 1, cache: map[string]valueInfo{}}
	p.fields[name] = f
	p.order = append(p.order, f)
	return f
}

// Observe records every field of a record. Null values (JSON null, the
// empty string and the null spellings "NULL", "\N", "-", "无", "N/A", ...)
// count as nulls; empty containers are ignored.
func (p *Profiler) Observe(rec Record) {
	for _, f := range rec {
		if f.Kind == KindEmpty {
			continue
		}
		p.field(f.Name).observe(f.Value, p.cfg.sample)
	}
}

func (f *fieldStats) observe(v string, sample int) {
	s := v
	if needsTrim(s) {
		s = strings.TrimSpace(s)
	}
	if isNullTrimmed(s) {
		f.nulls++
		return
	}
	f.seen++
	if sample > 0 && f.seen < f.next {
		return
	}
	s = clip(s)
	if sample > 0 && f.examined >= sample {
		// Thin out: double the stride after every `sample` examined values.
		f.stride = 1 << min(30, f.examined/sample)
	}
	f.next = f.seen + f.stride
	f.examined++
	info, ok := f.cache[s]
	if ok {
		f.hits++
	} else {
		info = analyze(s)
		if f.cache != nil && len(f.cache) < cacheEntries && len(s) <= maxCached {
			f.cache[strings.Clone(s)] = info
		}
	}
	if f.examined == cacheTrial && 4*f.hits < cacheTrial {
		f.cache = nil
	}
	f.col.add(info, s)
	if f.first == "" {
		f.first = strings.Clone(s)
	}
	for b := info.weak; b != 0; b &= b - 1 {
		f.weak[bits.TrailingZeros32(uint32(b))]++
	}
	for b := info.strong; b != 0; b &= b - 1 {
		i := bits.TrailingZeros32(uint32(b))
		f.strong[i]++
		if f.example[i] == "" {
			f.example[i] = strings.Clone(s)
		}
	}
	f.guess[typeIndex[info.guess]]++
	if info.embedded != "" {
		f.embedded[typeIndex[info.embedded]]++
		if i := typeIndex[FreeText]; f.example[i] == "" && info.strong == 0 {
			f.example[i] = strings.Clone(s)
		}
	}
	if info.card {
		f.cards++
	}
}

// Result classifies every field observed so far, in the order the fields
// were first seen.
func (p *Profiler) Result() []FieldResult {
	out := make([]FieldResult, 0, len(p.order))
	for _, f := range p.order {
		out = append(out, f.result())
	}
	return out
}

// exampleOf masks an example value for display, then shortens it to 40
// characters.
func exampleOf(t Type, l Level, v string) string {
	switch {
	case t == FreeText:
		v = maskEntities(v, '*')
		if l == Level1 || l == Level2 {
			// Text around the entities may still hold what raised the
			// level (a diagnosis, an address): show its shape only.
			v = Mask{Method: KeepFirstNLastM, N: 2}.Apply(v)
		}
	case l != Public:
		v = t.DefaultMask().Apply(v)
	}
	return shorten(v)
}

// shorten cuts a value for display to 40 characters.
func shorten(v string) string {
	n := 0
	for i := range v {
		if n == 40 {
			return v[:i] + "…"
		}
		n++
	}
	return v
}

// Profile profiles a record stream (a sample of a table, or all of it) and
// returns the classification of every field, in the order the fields were
// first seen. It stops at the first error, which it returns.
func Profile(ctx context.Context, recs iter.Seq2[Record, error], opts ...Option) ([]FieldResult, error) {
	p := NewProfiler(opts...)
	if err := p.observeAll(ctx, recs); err != nil {
		return nil, err
	}
	return p.Result(), nil
}

func (p *Profiler) observeAll(ctx context.Context, recs iter.Seq2[Record, error]) error {
	n := 0
	for rec, err := range recs {
		if err != nil {
			return err
		}
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		p.Observe(rec)
	}
	return ctx.Err()
}

// Read observes every record of r, read in format f (see [Read]); files of
// the same table may be read one after the other. CSV takes a fast path
// that builds no records. The whole input is read, so malformed input
// anywhere is reported; on error, the records before the bad one have been
// observed.
func (p *Profiler) Read(ctx context.Context, r io.Reader, f Format) error {
	if f != CSV && f != TSV {
		return p.observeAll(ctx, Read(r, f, WithMaxRecordSize(p.cfg.maxRecord)))
	}
	cp := &csvParser{lr: newLineReader(r, p.cfg.maxRecord), comma: f.comma()}
	names, err := cp.header()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	cols := make([]*fieldStats, len(names))
	for i, n := range names {
		cols[i] = p.field(n)
	}
	for rows := 1; ; rows++ {
		s, ends, err := cp.read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if len(ends) != len(cols) {
			return fieldCountError(cp.start, len(ends), len(cols))
		}
		if rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		prev := 0
		for i, e := range ends {
			cols[i].observe(s[prev:e], p.cfg.sample)
			prev = e
		}
	}
}

// needsTrim reports whether s starts or ends with white space.
func needsTrim(s string) bool {
	if s == "" {
		return false
	}
	if c := s[0]; c <= ' ' || (c >= utf8.RuneSelf && isSpaceRune(utf8.DecodeRuneInString(s))) {
		return true
	}
	c := s[len(s)-1]
	return c <= ' ' || (c >= utf8.RuneSelf && isSpaceRune(utf8.DecodeLastRuneInString(s)))
}

func isSpaceRune(r rune, _ int) bool { return unicode.IsSpace(r) }
