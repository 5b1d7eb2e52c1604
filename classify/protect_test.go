package classify

import (
	"bytes"
	"context"
	"errors"
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

func TestProtectorDefaultPolicy(t *testing.T) {
	p, err := NewProtector(nil, WithFieldKey(testFieldKey))
	require.NoError(t, err)
	plan, seq, err := p.Stream(context.Background(), "customers", ReadCSV(strings.NewReader(customersCSV)))
	require.NoError(t, err)
	var out []Record
	for rec, err := range seq {
		require.NoError(t, err)
		out = append(out, rec)
	}
	require.Len(t, out, 3)
	actions := map[string]ActionKind{}
	for _, d := range plan.Decisions() {
		actions[d.Field.Name] = d.Action.Kind
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

	// The holder of the field key gets the values back, byte for byte.
	back, err := DecryptRecord(testFieldKey, r)
	require.NoError(t, err)
	assert.Equal(t, "11010519491231002X", back[1].Value)
	assert.Equal(t, "6212264100011335373", back[5].Value)
	assert.Equal(t, "", out[1][4].Value, "nulls stay as they are")

	// Deterministic by default: the same input encrypts the same.
	_, seq2, err := p.Stream(context.Background(), "customers", ReadCSV(strings.NewReader(customersCSV)))
	require.NoError(t, err)
	for rec := range seq2 {
		assert.Equal(t, r, rec)
		break
	}
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
	fields, err := ProfileCSV(context.Background(), strings.NewReader(customersCSV))
	require.NoError(t, err)
	plan := p.Plan("customers", fields)
	recs, err := collect(t, ReadCSV(strings.NewReader(customersCSV)))
	require.NoError(t, err)
	out, err := plan.Apply(recs[0])
	require.NoError(t, err)
	assert.Equal(t, []string{"姓名", "身份证号码", "手机号码", "金额", "开户行账号"}, out.Names())
	assert.Equal(t, "110105********002X", out[1].Value)
	tok := out[2].Value
	assert.Regexp(t, `^tok:[0-9a-f]{32}$`, tok)
	assert.Equal(t, tok, p.Token("13812345678"), "tokens are the same in every table")
	other, _ := NewProtector(pol, WithFieldKey(testFieldKey), WithTokenKey(testFieldKey))
	assert.NotEqual(t, tok, other.Token("13812345678"), "tokens depend on the key")

	// A field the profile never saw is classified on the spot.
	out, err = plan.Apply(Record{{Name: "新字段", Value: "11010519491231002X"}, {Name: "x.备注", Value: "drop me"}})
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.True(t, strings.HasPrefix(out[0].Value, EncryptedPrefix))
}

func TestEncryptKinds(t *testing.T) {
	p, err := NewProtector(nil, WithFieldKey(testFieldKey), WithRandomNonces())
	require.NoError(t, err)
	plan := p.Plan("t", []FieldResult{{Name: "n", Type: BankCard, Level: Level1}, {Name: "b", Type: Credential, Level: Level1}})
	in := Record{{Name: "n", Value: "6212264100011335373", Kind: KindNumber}, {Name: "b", Value: "true", Kind: KindBool}}
	a, err := plan.Apply(in)
	require.NoError(t, err)
	b, err := plan.Apply(in)
	require.NoError(t, err)
	assert.NotEqual(t, a[0].Value, b[0].Value, "random nonces")
	back, err := DecryptRecord(testFieldKey, a)
	require.NoError(t, err)
	assert.Equal(t, in, back)
	js, err := back.MarshalJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"n":6212264100011335373,"b":true}`, string(js))
}

func TestDecryptErrors(t *testing.T) {
	p, err := NewProtector(nil, WithFieldKey(testFieldKey))
	require.NoError(t, err)
	enc, err := p.encrypt(Field{Value: "secret"})
	require.NoError(t, err)
	v, k, err := Decrypt(testFieldKey, enc)
	require.NoError(t, err)
	assert.Equal(t, "secret", v)
	assert.Equal(t, KindString, k)

	_, _, err = Decrypt(testTokenKey, enc)
	assert.ErrorIs(t, err, ErrDecrypt)
	tampered := []byte(enc)
	tampered[len(tampered)-3] ^= 1
	_, _, err = Decrypt(testFieldKey, string(tampered))
	assert.ErrorIs(t, err, ErrDecrypt)
	_, _, err = Decrypt(testFieldKey, "plain")
	assert.ErrorIs(t, err, ErrNotEncrypted)
	_, _, err = Decrypt(testFieldKey, EncryptedPrefix+"!!")
	assert.ErrorIs(t, err, ErrDecrypt)
	_, _, err = Decrypt([]byte("k"), enc)
	assert.ErrorIs(t, err, ErrKeySize)
	_, err = DecryptRecord(testFieldKey, Record{{Name: "x", Value: EncryptedPrefix + "AAAA"}})
	assert.ErrorIs(t, err, ErrDecrypt)
	assert.NotContains(t, err.Error(), "secret")
}

func TestProtectRecordsErrors(t *testing.T) {
	p, err := NewProtector(nil, WithFieldKey(testFieldKey))
	require.NoError(t, err)
	bad := "a,b\n1,2\n3\n"
	_, err = collect(t, p.ProtectRecords(context.Background(), "t", ReadCSV(strings.NewReader(bad))))
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 3, se.Line)

	// An error after the sample ends the stream.
	var b strings.Builder
	b.WriteString("id\n")
	for i := 0; i < 50; i++ {
		b.WriteString("1\n")
	}
	b.WriteString("\"open\n")
	got, err := collect(t, p.ProtectRecords(context.Background(), "t", ReadCSV(strings.NewReader(b.String())), WithSampleSize(10)))
	require.ErrorIs(t, err, ErrUnterminatedQuote)
	assert.Len(t, got, 50)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = collect(t, p.ProtectRecords(ctx, "t", ReadCSV(strings.NewReader(b.String()))))
	assert.True(t, errors.Is(err, context.Canceled))
}

// FuzzDecrypt checks that arbitrary stored strings never panic the
// decrypter and only decrypt when they were produced with the key.
func FuzzDecrypt(f *testing.F) {
	p, _ := NewProtector(nil, WithFieldKey(testFieldKey))
	enc, _ := p.encrypt(Field{Value: "110101199003074258"})
	f.Add(enc)
	f.Add(EncryptedPrefix)
	f.Add(EncryptedPrefix + "AAAA")
	f.Add("tok:00")
	f.Fuzz(func(t *testing.T, s string) {
		v, _, err := Decrypt(testFieldKey, s)
		if err == nil && s != enc {
			// Only a genuine ciphertext may decrypt; re-encrypting it must
			// give back a value that decrypts the same.
			again, _, err2 := Decrypt(testFieldKey, s)
			require.NoError(t, err2)
			require.Equal(t, v, again)
		}
	})
}
