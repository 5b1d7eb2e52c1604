package classifycli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const customersCSV = "\ufeff姓名,身份证号码,手机号码,金额,备注,开户行账号\r\n" +
	"张三,11010519491231002X,13812345678,\"1,234.56\",按时付款,6212264100011335373\r\n" +
	"李四,440524188001010014,13912345678,88.00,,6200000000000005\r\n" +
	"王五,110101199003074258,13712345678,12.30,无,4111111111111111\r\n"

const employeesJSONL = `{"emp_id":1,"name":"Zhang Wei","contact":{"mobile":"13812345678","email":"zhang@example.com"},"salary":12000.50}
{"emp_id":2,"name":"Li Na","contact":{"mobile":"13912345678","email":"li.na@example.com"},"salary":9800.00}
`

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

type field struct {
	Type       string  `json:"type"`
	Level      int     `json:"level"`
	Action     string  `json:"action"`
	Confidence float64 `json:"confidence"`
}

func TestJSONOutput(t *testing.T) {
	dir := t.TempDir()
	c := write(t, dir, "customers.csv", customersCSV)
	e := write(t, dir, "employees.jsonl", employeesJSONL)
	code, out, errs := run("--json", c, e)
	require.Equal(t, 0, code, errs)
	assert.Empty(t, errs)
	var got map[string]field
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Len(t, got, 11)
	want := map[string][3]any{
		"customers.姓名":             {"person_name", 3, "keep"},
		"customers.身份证号码":          {"cn_resident_id", 1, "encrypt"},
		"customers.手机号码":           {"mobile_phone", 3, "keep"},
		"customers.金额":             {"amount", 2, "mask"},
		"customers.备注":             {"free_text", 0, "keep"},
		"customers.开户行账号":          {"bank_card", 1, "encrypt"},
		"employees.emp_id":         {"identifier", 0, "keep"},
		"employees.name":           {"person_name", 3, "keep"},
		"employees.contact.mobile": {"mobile_phone", 3, "keep"},
		"employees.contact.email":  {"email", 3, "keep"},
		"employees.salary":         {"amount", 2, "mask"},
	}
	for k, w := range want {
		f, ok := got[k]
		if assert.True(t, ok, k) {
			assert.Equal(t, w[0], f.Type, k)
			assert.Equal(t, w[1], f.Level, k)
			assert.Equal(t, w[2], f.Action, k)
			assert.Greater(t, f.Confidence, 0.0, k)
			assert.LessOrEqual(t, f.Confidence, 1.0, k)
		}
	}
	// Keys appear in file and column order.
	assert.Less(t, strings.Index(out, "customers.姓名"), strings.Index(out, "customers.开户行账号"))
	assert.Less(t, strings.Index(out, "customers.开户行账号"), strings.Index(out, "employees.emp_id"))
}

func TestHumanTableNeverShowsRawSensitiveValues(t *testing.T) {
	dir := t.TempDir()
	c := write(t, dir, "customers.csv", customersCSV)
	code, out, errs := run(c)
	require.Equal(t, 0, code, errs)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 7)
	assert.Regexp(t, `^FIELD\s+TYPE\s+LEVEL\s+ACTION\s+CONFIDENCE\s+REVIEW\s+EXAMPLE$`, lines[0])
	assert.Regexp(t, `^customers\.身份证号码\s+cn_resident_id\s+1\s+encrypt\s+\d\.\d\d\s+few values\s+110\*+002X$`, lines[2])
	assert.Regexp(t, `^customers\.开户行账号\s+bank_card\s+1\s+encrypt\s+\d\.\d\d\s+few values\s+621226\*+5373$`, lines[6])
	for _, raw := range []string{"11010519491231002X", "440524188001010014", "6212264100011335373", "6200000000000005", "1,234.56"} {
		assert.NotContains(t, out, raw)
	}
}

func TestPolicy(t *testing.T) {
	dir := t.TempDir()
	c := write(t, dir, "customers.csv", customersCSV)
	p := write(t, dir, "p.yaml", "strict: true\nfields:\n  customers.姓名: keep\n  \"customers.身份证*\": tokenize\n")
	code, out, errs := run("--policy", p, "--json", c)
	require.Equal(t, 0, code, errs)
	var got map[string]field
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, "keep", got["customers.姓名"].Action)
	assert.Equal(t, "tokenize", got["customers.身份证号码"].Action)
	assert.Equal(t, "drop", got["customers.手机号码"].Action)

	bad := write(t, dir, "bad.yaml", "types:\n  bank_card: hide\n")
	code, out, errs = run("--policy", bad, c)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Equal(t, "custodia: "+bad+":2: invalid policy: unknown action \"hide\" (want keep, mask, tokenize, encrypt or drop)\n", errs)

	code, _, errs = run("--policy", filepath.Join(dir, "missing.yaml"), c)
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(errs, "custodia: open "), errs)
	assert.Equal(t, 1, strings.Count(errs, "\n"))
}

func TestMalformedInputWritesNothing(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "customers.csv", customersCSV)
	cases := map[string]string{
		"invoices.csv":  "fphm,je\n24442000000123456789,\"1,000.00\"\n24442000000123456790,\"open\n",
		"ragged.csv":    "a,b\n1,2\n1,2,3\n",
		"events.jsonl":  "{\"a\":1}\n{\"a\":2}\n{\"a\":\n",
		"array.jsonl":   "{\"a\":1}\n[1]\n",
		"badutf8.jsonl": "{\"a\":\"\xff\"}\n",
	}
	wantLine := map[string]string{
		"invoices.csv":  ":3: unterminated quoted field",
		"ragged.csv":    ":3: wrong number of fields: got 3, want 2",
		"events.jsonl":  ":3: unexpected end of JSON",
		"array.jsonl":   ":2: not a JSON object",
		"badutf8.jsonl": ":1: invalid UTF-8",
	}
	for name, content := range cases {
		bad := write(t, dir, name, content)
		for _, jsonFlag := range []string{"--json", "--sample=0"} {
			code, out, errs := run(jsonFlag, good, bad)
			assert.Equal(t, 1, code, name)
			assert.Empty(t, out, "%s: nothing is written when an input is bad", name)
			assert.Equal(t, "custodia: "+bad+wantLine[name]+"\n", errs)
		}
	}
	code, out, errs := run(good, filepath.Join(dir, "nope.csv"))
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, "no such file or directory")
}

func TestUsage(t *testing.T) {
	dir := t.TempDir()
	c := write(t, dir, "customers.csv", customersCSV)
	for _, args := range [][]string{{}, {"--json"}, {"--bogus", c}, {c, "--sample", "x"}, {"--sample=-1", c}, {filepath.Join(dir, "x.txt")}} {
		code, out, errs := run(args...)
		assert.Equal(t, 2, code, "%q", args)
		assert.Empty(t, out)
		assert.True(t, strings.HasPrefix(errs, "custodia: "), errs)
		assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
	}
	code, _, errs := run("-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, errs, "Usage: custodia classify")
	assert.Contains(t, errs, "-policy FILE")

	// Flags may follow the files; "--" ends the flags.
	code, out, errs := run(c, "--json")
	require.Equal(t, 0, code, errs)
	assert.True(t, json.Valid([]byte(out)))
	code, _, errs = run("--", "--json")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--json: unknown format (want csv, tsv, jsonl or json)")
}

func TestSameTableAcrossFiles(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	f1 := write(t, a, "customers.csv", customersCSV)
	f2 := write(t, b, "customers.csv", "姓名,电子邮箱\n赵六,zhao@example.com\n")
	code, out, errs := run("--json", f1, f2)
	require.Equal(t, 0, code, errs)
	var got map[string]field
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Len(t, got, 7)
	assert.Equal(t, "email", got["customers.电子邮箱"].Type)
}

func TestEmptyInput(t *testing.T) {
	dir := t.TempDir()
	e := write(t, dir, "empty.csv", "")
	code, out, errs := run("--json", e)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "{}\n", out)
}

func TestPreviewHonoursPolicyMask(t *testing.T) {
	dir := t.TempDir()
	c := write(t, dir, "customers.csv", customersCSV)
	p := write(t, dir, "p.yaml", `fields:
  customers.手机号码: {action: mask, mask: mask_from_x_to_y, x: 4, y: 7, char: "#"}
  customers.身份证号码: {action: mask, mask: keep_first_n_last_m, n: 6, m: 2}
  customers.备注: drop
`)
	code, out, errs := run("--policy", p, c)
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `(?m)^customers\.手机号码\s+mobile_phone\s+3\s+mask\s.*\s138####5678$`, out)
	assert.Regexp(t, `(?m)^customers\.身份证号码\s+cn_resident_id\s+1\s+mask\s.*\s110105\*{10}2X$`, out)
	assert.Regexp(t, `(?m)^customers\.备注\s+free_text\s+0\s+drop\s.*\s\(dropped\)$`, out)
}

func TestJSONCarriesReviewFlag(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("mobile,amount_fen\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "1381234%04d,%d\n", i, 100+i*7)
	}
	c := write(t, dir, "t.csv", b.String())
	code, out, errs := run("--json", c)
	require.Equal(t, 0, code, errs)
	var got map[string]struct {
		field
		Review bool   `json:"review"`
		Reason string `json:"reason"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.False(t, got["t.mobile"].Review, "60 validated values")
	assert.Equal(t, "amount", got["t.amount_fen"].Type)
	assert.True(t, got["t.amount_fen"].Review, "integers are amounts only because the header says so")
	assert.Equal(t, "header only", got["t.amount_fen"].Reason)
}

func TestUnknownFormatNamesTheFormats(t *testing.T) {
	dir := t.TempDir()
	x := write(t, dir, "invoices.xlsx", "PK")
	code, out, errs := run(x)
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Equal(t, "custodia: "+x+": unknown format (want csv, tsv, jsonl or json) (see custodia classify -h)\n", errs)
}

func TestJSONDocuments(t *testing.T) {
	dir := t.TempDir()
	arr := write(t, dir, "invoices.json", `[
  {"fphm": "24442000000123456789", "buyer": {"name": "张三", "id_no": "11010519491231002X"}, "je": "1,234.56"},
  {"fphm": "24442000000123456790", "buyer": {"name": "李四", "id_no": "440524188001010014"}, "je": "88.00"}
]`)
	doc := write(t, dir, "invoice-0042.json", `{"invoice": {"no": "24442000000123456791", "buyer_mobile": "13812345678"},
 "items": [{"name": "咨询费", "amount": "100.00"}]}`)
	code, out, errs := run("--json", arr, doc)
	require.Equal(t, 0, code, errs)
	var got map[string]field
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, "cn_resident_id", got["invoices.buyer.id_no"].Type)
	assert.Equal(t, "invoice_number", got["invoices.fphm"].Type)
	assert.Equal(t, "mobile_phone", got["invoice-0042.invoice.buyer_mobile"].Type)
	assert.Equal(t, "amount", got["invoice-0042.items.0.amount"].Type)

	bad := write(t, dir, "bad.json", "[\n{\"a\": 1},\n2\n]")
	code, out, errs = run(bad)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Equal(t, "custodia: "+bad+":3: not a JSON object\n", errs)
}

func TestTableShowsReviewReason(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("mobile,amount_fen\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "1381234%04d,%d\n", i, 100+i*7)
	}
	c := write(t, dir, "t.csv", b.String())
	code, out, errs := run(c)
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `(?m)^t\.mobile\s+mobile_phone\s+3\s+keep\s+\d\.\d\d\s+-\s+138\*+0000$`, out)
	assert.Regexp(t, `(?m)^t\.amount_fen\s+amount\s+2\s+mask\s+\d\.\d\d\s+header only\s+1\*+$`, out)
}
