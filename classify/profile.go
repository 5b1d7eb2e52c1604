package classify

import (
	"context"
	"io"
	"iter"
	"math"
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

// compatible reports whether at least half of the values fit type t. For
// types recognised only by validation (phones, e-mail, plates) the weak
// count equals the validated count, so a "phone" header over order numbers
// is not compatible; ID-shaped numbers with a bad check character and digit
// strings under a bank-account header (corporate accounts have no check
// digit) are.
func (f *fieldStats) compatible(t Type) bool {
	return 2*f.weak[typeIndex[t]] >= f.examined
}

func (f *fieldStats) result() FieldResult {
	r := FieldResult{Name: f.name, Header: f.header, Count: f.seen, Nulls: f.nulls, Sampled: f.examined}
	n := f.examined
	if n == 0 {
		r.Type = Other
		if f.header != "" {
			r.Type, r.Confidence = f.header, 0.3
		}
		r.Level = levelOf(r.Type)
		r.Review, r.Reason = true, "no values"
		return r
	}
	thr := max(1, int(math.Ceil(0.05*float64(n))))
	share := 0.0
	chosen := Type("")
	headerAgrees, headerOnly := false, false

	// 1. Validated sensitive content present in at least ~5% of the values:
	//    the most sensitive wins, the header breaks ties.
	for i, t := range allTypes {
		if levelOf(t) == Public || f.strong[i] < thr {
			continue
		}
		if t == BankCard && 2*f.strong[i] < f.cards && f.header != BankCard {
			continue // random 16-19 digit serials pass Luhn one time in ten
		}
		if chosen == "" || levelOf(t).MoreSensitiveThan(levelOf(chosen)) ||
			(levelOf(t) == levelOf(chosen) && (t == f.header || (chosen != f.header && f.strong[i] > f.strong[typeIndex[chosen]]))) {
			chosen = t
		}
	}
	if chosen != "" {
		share = float64(f.strong[typeIndex[chosen]]) / float64(n)
		headerAgrees = chosen == f.header
	}
	// 2. The header, if the values fit it.
	if chosen == "" && f.header != "" && f.header != Other && f.compatible(f.header) {
		chosen, headerAgrees, headerOnly = f.header, true, true
		share = float64(f.weak[typeIndex[chosen]]) / float64(n)
	}
	// 3. Validated public content (invoice numbers, dates, prose).
	if chosen == "" {
		best := 0
		for i, t := range allTypes {
			if levelOf(t) == Public && f.strong[i] >= thr && f.strong[i] > best {
				chosen, best = t, f.strong[i]
			}
		}
		if chosen != "" {
			share = float64(best) / float64(n)
		}
	}
	// 4. The most common guess.
	if chosen == "" {
		best := 0
		for i, t := range allTypes {
			if f.guess[i] > best {
				chosen, best = t, f.guess[i]
			}
		}
		share = float64(best) / float64(n) * 0.7
		if chosen == f.header {
			headerAgrees = true
		}
	}
	r.Type = chosen
	r.Level = levelOf(chosen)
	// Embedded personal data raises the level: any occurrence in free
	// text, ~5% elsewhere.
	for i, t := range allTypes {
		c := f.embedded[i]
		if c == 0 || (chosen != FreeText && c < thr) {
			continue
		}
		if levelOf(t).MoreSensitiveThan(r.Level) {
			r.Level = levelOf(t)
		}
	}
	if headerAgrees {
		r.Confidence = 0.6 + 0.4*share
	} else {
		r.Confidence = 0.3 + 0.6*share
	}
	r.Confidence = math.Round(r.Confidence*100) / 100
	ex := f.example[typeIndex[chosen]]
	if ex == "" {
		ex = f.first
	}
	r.Example = exampleOf(chosen, r.Level, ex)
	r.raw = ex
	switch {
	case headerOnly:
		r.Review, r.Reason = true, "header only"
	case f.seen < minReviewValues:
		r.Review, r.Reason = true, "few values"
	}
	return r
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
