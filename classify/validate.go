package classify

import (
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds the value validators. Each one is exported so callers can
// check single values; all of them are allocation-free on the common path.

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func atoi2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

// validProvince reports whether the two leading digits of s are a PRC
// province-level code (GB/T 2260).
func validProvince(s string) bool {
	if len(s) < 2 || !isDigit(s[0]) || !isDigit(s[1]) {
		return false
	}
	return dict.provinceCodes[atoi2(s)]
}

// validRegion checks a 6-digit administrative division code: a known province
// and not the province itself ("110000").
func validRegion(s string) bool {
	return len(s) == 6 && allDigits(s) && validProvince(s) && s[2:] != "0000"
}

func daysIn(year, month int) int {
	switch month {
	case 1, 3, 5, 7, 8, 10, 12:
		return 31
	case 4, 6, 9, 11:
		return 30
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 0
}

// validYMD reports whether y-m-d is a calendar date.
func validYMD(y, m, d int) bool {
	return m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m)
}

// nowYear is a variable so tests are not at the mercy of the clock.
var nowYear = func() int { return thisYear }

var thisYear = time.Now().Year()

// birthDate checks an 8-digit YYYYMMDD birth date: a real calendar date
// between 1850 and this year.
func birthDate(s string) bool {
	if len(s) != 8 || !allDigits(s) {
		return false
	}
	return birthYMD(atoi2(s[0:2])*100+atoi2(s[2:4]), s[4:])
}

// birthYMD checks year y and "MMDD".
func birthYMD(y int, mmdd string) bool {
	return y >= 1850 && y <= nowYear() && validYMD(y, atoi2(mmdd[0:2]), atoi2(mmdd[2:4]))
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// residentIDCheck returns the GB 11643 (ISO 7064 MOD 11-2) check character
// for the first 17 digits of an 18-character resident ID. ok is false if the
// input is not 17 digits.
func residentIDCheck(first17 string) (c byte, ok bool) {
	if len(first17) != 17 || !allDigits(first17) {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11], true
}

// validResidentID reports whether s is a valid PRC resident identity number:
// either 18 characters (6-digit region code of a known province, a real
// birth date, 3-digit sequence and the MOD 11-2 check character, 'X' or 'x'
// for ten) or a legacy 15-digit number (region code and a real 19YYMMDD
// birth date; it has no check digit).
func validResidentID(s string) bool {
	switch len(s) {
	case 18:
		if !validRegion(s[:6]) || !birthDate(s[6:14]) {
			return false
		}
		c, ok := residentIDCheck(s[:17])
		if !ok {
			return false
		}
		last := s[17]
		if last == 'x' {
			last = 'X'
		}
		return last == c
	case 15:
		return allDigits(s) && validRegion(s[:6]) && birthYMD(1900+atoi2(s[6:8]), s[8:12])
	}
	return false
}

// residentIDShape reports whether s looks like an 18-character resident ID
// (region and birth date valid) regardless of its check character.
func residentIDShape(s string) bool {
	if len(s) != 18 || !allDigits(s[:17]) {
		return false
	}
	if c := s[17]; !isDigit(c) && c != 'X' && c != 'x' {
		return false
	}
	return validRegion(s[:6]) && birthDate(s[6:14])
}

const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

func usccValue(c byte) int {
	if c >= 'a' && c <= 'z' {
		c -= 'a' - 'A'
	}
	return strings.IndexByte(usccChars, c)
}

// usccCheck returns the GB 32100 check character for the first 17
// characters of a unified social credit code.
func usccCheck(first17 string) (c byte, ok bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := usccValue(first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * usccWeights[i]
	}
	return usccChars[(31-sum%31)%31], true
}

// validUSCC reports whether s is a valid GB 32100 unified social credit
// code: 18 characters from the set 0-9 A-Z without I, O, Z, S, V; a
// registration-authority character, a type character, a 6-digit region code
// and the MOD 31 check character. Lower case is accepted.
func validUSCC(s string) bool {
	if len(s) != 18 || !allDigits(s[2:8]) || !validProvince(s[2:4]) {
		return false
	}
	c, ok := usccCheck(s[:17])
	if !ok {
		return false
	}
	v := usccValue(s[17])
	return v >= 0 && usccChars[v] == c
}

// validLuhn reports whether s is a string of at least two digits whose Luhn
// (mod 10) checksum is valid.
func validLuhn(s string) bool {
	if len(s) < 2 || !allDigits(s) {
		return false
	}
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// stripSeparators removes the spaces and dashes people type inside card and
// phone numbers, without allocating when there are none.
func stripSeparators(s string) string {
	if strings.IndexByte(s, ' ') < 0 && strings.IndexByte(s, '-') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ' ' && c != '-' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// trailingZeros counts the zeros at the end of s.
func trailingZeros(s string) int {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '0'; i-- {
		n++
	}
	return n
}

// validBankCard reports whether s is a payment card number: 16 to 19 digits
// (spaces and dashes between groups allowed), a valid Luhn checksum and an
// issuer prefix used by cards in China (UnionPay 62, Visa 4, Mastercard
// 51-55 and 22-27, JCB 35, Discover 60/65 and the domestic 9xx
// debit cards). Numbers ending in six or more zeros, which is how padded
// codes such as tax classification codes look, are rejected.
func validBankCard(s string) bool {
	s = stripSeparators(s)
	if len(s) < 16 || len(s) > 19 || !allDigits(s) || trailingZeros(s) >= 6 {
		return false
	}
	if !cardPrefix(s) {
		return false
	}
	return validLuhn(s)
}

func cardPrefix(s string) bool {
	p := atoi2(s)
	switch {
	case p == 62 || p == 60 || p == 65 || p == 35 || p == 95:
		return len(s) >= 16
	case s[0] == '4':
		return len(s) == 16 || len(s) == 19
	case p >= 51 && p <= 55, p >= 22 && p <= 27:
		return len(s) == 16
	}
	return false
}

// normalizePhone strips separators, parentheses and a +86 / 0086 / 86
// country prefix.
func normalizePhone(s string) (digits string, hadCountry bool) {
	s = strings.TrimSpace(s)
	if hasPhoneSeparator(s) {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if c := s[i]; c != ' ' && c != '-' && c != '(' && c != ')' {
				b.WriteByte(c)
			}
		}
		s = b.String()
	}
	switch {
	case strings.HasPrefix(s, "+86"):
		return s[3:], true
	case strings.HasPrefix(s, "0086"):
		return s[4:], true
	case len(s) == 13 && strings.HasPrefix(s, "86"):
		return s[2:], true
	}
	return s, false
}

func hasPhoneSeparator(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '-', '(', ')':
			return true
		}
	}
	return false
}

// validMobile reports whether s is a PRC mobile number: 11 digits 1[3-9]xxxxxxxxx,
// optionally with a +86 / 0086 / 86 prefix and space or dash separators.
func validMobile(s string) bool {
	d, _ := normalizePhone(s)
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' && allDigits(d)
}

// validLandline reports whether s is a PRC fixed-line number: an area code
// (010, 02x, or 0 followed by three digits 3-9xx) and a 7- or 8-digit local
// number not starting with 0 or 1, written with a dash, space or
// parentheses, or as bare digits; an optional extension follows a dash,
// "转" or "ext".
func validLandline(s string) bool {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "转"); i > 0 {
		if !allDigits(strings.TrimSpace(s[i+len("转"):])) {
			return false
		}
		s = strings.TrimSpace(s[:i])
	} else if strings.IndexByte(s, 'x') > 0 || strings.IndexByte(s, 'X') > 0 {
		i := strings.Index(strings.ToLower(s), "ext")
		if i <= 0 || !allDigits(strings.TrimLeft(strings.TrimSpace(s[i+3:]), ".")) {
			return false
		}
		s = strings.TrimSpace(s[:i])
	}
	// A third dash-separated group is an extension: 010-12345678-123.
	if strings.Count(s, "-") == 2 {
		if i := strings.LastIndexByte(s, '-'); len(s)-i-1 <= 5 && allDigits(s[i+1:]) {
			s = s[:i]
		}
	}
	d, _ := normalizePhone(s)
	if d != "" && d[0] != '0' && len(d) >= 9 && len(d) <= 11 {
		d = "0" + d // +86 10 12345678 drops the trunk zero
	}
	if len(d) < 10 || len(d) > 12 || !allDigits(d) || d[0] != '0' {
		return false
	}
	var local string
	switch {
	case d[1] == '1' && d[2] == '0', d[1] == '2':
		local = d[3:]
	case d[1] >= '3' && d[1] <= '9':
		local = d[4:]
	default:
		return false
	}
	return (len(local) == 7 || len(local) == 8) && local[0] >= '2'
}

// validEmail reports whether s is a plausible e-mail address: one '@', a
// local part of letters, digits and ._%+-, and a domain of at least two
// labels whose last label is two or more letters.
func validEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at > 64 || at != strings.LastIndexByte(s, '@') || len(s) > 254 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !(isAlnum(c) || strings.IndexByte("._%+-", c) >= 0) {
			return false
		}
	}
	if local[0] == '.' || local[len(local)-1] == '.' {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isAlnum(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if isDigit(tld[i]) || tld[i] == '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// validPassport reports whether s is a PRC passport number: E, G, D, S or P
// followed by 8 digits, or E plus a letter (not I or O) and 7 digits.
func validPassport(s string) bool {
	if len(s) != 9 {
		return false
	}
	switch s[0] {
	case 'E':
		if isUpper(s[1]) && s[1] != 'I' && s[1] != 'O' {
			return allDigits(s[2:])
		}
		return allDigits(s[1:])
	case 'G', 'D', 'S', 'P':
		return allDigits(s[1:])
	}
	return false
}

// validTravelPermit reports whether s is the number of a travel permit: the
// mainland permit for Hong Kong and Macau (C or W and 8 digits, or C, a
// letter and 7 digits), the permit for Taiwan (L and 8 digits), or the Home
// Return Permit of Hong Kong and Macau residents (H or M and 8 or 10 digits).
func validTravelPermit(s string) bool {
	switch {
	case len(s) == 9 && (s[0] == 'C' || s[0] == 'W' || s[0] == 'L') && allDigits(s[1:]):
		return true
	case len(s) == 9 && s[0] == 'C' && isUpper(s[1]) && allDigits(s[2:]):
		return true
	case (len(s) == 9 || len(s) == 11) && (s[0] == 'H' || s[0] == 'M') && allDigits(s[1:]):
		return true
	}
	return false
}

// validLicensePlate reports whether s is a PRC licence plate: a province
// abbreviation, an issuing-authority letter, an optional separator (· . -
// or space) and 5 (regular) or 6 (new-energy) letters and digits, without I
// or O; the last character may be 学, 警, 挂, 港, 澳 or 领.
func validLicensePlate(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	if !dict.plateProvince[r] {
		return false
	}
	s = s[size:]
	if s == "" || !isUpper(s[0]) {
		return false
	}
	s = s[1:]
	for _, sep := range []string{"·", "•", ".", "-", " "} {
		if strings.HasPrefix(s, sep) {
			s = s[len(sep):]
			break
		}
	}
	n := 0
	for i, r := range s {
		switch {
		case r < utf8.RuneSelf && (isDigit(byte(r)) || (isUpper(byte(r)) && r != 'I' && r != 'O')):
			n++
		case strings.ContainsRune("学警挂港澳领", r) && i+utf8.RuneLen(r) == len(s):
			n++
		default:
			return false
		}
	}
	return n == 5 || n == 6
}

// validInvoiceNumber reports whether s is a 20-digit fully digitalised (数电)
// invoice number: a two-digit year from 19 on, a province code, and 16 more
// digits.
func validInvoiceNumber(s string) bool {
	return len(s) == 20 && allDigits(s) && atoi2(s) >= 19 && validProvince(s[2:4])
}

// validInvoiceCode reports whether s is a legacy invoice code: 10 digits
// (province code, city, two-digit year, batch and copy) or 12 digits
// (a leading 0 or 1, province code, city, two-digit year and kind).
func validInvoiceCode(s string) bool {
	if !allDigits(s) {
		return false
	}
	switch len(s) {
	case 10:
		return validProvince(s[:2]) && atoi2(s[4:6]) <= 40
	case 12:
		return (s[0] == '0' || s[0] == '1') && validProvince(s[1:3]) && atoi2(s[5:7]) <= 40
	}
	return false
}
