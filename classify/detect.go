package classify

import (
	"strings"
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
