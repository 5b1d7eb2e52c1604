package classify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	testFieldKey = bytes.Repeat([]byte{7}, KeySize)
	testTokenKey = bytes.Repeat([]byte{9}, KeySize)
)

const customersCSV = "姓名,身份证号码,手机号码,金额,备注,开户行账号\n" +
	"张三,11010519491231002X,13812345678,\"1,234.56\",按时付款,6212264100011335373\n" +
	"李四,440524188001010014,13912345678,88.00,,6200000000000005\n" +
	"王五,110101199003074258,13712345678,12.30,无,4111111111111111\n"

// protectAll profiles recs, plans them with p's policy and protects every
// record, keyed by its position.
func protectAll(t *testing.T, p *Protector, table string, in []Record) (*Plan, []Record) {
	t.Helper()
	fields, err := Profile(context.Background(), recordsOf(in))
	require.NoError(t, err)
	plan := p.Policy().Plan(table, fields)
	var out []Record
	for i, rec := range in {
		o, err := p.Protect(plan, strconv.Itoa(i), rec)
		require.NoError(t, err)
		out = append(out, o)
	}
	return plan, out
}

func readAll(t *testing.T, s string) []Record {
	t.Helper()
	recs, err := collect(t, readCSVAll(strings.NewReader(s)))
	require.NoError(t, err)
	return recs
}

func TestProtectorDefaultPolicy(t *testing.T) {
	p, err := NewProtector(nil, WithFieldKey(testFieldKey))
	require.NoError(t, err)
	in := readAll(t, customersCSV)
	plan, out := protectAll(t, p, "customers", in)
	require.Len(t, out, 3)
	actions := map[string]ActionKind{}
	for _, d := range plan.Fields {
		actions[d.Field] = d.Action.Kind
	}
	assert.Equal(t, map[string]ActionKind{
		"姓名": ActionKeep, "身份证号码": ActionEncrypt, "手机号码": ActionKeep,
		"金额": ActionMask, "备注": ActionKeep, "开户行账号": ActionEncrypt,
	}, actions)

	r := out[0]
	assert.Equal(t, "张三", r[0].Value)
	assert.True(t, strings.HasPrefix(r[1].Value, EncryptedPrefix))
	assert.NotContains(t, r[1].Value, "11010519491231002X")
	assert.Equal(t, "13812345678", r[2].Value)
	assert.Equal(t, "1*******", r[3].Value)
	assert.True(t, strings.HasPrefix(r[5].Value, EncryptedPrefix))
	assert.Equal(t, "", out[1][4].Value, "nulls stay as they are")

	// The holder of the field key gets the values back, byte for byte.
	for i := range out {
		back, err := plan.Decrypt(testFieldKey, strconv.Itoa(i), out[i])
		require.NoError(t, err)
		assert.Equal(t, in[i][1], back[1])
		assert.Equal(t, in[i][5], back[5])
	}

	// Deterministic by default: the same value in the same place encrypts
	// the same, so an unchanged record stays unchanged between backups.
	again, err := p.Protect(plan, "0", in[0])
	require.NoError(t, err)
	assert.Equal(t, r, again)
	// The same value in another record encrypts differently.
	moved, err := p.Protect(plan, "1", in[0])
	require.NoError(t, err)
	assert.NotEqual(t, r[1].Value, moved[1].Value)
}

func TestEncryptionBindsPlace(t *testing.T) {
	p, err := NewProtector(nil, WithFieldKey(testFieldKey))
	require.NoError(t, err)
	in := readAll(t, customersCSV)
	plan, out := protectAll(t, p, "customers", in)
	id, acct := 1, 5 // both encrypted

	// Swapped between fields of one record.
	swapped := slices.Clone(out[0])
	swapped[id].Value, swapped[acct].Value = out[0][acct].Value, out[0][id].Value
	_, err = plan.Decrypt(testFieldKey, "0", swapped)
	assert.ErrorIs(t, err, ErrDecrypt)

	// Swapped between records.
	swapped = slices.Clone(out[0])
	swapped[id].Value = out[1][id].Value
	_, err = plan.Decrypt(testFieldKey, "0", swapped)
	assert.ErrorIs(t, err, ErrDecrypt)
	_, err = plan.Decrypt(testFieldKey, "1", out[0])
	assert.ErrorIs(t, err, ErrDecrypt, "read under another record key")

	// Moved to another table.
	other := *plan
	other.Table = "suppliers"
	_, err = other.Decrypt(testFieldKey, "0", out[0])
	assert.ErrorIs(t, err, ErrDecrypt)

	// Renamed field.
	renamed := slices.Clone(out[0])
	renamed[id].Name = "证件号"
	_, err = plan.Decrypt(testFieldKey, "0", renamed)
	assert.ErrorIs(t, err, ErrDecrypt)
	assert.Contains(t, err.Error(), `field "证件号"`)
}

func TestProtectorPolicyActions(t *testing.T) {
	pol, err := ParsePolicy(strings.NewReader(`
types:
  mobile_phone: tokenize
fields:
  "*.备注": drop
  "customers.身份证号码": {action: mask, mask: keep_first_n_last_m, n: 6, m: 4}
`))
	require.NoError(t, err)
	_, err = NewProtector(pol, WithFieldKey(testFieldKey))
	require.ErrorIs(t, err, ErrNoKey, "tokenize without a token key")
	_, err = NewProtector(pol, WithTokenKey([]byte("short")))
	require.ErrorIs(t, err, ErrKeySize)

	p, err := NewProtector(pol, WithFieldKey(testFieldKey), WithTokenKey(testTokenKey))
	require.NoError(t, err)
	plan, out := protectAll(t, p, "customers", readAll(t, customersCSV))
	assert.Equal(t, []string{"姓名", "身份证号码", "手机号码", "金额", "开户行账号"}, out[0].Names())
	assert.Equal(t, "110105********002X", out[0][1].Value)
	tok := out[0][2].Value
	assert.Regexp(t, `^tok:[0-9a-f]{32}$`, tok)
	assert.Equal(t, tok, p.Token("13812345678"), "tokens are the same in every table")
	other, _ := NewProtector(pol, WithFieldKey(testFieldKey), WithTokenKey(testFieldKey))
	assert.NotEqual(t, tok, other.Token("13812345678"), "tokens depend on the key")

	// A field the profile never saw is classified on the spot.
	o, err := p.Protect(plan, "9", Record{{Name: "新字段", Value: "11010519491231002X"}, {Name: "x.备注", Value: "drop me"}})
	require.NoError(t, err)
	require.Len(t, o, 1)
	assert.True(t, strings.HasPrefix(o[0].Value, EncryptedPrefix))

	// A plan asking for a key the protector lacks.
	keyless, err := NewProtector(&Policy{levels: map[Level]Action{Level1: {Kind: ActionKeep}}})
	require.NoError(t, err)
	_, err = keyless.Protect(plan, "0", Record{{Name: "手机号码", Value: "13812345678"}})
	assert.ErrorIs(t, err, ErrNoKey)
}

// Token and encryption outputs are part of the stored format: these
// vectors fail if either changes.
func TestProtectVectors(t *testing.T) {
	p, err := NewProtector(nil, WithFieldKey(testFieldKey), WithTokenKey(testTokenKey))
	require.NoError(t, err)
	assert.Equal(t, tokenVector, p.Token("13812345678"))
	plan := &Plan{Table: "customers", Fields: []Decision{{Field: "id_no", Type: CNResidentID, Level: Level1, Action: Action{Kind: ActionEncrypt}}}}
	out, err := p.Protect(plan, "42", Record{{Name: "id_no", Value: "11010519491231002X"}})
	require.NoError(t, err)
	assert.Equal(t, encryptVector, out[0].Value)
	assert.Equal(t, []byte("custodia/classify/enc/v2\x00\x00\x00\x09customers\x00\x00\x00\x05id_no\x00\x00\x00\x0242"),
		associatedData(nil, "customers", "id_no", "42"))
}

const (
	tokenVector   = "tok:141fc0d1985121399b6f56e438f8a340"
	encryptVector = "enc:v2:iEoFuVAv7Uff0UHt57vP5ZNyp6jPRG8r05nIGHCPtlvn3g5WPatHTEfssEdgcq5cvvzgit8j_TGRg8g"
)

func TestEncryptKinds(t *testing.T) {
	p, err := NewProtector(nil, WithFieldKey(testFieldKey), WithRandomNonces())
	require.NoError(t, err)
	plan := p.Policy().Plan("t", []FieldResult{{Name: "n", Type: BankCard, Level: Level1}, {Name: "b", Type: Credential, Level: Level1}})
	in := Record{{Name: "n", Value: "6212264100011335373", Kind: KindNumber}, {Name: "b", Value: "true", Kind: KindBool}}
	a, err := p.Protect(plan, "k", in)
	require.NoError(t, err)
	b, err := p.Protect(plan, "k", in)
	require.NoError(t, err)
	assert.NotEqual(t, a[0].Value, b[0].Value, "random nonces")
	back, err := plan.Decrypt(testFieldKey, "k", a)
	require.NoError(t, err)
	assert.Equal(t, in, back)
	js, err := back.MarshalJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"n":6212264100011335373,"b":true}`, string(js))
}

func TestDecryptErrors(t *testing.T) {
	p, err := NewProtector(nil, WithFieldKey(testFieldKey))
	require.NoError(t, err)
	plan := &Plan{Table: "t"}
	enc, err := p.encrypt(&sealScratch{}, "t", "k", Field{Name: "x", Value: "secret"})
	require.NoError(t, err)
	rec := Record{{Name: "x", Value: enc}, {Name: "plain", Value: "as is"}}
	back, err := plan.Decrypt(testFieldKey, "k", rec)
	require.NoError(t, err)
	assert.Equal(t, Record{{Name: "x", Value: "secret"}, {Name: "plain", Value: "as is"}}, back)

	_, err = plan.Decrypt(testTokenKey, "k", rec)
	assert.ErrorIs(t, err, ErrDecrypt)
	tampered := []byte(enc)
	tampered[len(tampered)-3] ^= 1
	_, err = plan.Decrypt(testFieldKey, "k", Record{{Name: "x", Value: string(tampered)}})
	assert.ErrorIs(t, err, ErrDecrypt)
	_, err = plan.Decrypt(testFieldKey, "k", Record{{Name: "x", Value: EncryptedPrefix + "!!"}})
	assert.ErrorIs(t, err, ErrDecrypt)
	_, err = plan.Decrypt([]byte("k"), "k", rec)
	assert.ErrorIs(t, err, ErrKeySize)
	_, err = plan.Decrypt(testFieldKey, "k", Record{{Name: "x", Value: EncryptedPrefix + "AAAA"}})
	assert.ErrorIs(t, err, ErrDecrypt)
	assert.NotContains(t, err.Error(), "secret")
	assert.True(t, strings.HasPrefix(err.Error(), "classify: "))
}

func TestPlanJSON(t *testing.T) {
	pol, err := ParsePolicy(strings.NewReader(`
fields:
  "customers.手机号码": {action: mask, mask: mask_from_x_to_y, x: 4, y: 7, char: "#"}
  "*.备注": drop
`))
	require.NoError(t, err)
	p, err := NewProtector(pol, WithFieldKey(testFieldKey))
	require.NoError(t, err)
	in := readAll(t, customersCSV)
	plan, out := protectAll(t, p, "customers", in)

	js, err := json.Marshal(plan)
	require.NoError(t, err)
	assert.Contains(t, string(js), `"action":{"action":"mask","mask":"mask_from_x_to_y","x":4,"y":7,"char":"#"}`)
	assert.Contains(t, string(js), `"action":"encrypt"`)
	assert.NotContains(t, string(js), "13812345678", "no example is stored")
	var stored Plan
	require.NoError(t, json.Unmarshal(js, &stored))
	assert.Equal(t, withoutExamples(plan.Fields), stored.Fields)
	assert.Equal(t, 1, stored.Version)

	// The stored plan protects and decrypts as the original did.
	for i := range in {
		o, err := p.Protect(&stored, strconv.Itoa(i), in[i])
		require.NoError(t, err)
		assert.Equal(t, out[i], o)
		back, err := stored.Decrypt(testFieldKey, strconv.Itoa(i), o)
		require.NoError(t, err)
		assert.Equal(t, in[i][1], back[1])
	}

	for _, bad := range []string{`"hide"`, `{"action":"keep","mask":"mask_before"}`, `{"action":"mask","mask":"nope"}`, `{"action":"mask","mask":"keep_first_n_last_m","n":-1}`, `{"action":"mask","mask":"mask_before","sep":"@","char":"ab"}`, `7`} {
		var a Action
		assert.ErrorIs(t, json.Unmarshal([]byte(bad), &a), ErrPolicy, bad)
	}
}

func withoutExamples(ds []Decision) []Decision {
	out := slices.Clone(ds)
	for i := range out {
		out[i].Example = ""
	}
	return out
}

// FuzzDecrypt checks that arbitrary stored strings never panic the
// decrypter and only decrypt when they were produced with the key.
func FuzzDecrypt(f *testing.F) {
	p, _ := NewProtector(nil, WithFieldKey(testFieldKey))
	enc, _ := p.encrypt(&sealScratch{}, "t", "k", Field{Name: "x", Value: "110101199003074258"})
	f.Add(enc)
	f.Add(EncryptedPrefix)
	f.Add(EncryptedPrefix + "AAAA")
	f.Add("tok:00")
	plan := &Plan{Table: "t"}
	f.Fuzz(func(t *testing.T, s string) {
		back, err := plan.Decrypt(testFieldKey, "k", Record{{Name: "x", Value: s}})
		if err != nil {
			require.ErrorIs(t, err, ErrDecrypt)
			return
		}
		if strings.HasPrefix(s, EncryptedPrefix) {
			// Only a genuine ciphertext decrypts; it must decrypt to what
			// was encrypted.
			require.Equal(t, "110101199003074258", back[0].Value)
		} else {
			require.Equal(t, s, back[0].Value)
		}
	})
}

// TestProtectSealedMatchesProtect checks that the raw form gives the same
// decisions and the same ciphertext as the text form, field by field.
func TestProtectSealedMatchesProtect(t *testing.T) {
	p, err := NewProtector(nil, WithFieldKey(bytes.Repeat([]byte{1}, KeySize)), WithTokenKey(bytes.Repeat([]byte{2}, KeySize)))
	require.NoError(t, err)
	recs := readAll(t, "id,name,resident_id,phone,bank_card,note\n1,王伟,110101199003074514,13812345678,6222021234567890128,\n2,李娜,11010519491231002X,13987654321,4111111111111111,null\n")
	plan, _ := protectAll(t, p, "customers", recs)
	var s Sealed
	for _, rec := range recs {
		want, err := p.Protect(plan, "k", rec)
		require.NoError(t, err)
		require.NoError(t, p.ProtectSealed(&s, plan, "k", rec))
		require.Len(t, s.Fields, len(want))
		sealed := 0
		for i, f := range s.Fields {
			if raw := s.Raw(i); raw != nil {
				sealed++
				assert.Empty(t, f.Value)
				f.Value = EncryptedPrefix + base64.RawURLEncoding.EncodeToString(raw)
			}
			assert.Equal(t, want[i], f)
		}
		assert.Equal(t, 2, sealed, "resident ID and bank card are encrypted")
		back, err := plan.Decrypt(bytes.Repeat([]byte{1}, KeySize), "k", want)
		require.NoError(t, err)
		v, _ := back.Get("resident_id")
		orig, _ := rec.Get("resident_id")
		assert.Equal(t, orig.Value, v.Value)
	}
}
