package classify

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const samplePolicy = `version: 1
levels:
  2: tokenize
types:
  mobile_phone: mask
  bank_card: {action: mask, mask: keep_first_n_last_m, n: 6, m: 4}
  email:
    action: mask
    mask: mask_before
    sep: "@"
    char: "#"
fields:
  "customers.id_no": encrypt
  "*.remark": drop
  "customers.phone":
    action: mask
    mask: mask_from_x_to_y
    x: 4
    y: 7
  "Customers.*": keep
`

func TestParsePolicy(t *testing.T) {
	p, err := ParsePolicy(strings.NewReader(samplePolicy))
	require.NoError(t, err)
	assert.False(t, p.Strict)

	assert.Equal(t, ActionEncrypt, p.Decide("customers", "id_no", CNResidentID, Level1).Kind)
	assert.Equal(t, ActionDrop, p.Decide("orders", "remark", FreeText, Public).Kind)
	assert.Equal(t, ActionDrop, p.Decide("crm", "contact.remark", FreeText, Level1).Kind, "* matches dots")
	a := p.Decide("customers", "phone", MobilePhone, Level3)
	require.Equal(t, ActionMask, a.Kind)
	require.NotNil(t, a.Mask)
	assert.Equal(t, "138****5678", a.Mask.Apply("13812345678"))
	assert.Equal(t, ActionKeep, p.Decide("CUSTOMERS", "salary", Amount, Level2).Kind, "patterns are case-insensitive; first match wins")

	// Type rules.
	a = p.Decide("orders", "card", BankCard, Level1)
	require.Equal(t, ActionMask, a.Kind)
	assert.Equal(t, "621226*********5373", a.Mask.Apply("6212264100011335373"))
	a = p.Decide("orders", "mail", Email, Level3)
	assert.Equal(t, "#########@example.com", a.Mask.Apply("zhang.san@example.com"))
	a = p.Decide("orders", "mobile", MobilePhone, Level3)
	assert.Equal(t, ActionMask, a.Kind)
	assert.Nil(t, a.Mask, "plain mask uses the type's default")

	// Level rules, overridden and default.
	assert.Equal(t, ActionTokenize, p.Decide("orders", "amount", Amount, Level2).Kind)
	assert.Equal(t, ActionEncrypt, p.Decide("orders", "passport", Passport, Level1).Kind)
	assert.Equal(t, ActionKeep, p.Decide("orders", "name", PersonName, Level3).Kind)
	assert.Equal(t, ActionKeep, p.Decide("orders", "date", Date, Public).Kind)
	assert.Equal(t, ActionEncrypt, p.Decide("orders", "notes", FreeText, Level1).Kind, "free text follows its effective level")
}

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	for typ, want := range map[Type]ActionKind{
		CNResidentID: ActionEncrypt, Medical: ActionEncrypt, Amount: ActionMask, Address: ActionMask,
		MobilePhone: ActionKeep, InvoiceNumber: ActionKeep, Other: ActionKeep,
	} {
		assert.Equal(t, want, p.Decide("t", "f", typ, levelOf(typ)).Kind, typ)
	}
	empty, err := ParsePolicy(strings.NewReader("# nothing\n"))
	require.NoError(t, err)
	assert.Equal(t, ActionEncrypt, empty.Decide("t", "f", BankCard, Level1).Kind)
}

func TestStrictPolicy(t *testing.T) {
	p, err := ParsePolicy(strings.NewReader(`strict: true
fields:
  customers.name: keep
  customers.id_no: default
  "payroll.*": default
`))
	require.NoError(t, err)
	assert.True(t, p.Strict)
	assert.Equal(t, ActionKeep, p.Decide("customers", "name", PersonName, Level3).Kind)
	assert.Equal(t, ActionEncrypt, p.Decide("customers", "id_no", CNResidentID, Level1).Kind)
	assert.Equal(t, ActionMask, p.Decide("payroll", "salary", Amount, Level2).Kind)
	assert.Equal(t, ActionDrop, p.Decide("customers", "mobile", MobilePhone, Level3).Kind, "not on the allow-list")
	assert.Equal(t, ActionDrop, p.Decide("customers", "date", Date, Public).Kind)
}

func TestParsePolicyErrors(t *testing.T) {
	cases := []struct {
		in, msg string
		line    int
	}{
		{"types:\n  bank_card: hide\n", `unknown action "hide"`, 2},
		{"types:\n  ssn: encrypt\n", `unknown type "ssn"`, 2},
		{"fields:\n  \"a.[b\": keep\n", `bad pattern "a.[b"`, 2},
		{"fields:\n  a.b:\n    action: mask\n    mask: keep_first_n_last_m\n    n: -1\n", "n must be an integer from 0 to 1000", 5},
		{"fields:\n  a.b:\n    mask: mask_from_x_to_y\n    x: 5\n    y: 2\n", "1 <= x <= y", 3},
		{"fields:\n  a.b: {action: encrypt, n: 3}\n", `mask parameters given for action "encrypt"`, 2},
		{"fields:\n  a.b: {action: mask, mask: rot13}\n", `unknown mask "rot13"`, 2},
		{"fields:\n  a.b: {action: mask, n: 3}\n", "mask parameters without a mask algorithm", 2},
		{"fields:\n  a.b: {action: mask, mask: mask_before, sep: ab}\n", "one-character sep", 2},
		{"levels:\n  4: keep\n", `unknown level "4"`, 2},
		{"version: 2\n", "unsupported version", 1},
		{"strict: maybe\n", "strict must be true or false", 1},
		{"polcy: {}\n", `unknown key "polcy"`, 1},
		{"types: [a, b]\n", "types must be a mapping", 1},
		{"types:\n  email: keep\n  email: drop\n", `duplicate type "email"`, 3},
		{"strict: false\nfields: a: b\n", "mapping values are not allowed in this context", 2},
		{"- a\n- b\n", "the policy must be a mapping", 1},
		{"fields:\n  a.b: {action: mask, mask: mask_before, sep: '@', char: ''}\n", "char must be one character", 2},
	}
	for _, c := range cases {
		_, err := ParsePolicy(strings.NewReader(c.in))
		var pe *PolicyError
		if !assert.True(t, errors.As(err, &pe), "%q: %v", c.in, err) {
			continue
		}
		assert.Equal(t, c.line, pe.Line, c.in)
		assert.Contains(t, pe.Error(), c.msg, c.in)
		assert.ErrorIs(t, err, ErrPolicy)
		assert.NotContains(t, pe.Error(), "\n")
	}
}

// FuzzParsePolicy checks that the parser never panics and that every error
// is a *PolicyError with a line.
func FuzzParsePolicy(f *testing.F) {
	f.Add(samplePolicy)
	f.Add("strict: true\nfields:\n  a.*: default\n")
	f.Add("types:\n  bank_card: hide\n")
	f.Add("levels: {1: drop, 2: {action: mask, mask: keep_first_n_last_m, n: 1, m: 1}}")
	f.Add("fields:\n  \"[\": keep\n")
	f.Add("&a [*a]")
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParsePolicy(strings.NewReader(in))
		if err != nil {
			var pe *PolicyError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("error %v is not a *PolicyError with a line", err)
			}
			return
		}
		for _, typ := range allTypes {
			a := p.Decide("t", "f", typ, levelOf(typ))
			if !a.Kind.valid() {
				t.Fatalf("invalid action %q", a.Kind)
			}
			if a.Mask != nil {
				_ = a.Mask.Apply("13812345678")
			}
		}
	})
}
