package classify

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the analysis of text values: entities inside text,
// names, companies, addresses, medical terms and institutions.

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
	company := !prose && isCompany(s, lower)
	switch {
	case company || (!prose && isAddress(s, lower)):
		switch {
		case isOrganisation(s, lower):
			v.feat |= featOrg // a bank or an authority: public, not a customer
		case company:
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
	case !prose && isOrganisation(s, lower):
		v.feat |= featOrg
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
