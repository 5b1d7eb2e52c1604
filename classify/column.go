package classify

import (
	"math"
	"math/bits"
)

// columnStats is the evidence only a whole column gives: how many values
// show each feature, the range and order of its numbers, the lengths of its
// integers, how long its values are.
type columnStats struct {
	feats   [8]int // values showing each feature bit
	nums    int    // plain numbers
	minNum  float64
	maxNum  float64
	prev    float64
	incr    int    // numbers greater than the number before
	intLens uint32 // bit i: an integer of i+1 digits was seen
	bytes   int    // total length of the values
	long    int    // values too long to cache
}

func (c *columnStats) add(info valueInfo, s string) {
	for b := info.feat; b != 0; b &= b - 1 {
		c.feats[bits.TrailingZeros8(uint8(b))]++
	}
	c.bytes += len(s)
	if len(s) > maxCached {
		c.long++
	}
	if info.feat&(featInt|featDec2|featDecN) == 0 {
		return
	}
	x := info.num
	if c.nums == 0 {
		c.minNum, c.maxNum = x, x
	} else {
		c.minNum, c.maxNum = min(c.minNum, x), max(c.maxNum, x)
		if x > c.prev {
			c.incr++
		}
	}
	c.prev = x
	c.nums++
	if info.feat&featInt != 0 && len(s) <= 32 {
		c.intLens |= 1 << (len(s) - 1)
	}
}

func (c *columnStats) count(f feature) int { return c.feats[bits.TrailingZeros8(uint8(f))] }

// distinct returns the number of distinct values seen, or -1 when there are
// too many to count (the cache was dropped or filled, or values were too
// long to cache).
func (f *fieldStats) distinct() int {
	if f.cache == nil || f.col.long > 0 || len(f.cache) >= cacheEntries {
		return -1
	}
	return len(f.cache)
}

// categorical reports whether the column repeats a few short values:
// statuses, departments, item and account names, banks, authorities.
func (f *fieldStats) categorical() bool {
	d := f.distinct()
	n := f.examined
	return d >= 0 && n >= 8 && d <= max(2, min(40, n/4)) && f.col.bytes <= 72*n
}

// numbers says what a column of plain numbers holds: money (most decimals
// have two places) or a measure (rates, quantities, hours, counters, sizes).
func (f *fieldStats) numbers() (money, measure bool) {
	c := &f.col
	n := f.examined
	if 10*c.nums < 9*n {
		return false, false
	}
	dec2, decN := c.count(featDec2), c.count(featDecN)
	dec := dec2 + decN
	switch {
	case dec > 0 && c.minNum >= 0 && c.maxNum <= 1:
		return false, true // rates: 0.13, 0.06
	case 2*dec >= c.nums && 5*dec2 >= 4*dec:
		return true, false
	case dec > 0:
		return false, true // 21.5 days, 152.5 hours, 1.5 times
	}
	// Integers: a counter, a small or repeated quantity, or numbers of many
	// sizes are measures; integers of one or two lengths are identifiers.
	switch {
	case c.maxNum < 1000:
		return false, true
	case 10*c.incr >= 9*(c.nums-1) && c.maxNum-c.minNum <= float64(4*c.nums):
		return false, true
	case f.categorical():
		return false, true
	case bits.OnesCount32(c.intLens) >= 3:
		return false, true
	}
	return false, false
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

// decision is the rule a field's type came from, for its confidence.
type decision int

const (
	byValues       decision = iota // validated sensitive values
	byHeader                       // the header, the values fitting it
	byPublicValues                 // validated public values (dates, invoice numbers, prose)
	byColumn                       // the column's shape: measures, categories, institutions
	byGuess                        // the most common guess
)

func (f *fieldStats) result() FieldResult {
	r := FieldResult{Name: f.name, Header: f.header, Count: f.seen, Nulls: f.nulls, Sampled: f.examined}
	n := f.examined
	if n == 0 {
		r.Type = Other
		if f.header != "" {
			r.Type = f.header
		}
		r.Level = levelOf(r.Type)
		r.Confidence = 0.3
		r.Review, r.Reason = true, "no values"
		return r
	}
	c := &f.col
	thr := max(1, int(math.Ceil(0.05*float64(n))))
	strong := f.strong
	money, measure := f.numbers()
	if money {
		strong[typeIndex[Amount]] += c.count(featDec2)
	}
	if 10*c.nums >= 9*n && bits.OnesCount32(c.intLens) >= 3 && 2*strong[typeIndex[MobilePhone]] < n {
		strong[typeIndex[MobilePhone]] = 0 // 11-digit sizes among numbers of every length
	}
	if periods := c.count(featPeriod); 10*periods >= 9*n {
		strong[typeIndex[Date]] = max(strong[typeIndex[Date]], periods)
	}
	// Names are recognised by dictionaries, not check digits: a few
	// matches in a column of departments or items are not a name column.
	nameThr := max(thr, int(math.Ceil(0.3*float64(n))))
	if f.categorical() {
		nameThr = int(math.Ceil(0.5 * float64(n)))
	}

	chosen, rule, support := Type(""), byGuess, 0
	// 1. Validated sensitive content present in at least ~5% of the values:
	//    the most sensitive wins, the header breaks ties.
	for i, t := range allTypes {
		need := thr
		if t == PersonName || t == CompanyName {
			need = nameThr
		}
		if levelOf(t) == Public || strong[i] < need {
			continue
		}
		if t == BankCard && 2*strong[i] < f.cards && f.header != BankCard {
			continue // random 16-19 digit serials pass Luhn one time in ten
		}
		if chosen == "" || levelOf(t).MoreSensitiveThan(levelOf(chosen)) ||
			(levelOf(t) == levelOf(chosen) && (t == f.header || (chosen != f.header && strong[i] > strong[typeIndex[chosen]]))) {
			chosen = t
		}
	}
	if chosen != "" {
		rule, support = byValues, strong[typeIndex[chosen]]
		// Contact details inside notes: the field is free text whose level
		// they raise, not a phone column.
		if (chosen == MobilePhone || chosen == Landline || chosen == Email) && 2*support < n && 10*c.count(featText) >= 3*n {
			chosen, support = FreeText, c.count(featText)
		}
	}
	// 2. The header, if the values fit it (a "remark" header over a few
	//    repeated labels is not prose).
	if chosen == "" && f.header != "" && f.header != Other && f.compatible(f.header) && !(f.header == FreeText && f.filledLabels()) {
		chosen, rule, support = f.header, byHeader, f.weak[typeIndex[f.header]]
	}
	// 3. Validated public content (invoice numbers, dates, prose), unless
	//    the prose is a handful of repeated labels.
	if chosen == "" {
		best := 0
		for i, t := range allTypes {
			if levelOf(t) == Public && strong[i] >= thr && strong[i] > best && !(t == FreeText && f.filledLabels()) {
				chosen, best = t, strong[i]
			}
		}
		if chosen != "" {
			rule, support = byPublicValues, best
		}
	}
	// 4. The column's shape: measures, percentages, institutions, repeated
	//    labels are public "other".
	if chosen == "" {
		switch {
		case measure:
			chosen, support = Other, c.nums
		case 10*c.count(featPercent) >= 9*n:
			chosen, support = Other, c.count(featPercent)
		case 2*c.count(featOrg) >= n:
			chosen, support = Other, c.count(featOrg)
		case f.labels() && f.guess[typeIndex[Identifier]] < n/2:
			chosen, support = Other, n
		}
		if chosen != "" {
			rule = byColumn
		}
	}
	// 5. The most common guess.
	if chosen == "" {
		for i, t := range allTypes {
			if f.guess[i] > support {
				chosen, support = t, f.guess[i]
			}
		}
		rule = byGuess
	}
	r.Type = chosen
	r.Level = levelOf(chosen)
	// Embedded personal data raises the level: any occurrence in free
	// text, ~5% elsewhere.
	for i, t := range allTypes {
		e := f.embedded[i]
		if e == 0 || (chosen != FreeText && e < thr) {
			continue
		}
		if levelOf(t).MoreSensitiveThan(r.Level) {
			r.Level = levelOf(t)
		}
	}
	r.Confidence = confidence(rule, float64(support)/float64(n), chosen == f.header, n)
	ex := f.example[typeIndex[chosen]]
	if ex == "" {
		ex = f.first
	}
	r.Example = exampleOf(chosen, r.Level, ex)
	r.raw = ex
	switch {
	case rule == byHeader && f.strong[typeIndex[chosen]] == 0:
		r.Review, r.Reason = true, "header only"
	case f.seen < minReviewValues:
		r.Review, r.Reason = true, "few values"
	}
	return r
}

// filledLabels reports whether every row holds one of a few labels: a
// summary column of categories, where remarks, being optional, are mostly
// empty and vary.
func (f *fieldStats) filledLabels() bool {
	return 10*f.nulls < f.seen+f.nulls && f.labels()
}

// labels reports whether the column repeats a few short labels with no
// personal data inside: categories, not prose.
func (f *fieldStats) labels() bool {
	for _, e := range f.embedded {
		if e > 0 {
			return false
		}
	}
	return f.categorical()
}

// confidence estimates the probability that a decision is right from the
// rule it came from, the share of values supporting it, whether the header
// agrees and how many values were seen. The figures per rule were measured
// on the tuning evaluation set (TestEvalAccuracy reports the calibration
// error on both sets).
func confidence(rule decision, share float64, headerAgrees bool, n int) float64 {
	share = min(max(share, 0), 1)
	var c float64
	switch rule {
	case byValues:
		c = 0.75 + 0.25*share
	case byHeader:
		c = 0.7 + 0.2*share
	case byPublicValues:
		c = 0.7 + 0.25*share
	case byColumn:
		c = 0.75 + 0.15*share
	default:
		c = 0.3 + 0.4*share
	}
	if headerAgrees && rule != byHeader {
		c = min(1, c+0.1)
	}
	if n < minReviewValues {
		c *= 0.6 + 0.4*float64(n)/minReviewValues // few values: less evidence
	}
	return math.Round(c*100) / 100
}
