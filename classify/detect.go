package classify

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// typeSet is a bit set over allTypes.
type typeSet uint32

func bit(t Type) typeSet { return 1 << uint(typeIndex[t]) }

func (s typeSet) has(t Type) bool { return s&bit(t) != 0 }

const numTypes = 21

// valueInfo is what one value says about its field.
type valueInfo struct {
	strong   typeSet // validated: the value is certainly of these types
	weak     typeSet // compatible: the value could be of these types (⊇ strong)
	guess    Type    // best guess from the value alone when nothing is strong
	embedded Type    // most sensitive personal data found inside a longer value
	card     bool    // 16-19 digits: a bank-card candidate (for the Luhn gate)
	feat     feature // column-level evidence: see feature
	num      float64 // the value of a plain number (featInt, featDec2, featDecN)
}

// feature is evidence that counts only when a whole column shows it:
// periods, plain numbers, prose, institutions.
type feature uint8

const (
	featPeriod  feature = 1 << iota // a compact date, period or epoch time (20240315, 202403, 1710482921)
	featInt                         // a plain integer
	featDec2                        // a plain decimal with two decimals (money-like)
	featDecN                        // a plain decimal with one, three or four decimals (measure-like)
	featPercent                     // a percentage (13%)
	featText                        // text that is not mainly an entity
	featOrg                         // names a bank or an authority
)

func (v *valueInfo) setStrong(b typeSet) {
	v.strong |= b
	v.weak |= b
}

func (v *valueInfo) setWeak(b typeSet) { v.weak |= b }

// Bits of each type, computed once.
var (
	bCNResidentID  = bit(CNResidentID)
	bBankCard      = bit(BankCard)
	bPassport      = bit(Passport)
	bTravelPermit  = bit(TravelPermit)
	bMedical       = bit(Medical)
	bCredential    = bit(Credential)
	bCNUSCC        = bit(CNUSCC)
	bAmount        = bit(Amount)
	bAddress       = bit(Address)
	bPersonName    = bit(PersonName)
	bMobilePhone   = bit(MobilePhone)
	bLandline      = bit(Landline)
	bEmail         = bit(Email)
	bCompanyName   = bit(CompanyName)
	bLicensePlate  = bit(LicensePlate)
	bInvoiceNumber = bit(InvoiceNumber)
	bInvoiceCode   = bit(InvoiceCode)
	bDate          = bit(Date)
	bIdentifier    = bit(Identifier)
	bFreeText      = bit(FreeText)
	bOther         = bit(Other)
)

// Weak types every non-null value is compatible with: a credential or a
// piece of free text can hold anything.
var anyValue = bCredential | bFreeText | bOther

// detectValue classifies a single value on its own, without header evidence:
// it returns the validated type if there is one, else the best guess
// (Identifier, FreeText, Other, ...). Null spellings give Other.
func detectValue(v string) Type {
	if isNull(v) {
		return Other
	}
	info := analyze(clip(strings.TrimSpace(v)))
	best := Type("")
	for _, t := range allTypes {
		if info.strong.has(t) && (best == "" || levelOf(t).MoreSensitiveThan(levelOf(best))) {
			best = t
		}
	}
	if best == "" {
		best = info.guess
	}
	return best
}

// maxAnalyzed bounds the bytes of one value that are analyzed, so that the
// time and memory spent on a value are bounded whatever its length: a value
// longer than this is judged by its first 4 KiB (the prose of a long remark,
// the header of a key or a blob).
const maxAnalyzed = 4 << 10

// clip cuts s to at most maxAnalyzed bytes, at a character boundary.
func clip(s string) string {
	if len(s) <= maxAnalyzed {
		return s
	}
	i := maxAnalyzed
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// analyze inspects one trimmed, non-null value of at most maxAnalyzed
// bytes.
func analyze(s string) valueInfo {
	var v valueInfo
	v.weak = anyValue
	v.guess = Other
	if s == "" {
		return v
	}
	if c := s[0] | 0x20; (c == 'a' || c == 'b' || c == 'o') && len(s) <= 12 && dict.medicalExact[s] {
		v.setStrong(bMedical) // a blood group
		return v
	}
	var digits, letters, spaces, seps, nonASCII, other int
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			letters++
		case c == ' ':
			spaces++
		case c == '-' || c == '+' || c == '(' || c == ')':
			seps++
		case c >= utf8.RuneSelf:
			nonASCII++
		default:
			other++
		}
	}
	switch {
	case digits == len(s):
		analyzeDigits(s, &v)
		return v
	case nonASCII == 0 && letters == 0 && other == 0 && digits >= 7:
		// Digits with spaces, dashes, parentheses or a plus: phones, grouped
		// card numbers, dates.
		switch {
		case validMobile(s):
			v.setStrong(bMobilePhone)
		case validLandline(s):
			v.setStrong(bLandline)
		case validBankCard(s):
			v.setStrong(bBankCard)
			v.card = true
		case validDate(s):
			v.setStrong(bDate)
		default:
			if d := stripSeparators(s); allDigits(d) && len(d) >= 16 && len(d) <= 19 {
				v.card = true
				v.setWeak(bBankCard)
			}
			v.setWeak(bIdentifier | bLandline)
			v.guess = Identifier
		}
		return v
	}
	if digits >= 4 && digits <= 8 && len(s) <= 20 && isSeparatedPeriod(s) {
		v.setStrong(bDate)
		return v
	}
	if nonASCII == 0 && digits > 0 && letters <= 3 {
		if a, ok := scanAmount(s); ok {
			switch {
			case a.grouped || a.currency:
				v.setStrong(bAmount)
			case a.decimals > 0:
				// A plain decimal is money or a measure: the column decides.
				v.setWeak(bAmount)
				v.num = float64(a.fen) / 100
				v.feat |= featDecN
				if a.decimals == 2 {
					v.feat = featDec2
				}
			default:
				v.setWeak(bAmount)
				v.guess = Identifier
			}
			return v
		}
		if isPercent(s) {
			v.feat |= featPercent
			return v
		}
		if validDate(s) {
			v.setStrong(bDate)
			return v
		}
		if validLandline(s) {
			v.setStrong(bLandline)
			return v
		}
	}
	if hasCredentialPrefix(s) {
		v.setStrong(bCredential)
		return v
	}
	if nonASCII == 0 && spaces == 0 && strings.IndexByte(s, '@') > 0 && validEmail(s) {
		v.setStrong(bEmail)
		return v
	}
	if nonASCII == 0 && spaces == 0 {
		analyzeCode(s, digits, letters, &v)
		return v
	}
	if nonASCII > 0 {
		if validLicensePlate(s) {
			v.setStrong(bLicensePlate)
			return v
		}
		if digits > 0 {
			if validDate(s) {
				v.setStrong(bDate)
				return v
			}
			if a, ok := scanAmount(s); ok {
				_ = a
				v.setStrong(bAmount)
				return v
			}
		} else if isCapitalAmount(s) {
			v.setStrong(bAmount)
			return v
		}
	}
	analyzeText(s, digits, &v)
	return v
}

// analyzeDigits handles values made of digits only.
func analyzeDigits(s string, v *valueInfo) {
	n := len(s)
	v.guess = Identifier
	v.setWeak(bIdentifier)
	if n <= 15 && (n == 1 || s[0] != '0') {
		v.feat |= featInt
		v.num = float64(atoiN(s))
	}
	if isPeriod(s) {
		v.feat |= featPeriod
		v.setWeak(bDate)
	}
	if n <= 12 && (n == 1 || s[0] != '0') {
		v.setWeak(bAmount) // an amount in fen, a quantity
	}
	if n >= 8 && n <= 30 && trailingZeros(s) < 6 {
		v.setWeak(bBankCard) // corporate accounts have no check digit
	}
	switch n {
	case 18, 15:
		if validResidentID(s) {
			v.setStrong(bCNResidentID)
		} else if n == 18 && residentIDShape(s) {
			v.setWeak(bCNResidentID)
		}
		if n == 15 {
			v.setWeak(bCNUSCC) // legacy 15-digit taxpayer number
		}
	case 11:
		if validMobile(s) {
			v.setStrong(bMobilePhone)
		} else if validLandline(s) {
			v.setWeak(bLandline)
		}
	case 10, 12:
		if validInvoiceCode(s) {
			v.setWeak(bInvoiceCode)
		}
		if validLandline(s) {
			v.setWeak(bLandline)
		}
	case 8:
		v.setWeak(bInvoiceNumber) // legacy 8-digit invoice numbers
		if compact, ok := scanDate(s); ok && compact {
			v.setWeak(bDate)
			v.feat |= featPeriod
		}
	case 20:
		if validInvoiceNumber(s) && atoi2(s) <= nowYear()%100+1 {
			v.setStrong(bInvoiceNumber)
		}
	}
	if n >= 16 && n <= 19 {
		v.card = true
		if validBankCard(s) {
			v.setStrong(bBankCard)
		}
	}
}

// analyzeCode handles ASCII letters and digits without spaces or
// punctuation: IDs ending in X, credit codes, passports, permits, codes.
func analyzeCode(s string, digits, letters int, v *valueInfo) {
	v.guess = Other
	if digits > 0 {
		v.guess = Identifier
		v.setWeak(bIdentifier)
	}
	switch {
	case len(s) == 18 && validResidentID(s):
		v.setStrong(bCNResidentID)
	case len(s) == 18 && residentIDShape(s):
		v.setWeak(bCNResidentID)
	case len(s) == 18 && validUSCC(s):
		v.setStrong(bCNUSCC)
	case validPassport(s):
		v.setStrong(bPassport)
	case validTravelPermit(s):
		v.setStrong(bTravelPermit)
	}
	if len(s) >= 15 && len(s) <= 20 && digits >= 6 {
		v.setWeak(bCNUSCC)
	}
	if len(s) >= 7 && len(s) <= 11 && letters <= 2 && isUpper(s[0]) && digits >= 6 {
		v.setWeak(bPassport | bTravelPermit)
	}
	if letters > 0 && digits == 0 && len(s) <= 24 && letters == len(s) {
		// A single word: a name in Latin letters, a status, a code word,
		// an allergen, a bank.
		v.guess = Other
		v.setWeak(bMedical)
		if isOrganisation(s, asciiLower(s)) {
			v.feat |= featOrg
			return
		}
		if hasMedicalTerm(s, asciiLower(s)) {
			v.setStrong(bMedical)
			return
		}
		v.setWeak(bPersonName | bCompanyName)
	}
}

// hasSentencePunct reports whether s holds punctuation of prose.
func hasSentencePunct(s string) bool {
	for _, r := range s {
		switch r {
		case '，', '。', '！', '？', '；', '、', ',', '.', '!', '?', ';', ':', '：', '…':
			return true
		}
	}
	return false
}

// analyzeText handles everything else: Chinese or English text, possibly
// with numbers, e-mail addresses and phone numbers embedded.
func analyzeText(s string, digits int, v *valueInfo) {
	v.guess = Other
	v.setWeak(bAddress | bCompanyName | bMedical)
	lower := asciiLower(s)
	if digits >= 8 {
		// A long digit run beside a bank's name is that bank's account
		// ("中国银行北京分行 0200004509200012345"); any long run fits an
		// account header.
		if run := longestDigitRun(s); run >= 8 && run <= 30 {
			v.setWeak(bBankCard)
			if run >= 10 && run != 11 && isOrganisation(s, lower) {
				v.setStrong(bBankCard)
				return
			}
		}
	}
	// Entities inside the text. The rest of the text is judged on its own;
	// the value is the entity when the rest is a mere label ("电话：").
	if digits >= 8 || strings.IndexByte(s, '@') >= 0 {
		var rest strings.Builder
		last, entRunes := 0, 0
		forEachEntity(s, func(t Type, lo, hi int) {
			raise(v, t)
			entRunes += hi - lo
			rest.WriteString(s[last:lo])
			rest.WriteByte(' ')
			last = hi
		})
		if entRunes > 0 {
			rest.WriteString(s[last:])
			s = strings.TrimSpace(rest.String())
			lower = asciiLower(s)
			if 2*labelRunes(s) <= entRunes {
				v.setStrong(bit(v.embedded))
				return
			}
		}
	}
	v.feat |= featText
	runes := runeLen(s)
	prose := runes >= 40 || (runes >= 8 && hasSentencePunct(s))
	switch {
	case !prose && (isCompany(s, lower) || isAddress(s, lower)):
		switch {
		case isOrganisation(s, lower):
			v.feat |= featOrg // a bank or an authority: public, not a customer
		case isCompany(s, lower):
			v.setStrong(bCompanyName)
		default:
			v.setStrong(bAddress)
		}
	case hasMedicalTerm(s, lower):
		if prose {
			v.setStrong(bFreeText)
			raise(v, Medical)
		} else {
			v.setStrong(bMedical)
		}
	case !prose && isChineseName(s):
		v.setStrong(bPersonName)
	case !prose && isLatinName(s):
		v.setWeak(bPersonName)
		v.guess = PersonName
	case prose:
		v.setStrong(bFreeText)
		if isAddress(s, lower) {
			raise(v, Address)
		}
	case runes <= 12 && digits >= 3 && strings.IndexByte(s, ' ') < 0 && hanCount(s) <= 2:
		v.guess = Identifier // 记-0012, 第12号
		v.setWeak(bIdentifier)
	default:
		if runes >= 2 && runes <= 4 && allHan(s) {
			v.setWeak(bPersonName)
		}
		if runes >= 6 {
			v.guess = FreeText
		}
	}
	if v.embedded != "" && v.strong == 0 {
		v.guess = FreeText
	}
}

// longestDigitRun returns the length of the longest run of ASCII digits.
func longestDigitRun(s string) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

func hanCount(s string) int {
	n := 0
	for _, r := range s {
		if r >= utf8.RuneSelf && unicode.Is(unicode.Han, r) {
			n++
		}
	}
	return n
}

// isOrganisation reports whether s names a bank or an authority (a word of
// classify/data/organisations.txt).
func isOrganisation(s, lower string) bool {
	for i, r := range s {
		if r < utf8.RuneSelf || (r < 0x10000 && dict.runeFlags[r]&flagOrg == 0) {
			continue
		}
		for _, w := range dict.orgCJK[r] {
			if strings.HasPrefix(s[i:], w) {
				return true
			}
		}
	}
	if !hasASCIILetter(lower) {
		return false
	}
	for _, w := range dict.orgASCII {
		for off := 0; ; {
			j := strings.Index(lower[off:], w)
			if j < 0 {
				break
			}
			j += off
			end := j + len(w)
			if (j == 0 || !isAlnum(lower[j-1])) && (end == len(lower) || !isAlnum(lower[end])) {
				return true
			}
			off = j + 1
		}
	}
	return false
}

func raise(v *valueInfo, t Type) {
	if v.embedded == "" || levelOf(t).MoreSensitiveThan(levelOf(v.embedded)) {
		v.embedded = t
	}
}

// labelRunes counts the letters and digits of s: the text around an entity
// without spaces and punctuation.
func labelRunes(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

func allHan(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) && r != '·' {
			return false
		}
	}
	return true
}

// isChineseName: 2-4 Han characters starting with a known surname, or a
// compound surname and 1-2 more.
func isChineseName(s string) bool {
	n := runeLen(s)
	if n < 2 || n > 4 || !allHan(s) {
		return false
	}
	r, size := utf8.DecodeRuneInString(s)
	if n >= 3 {
		if dict.surnames2[s[:size+utf8.RuneLen(firstRune(s[size:]))]] {
			return true
		}
	}
	return n <= 3 && dict.surnames1[r]
}

func firstRune(s string) rune { r, _ := utf8.DecodeRuneInString(s); return r }

// isLatinName: two or three capitalised words of letters ("Zhang San",
// "Mary Ann Smith").
func isLatinName(s string) bool {
	if s == "" || !isUpper(s[0]) || strings.IndexByte(s, ' ') < 0 {
		return false
	}
	words := strings.Fields(s)
	if len(words) < 2 || len(words) > 3 || len(s) > 40 {
		return false
	}
	for _, w := range words {
		if !isUpper(w[0]) {
			return false
		}
		for i := 1; i < len(w); i++ {
			if c := w[i]; !(c >= 'a' && c <= 'z') && c != '\'' && c != '-' {
				return false
			}
		}
	}
	return true
}

func isCompany(s, lower string) bool {
	last, _ := utf8.DecodeLastRuneInString(s)
	for _, suf := range dict.companySuffix[last] {
		if strings.HasSuffix(s, suf) && len(s) > len(suf) {
			return true
		}
	}
	if strings.IndexByte(s, ' ') < 0 || !hasASCIILetter(lower) {
		return false
	}
	trimmed := strings.TrimRight(lower, " .,")
	for _, suf := range dict.companyASCII {
		suf = strings.TrimRight(suf, " .,")
		if strings.HasSuffix(trimmed, suf) && len(trimmed) > len(suf) {
			if c := trimmed[len(trimmed)-len(suf)-1]; c == ' ' || c == ',' || c >= utf8.RuneSelf {
				return true
			}
		}
	}
	return false
}

// isAddress: a street-level marker and a region-level one, or two
// street-level markers one of which is numbered ("文三路1号"), or an English
// "number + street word" address.
func isAddress(s, lower string) bool {
	strong, weak, numbered := 0, 0, 0
	prevDigit := false
	for i, r := range s {
		if r < utf8.RuneSelf {
			prevDigit = r >= '0' && r <= '9'
			continue
		}
		var markers []addrMarker
		if r >= 0x10000 || dict.runeFlags[r]&flagAddr != 0 {
			markers = dict.addrRunes[r]
		}
		if markers == nil {
			switch r {
			case '一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '百':
				prevDigit = true
			default:
				prevDigit = false
			}
			continue
		}
		rest := s[i:]
		for _, m := range markers {
			if strings.HasPrefix(rest, m.word) {
				if m.strong {
					strong++
					if prevDigit {
						numbered++
					}
				} else {
					weak++
				}
				break
			}
		}
		prevDigit = false
	}
	if strong > 0 && (weak > 0 || (numbered > 0 && strong >= 2)) {
		return true
	}
	// English: "88 Jianguo Road", "Room 5, 12 Nanjing Rd".
	if strings.IndexByte(lower, ' ') < 0 {
		return false
	}
	words := strings.FieldsFunc(lower, func(r rune) bool { return r == ' ' || r == ',' || r == '.' })
	hasNum := false
	for _, w := range words {
		if w[0] >= '0' && w[0] <= '9' {
			hasNum = true
		}
		if dict.addrStrong[w] && hasNum {
			return true
		}
	}
	return false
}

func hasMedicalTerm(s, lower string) bool {
	for i, r := range s {
		if r < utf8.RuneSelf {
			continue
		}
		if r < 0x10000 && dict.runeFlags[r]&flagMedical == 0 {
			continue
		}
		for _, term := range dict.medicalCJK[r] {
			if strings.HasPrefix(s[i:], term) {
				return true
			}
		}
	}
	if len(dict.medicalASCII) == 0 {
		return false
	}
	start := -1
	for i := 0; i <= len(lower); i++ {
		isWord := i < len(lower) && (lower[i] >= 'a' && lower[i] <= 'z' || lower[i] >= '0' && lower[i] <= '9' || lower[i] == '-')
		if isWord && start < 0 {
			start = i
		} else if !isWord && start >= 0 {
			if dict.medicalASCII[lower[start:i]] {
				return true
			}
			start = -1
		}
	}
	return false
}

func hasCredentialPrefix(s string) bool {
	if len(s) < 8 || !dict.credFirst[s[0]] {
		return false
	}
	for _, p := range dict.credPrefixes {
		if strings.HasPrefix(s, p) {
			if p == "AKIA" {
				return len(s) == 20 && isASCII(s)
			}
			return true
		}
	}
	return false
}

// forEachEntity calls fn for each entity found in s, in order, with its
// type and byte range; the ranges do not overlap.
func forEachEntity(s string, fn func(t Type, lo, hi int)) {
	i, done := 0, 0 // done: end of the last entity reported
	for i < len(s) {
		c := s[i]
		if c == '@' {
			lo, hi := i, i+1
			for lo > 0 && emailChar(s[lo-1]) {
				lo--
			}
			for hi < len(s) && emailChar(s[hi]) {
				hi++
			}
			for hi > i+1 && s[hi-1] == '.' {
				hi--
			}
			lo = max(lo, done) // not back into the entity before
			if lo < i && validEmail(s[lo:hi]) {
				fn(Email, lo, hi)
				done = hi
			}
			i = hi
			continue
		}
		if !isDigit(c) || (i > 0 && isDigit(s[i-1])) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		run := s[i:j]
		lo, end := i, j
		if len(run) == 17 && j < len(s) && (s[j] == 'X' || s[j] == 'x') {
			run, end = s[i:j+1], j+1
		}
		var t Type
		switch {
		case (len(run) == 18 || len(run) == 15) && validResidentID(run):
			t = CNResidentID
		case len(run) >= 16 && len(run) <= 19 && validBankCard(run):
			t = BankCard
		case len(run) == 11 && validMobile(run):
			t = MobilePhone
		case len(run) == 8 && i > 0 && strings.IndexByte("EGDSPCWLHM", s[i-1]) >= 0 && (i < 2 || !isAlnum(s[i-2])):
			if validPassport(s[i-1 : j]) {
				t, lo = Passport, i-1
			} else if validTravelPermit(s[i-1 : j]) {
				t, lo = TravelPermit, i-1
			}
		case (len(run) == 3 || len(run) == 4) && run[0] == '0' && j < len(s) && s[j] == '-':
			k := j + 1
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			if validLandline(s[i:k]) {
				t, end = Landline, k
			}
		}
		if t != "" && lo >= done {
			fn(t, lo, end)
			done = end
		}
		i = end
	}
}

func emailChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

// asciiLower lower-cases ASCII letters only, without allocating when there
// are none.
func asciiLower(s string) string {
	i := 0
	for i < len(s) && !isUpper(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if isUpper(b[i]) {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

func hasASCIILetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}
