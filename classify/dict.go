package classify

import (
	"bufio"
	"embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

//go:embed data/*.txt
var dataFS embed.FS

// dictionaries holds the parsed data files.
type dictionaries struct {
	provinceCodes [100]bool
	provinceNames []string
	plateProvince map[rune]bool
	nulls         map[string]bool
	// nullFirst marks the bytes a null value may start with: the first
	// bytes of the null spellings in either case, spaces, and every byte
	// of non-ASCII text.
	nullFirst      [256]bool
	headerKeywords []headerKeyword
	headerCompact  map[string]Type // ASCII keyword without separators
	surnames1      map[rune]bool
	surnames2      map[string]bool
	companySuffix  map[rune][]string // CJK suffixes by last rune
	runeFlags      [0x10000]uint8    // flags of BMP runes: see flagAddr, flagMedical
	companyASCII   []string          // lower-case ASCII suffixes
	addrStrong     map[string]bool
	addrWeak       map[string]bool
	addrRunes      map[rune][]addrMarker // CJK markers by first rune, longest first
	medicalCJK     map[rune][]string
	medicalASCII   map[string]bool
	medicalExact   map[string]bool // whole values: blood groups
	orgCJK         map[rune][]string
	orgASCII       []string // lower-case words or phrases
	credPrefixes   []string
	credFirst      [256]bool
}

// Bits of dictionaries.runeFlags.
const (
	flagAddr    = 1 << iota // first rune of an address marker
	flagMedical             // first rune of a medical term
	flagOrg                 // first rune of an organisation word
)

type addrMarker struct {
	word   string
	strong bool
}

type headerKeyword struct {
	units []string
	typ   Type
}

var dict = mustLoadDict()

func mustLoadDict() *dictionaries {
	d, err := loadDict()
	if err != nil {
		// The data files are compiled in; a failure here is a build defect
		// caught by the package tests, not bad input.
		panic(err)
	}
	return d
}

// lines returns the non-comment, non-blank lines of an embedded data file.
func lines(name string) ([]string, error) {
	b, err := dataFS.ReadFile("data/" + name)
	if err != nil {
		return nil, err
	}
	var out []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), " \r")
		if l == "" || strings.HasPrefix(l, "# ") || l == "#" {
			continue
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

func loadDict() (*dictionaries, error) {
	d := &dictionaries{
		plateProvince: map[rune]bool{},
		nulls:         map[string]bool{"": true},
		headerCompact: map[string]Type{},
		surnames1:     map[rune]bool{},
		surnames2:     map[string]bool{},
		addrStrong:    map[string]bool{},
		addrWeak:      map[string]bool{},
		addrRunes:     map[rune][]addrMarker{},
		medicalCJK:    map[rune][]string{},
		medicalASCII:  map[string]bool{},
		medicalExact:  map[string]bool{},
		orgCJK:        map[rune][]string{},
		companySuffix: map[rune][]string{},
	}
	ls, err := lines("provinces.txt")
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		f := strings.Split(l, "\t")
		code, err := strconv.Atoi(f[0])
		if len(f) != 3 || err != nil || code < 10 || code > 99 {
			return nil, fmt.Errorf("provinces.txt: bad line %q", l)
		}
		d.provinceCodes[code] = true
		d.provinceNames = append(d.provinceNames, f[1])
		r, _ := utf8.DecodeRuneInString(f[2])
		d.plateProvince[r] = true
	}
	if ls, err = lines("nulls.txt"); err != nil {
		return nil, err
	}
	for _, l := range ls {
		d.nulls[strings.ToLower(strings.TrimSpace(l))] = true
	}
	for n := range d.nulls {
		if n != "" {
			d.nullFirst[n[0]] = true
			d.nullFirst[strings.ToUpper(n[:1])[0]] = true
		}
	}
	for b := range 256 {
		if b >= utf8.RuneSelf || unicode.IsSpace(rune(b)) {
			d.nullFirst[b] = true
		}
	}
	if ls, err = lines("headers.txt"); err != nil {
		return nil, err
	}
	for _, l := range ls {
		kw, ts, ok := strings.Cut(l, "\t")
		t := Type(ts)
		if !ok || !t.Known() {
			return nil, fmt.Errorf("headers.txt: bad line %q", l)
		}
		d.headerKeywords = append(d.headerKeywords, headerKeyword{units: headerUnits(kw), typ: t})
		if isASCII(kw) {
			d.headerCompact[compact(kw)] = t
		}
	}
	if ls, err = lines("surnames.txt"); err != nil {
		return nil, err
	}
	for _, l := range ls {
		for _, s := range strings.Fields(l) {
			switch runeLen(s) {
			case 1:
				r, _ := utf8.DecodeRuneInString(s)
				d.surnames1[r] = true
			case 2:
				d.surnames2[s] = true
			default:
				return nil, fmt.Errorf("surnames.txt: bad surname %q", s)
			}
		}
	}
	if ls, err = lines("company_suffixes.txt"); err != nil {
		return nil, err
	}
	for _, l := range ls {
		if isASCII(l) {
			d.companyASCII = append(d.companyASCII, strings.ToLower(l))
		} else {
			r, _ := utf8.DecodeLastRuneInString(l)
			d.companySuffix[r] = append(d.companySuffix[r], l)
		}
	}
	if ls, err = lines("address_markers.txt"); err != nil {
		return nil, err
	}
	for _, l := range ls {
		kind, w, ok := strings.Cut(l, "\t")
		switch {
		case ok && kind == "strong":
			d.addrStrong[strings.ToLower(w)] = true
		case ok && kind == "weak":
			d.addrWeak[strings.ToLower(w)] = true
		default:
			return nil, fmt.Errorf("address_markers.txt: bad line %q", l)
		}
		if !isASCII(w) {
			r, _ := utf8.DecodeRuneInString(w)
			d.addrRunes[r] = append(d.addrRunes[r], addrMarker{word: w, strong: kind == "strong"})
			if r < 0x10000 {
				d.runeFlags[r] |= flagAddr
			}
			slices.SortStableFunc(d.addrRunes[r], func(a, b addrMarker) int { return len(b.word) - len(a.word) })
		}
	}
	if ls, err = lines("medical.txt"); err != nil {
		return nil, err
	}
	for _, l := range ls {
		if v, ok := strings.CutPrefix(l, "="); ok {
			d.medicalExact[v] = true
			d.medicalExact[strings.ToLower(v)] = true
			continue
		}
		if isASCII(l) {
			d.medicalASCII[strings.ToLower(l)] = true
			continue
		}
		r, _ := utf8.DecodeRuneInString(l)
		d.medicalCJK[r] = append(d.medicalCJK[r], l)
		if r < 0x10000 {
			d.runeFlags[r] |= flagMedical
		}
	}
	if ls, err = lines("organisations.txt"); err != nil {
		return nil, err
	}
	for _, l := range ls {
		if isASCII(l) {
			d.orgASCII = append(d.orgASCII, strings.ToLower(l))
			continue
		}
		r, _ := utf8.DecodeRuneInString(l)
		d.orgCJK[r] = append(d.orgCJK[r], l)
		if r < 0x10000 {
			d.runeFlags[r] |= flagOrg
		}
	}
	if d.credPrefixes, err = lines("credential_prefixes.txt"); err != nil {
		return nil, err
	}
	for _, p := range d.credPrefixes {
		d.credFirst[p[0]] = true
	}
	return d, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// compact lower-cases s and removes everything but letters and digits.
func compact(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// headerUnits splits a header name into matching units: each CJK (non-ASCII
// letter) rune is a unit, each ASCII alphanumeric run is a unit, split at
// camelCase boundaries; everything is lower-cased.
func headerUnits(s string) []string {
	var units []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			units = append(units, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	var prev rune
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if len(cur) > 0 && unicode.IsUpper(r) && unicode.IsLower(prev) {
				flush()
			}
			cur = append(cur, r)
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			flush()
			units = append(units, string(r))
		default:
			flush()
		}
		prev = r
	}
	flush()
	return units
}

// HeaderType returns the type suggested by a field name alone, or "" if the
// name says nothing. For a flattened JSON name ("contact.mobile") the last
// segment is tried first, then the whole name.
func headerType(name string) Type {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && i < len(name)-1 {
		if t := headerTypeOne(name[i+1:]); t != "" {
			return t
		}
	}
	return headerTypeOne(name)
}

func headerTypeOne(name string) Type {
	if t, ok := dict.headerCompact[compact(name)]; ok {
		return t
	}
	units := headerUnits(name)
	best, bestEnd, bestLen := Type(""), -1, 0
	for _, kw := range dict.headerKeywords {
		n := len(kw.units)
		if n == 0 {
			continue
		}
		for end := len(units); end >= n; end-- {
			if equalUnits(units[end-n:end], kw.units) {
				if end > bestEnd || (end == bestEnd && n > bestLen) {
					best, bestEnd, bestLen = kw.typ, end, n
				}
				break
			}
		}
	}
	return best
}

func equalUnits(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// isNull reports whether v is one of the spellings of "no value" (the empty
// string, null, NULL, \N, -, 无, N/A, ...); such values are ignored when
// profiling.
func isNull(v string) bool {
	if v == "" {
		return true
	}
	if !dict.nullFirst[v[0]] {
		// Neither a null spelling nor a space starts so (digits, most
		// letters and signs).
		return false
	}
	if len(v) > 6 {
		// Most values are longer than any null spelling and do not start
		// or end with a space: they are not null, without trimming
		// (which goes rune by rune through non-ASCII text).
		first, _ := utf8.DecodeRuneInString(v)
		last, _ := utf8.DecodeLastRuneInString(v)
		if !unicode.IsSpace(first) && !unicode.IsSpace(last) {
			return false
		}
	}
	return isNullTrimmed(strings.TrimSpace(v))
}

// isNullTrimmed is isNull for a value without surrounding spaces.
func isNullTrimmed(v string) bool {
	if len(v) > 6 {
		return false
	}
	if v == "" {
		return true
	}
	if isASCII(v) {
		return dict.nulls[strings.ToLower(v)]
	}
	return dict.nulls[v]
}
