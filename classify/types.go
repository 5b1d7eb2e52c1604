package classify

import "fmt"

// Type names what a field holds. The set of types is a public contract: the
// names appear in policies, in JSON output and in stored metadata.
type Type string

// The vocabulary. Level 1 types first, public types last.
const (
	// CNResidentID is a PRC resident identity card number (GB 11643, 18 or
	// legacy 15 characters).
	CNResidentID Type = "cn_resident_id"
	// BankCard is a bank card number or a corporate bank account number.
	BankCard Type = "bank_card"
	// Passport is a passport number.
	Passport Type = "passport"
	// TravelPermit is a Hong Kong/Macau/Taiwan travel permit number.
	TravelPermit Type = "travel_permit"
	// Medical is health information: diagnoses, conditions, treatments.
	Medical Type = "medical"
	// Credential is a password, PIN, secret, key or password hash.
	Credential Type = "credential"

	// CNUSCC is a unified social credit code (GB 32100) or taxpayer ID.
	CNUSCC Type = "cn_uscc"
	// Amount is a monetary amount: prices, salaries, balances.
	Amount Type = "amount"
	// Address is a postal or residential address.
	Address Type = "address"

	// PersonName is the name of a natural person.
	PersonName Type = "person_name"
	// MobilePhone is a mobile phone number.
	MobilePhone Type = "mobile_phone"
	// Landline is a fixed-line telephone number.
	Landline Type = "landline"
	// Email is an e-mail address.
	Email Type = "email"
	// CompanyName is the name of a company or organisation.
	CompanyName Type = "company_name"
	// LicensePlate is a vehicle licence plate.
	LicensePlate Type = "license_plate"

	// InvoiceNumber is an invoice number (20-digit 数电 numbers and legacy
	// 8-digit numbers).
	InvoiceNumber Type = "invoice_number"
	// InvoiceCode is a legacy 10- or 12-digit invoice code.
	InvoiceCode Type = "invoice_code"
	// Date is a date or timestamp.
	Date Type = "date"
	// Identifier is an opaque key: order numbers, serials, codes.
	Identifier Type = "identifier"
	// FreeText is prose; its level is raised by the personal data found in it.
	FreeText Type = "free_text"
	// Other is anything else.
	Other Type = "other"
)

// Level is a sensitivity level. Level1 is the most sensitive; Public (0) is
// not personal data at all.
type Level int

// The sensitivity levels.
const (
	Public Level = 0
	Level1 Level = 1
	Level2 Level = 2
	Level3 Level = 3
)

// rank orders levels by sensitivity: Level1 > Level2 > Level3 > Public.
func (l Level) rank() int {
	if l < Level1 || l > Level3 {
		return 0
	}
	return 4 - int(l)
}

// MoreSensitiveThan reports whether l is strictly more sensitive than o.
func (l Level) MoreSensitiveThan(o Level) bool { return l.rank() > o.rank() }

// String returns "public", "level1", "level2" or "level3".
func (l Level) String() string {
	switch l {
	case Public:
		return "public"
	case Level1, Level2, Level3:
		return fmt.Sprintf("level%d", int(l))
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// allTypes lists the vocabulary in a fixed order; the index of a type in this
// slice is its internal bit number.
var allTypes = []Type{
	CNResidentID, BankCard, Passport, TravelPermit, Medical, Credential,
	CNUSCC, Amount, Address,
	PersonName, MobilePhone, Landline, Email, CompanyName, LicensePlate,
	InvoiceNumber, InvoiceCode, Date, Identifier, FreeText, Other,
}

var typeIndex = func() map[Type]int {
	m := make(map[Type]int, len(allTypes))
	for i, t := range allTypes {
		m[t] = i
	}
	return m
}()

var typeLevel = map[Type]Level{
	CNResidentID: Level1, BankCard: Level1, Passport: Level1, TravelPermit: Level1, Medical: Level1, Credential: Level1,
	CNUSCC: Level2, Amount: Level2, Address: Level2,
	PersonName: Level3, MobilePhone: Level3, Landline: Level3, Email: Level3, CompanyName: Level3, LicensePlate: Level3,
}

// Known reports whether t is part of the vocabulary.
func (t Type) Known() bool { _, ok := typeIndex[t]; return ok }

// Level returns the intrinsic level of a type. FreeText and unknown types
// are Public; a free-text field's effective level is reported in
// [FieldResult.Level].
func (t Type) Level() Level { return typeLevel[t] }

func levelOf(t Type) Level { return typeLevel[t] }
