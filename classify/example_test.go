package classify_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/custodia-backup/custodia/classify"
)

const customers = `姓名,身份证号码,手机号码,金额,备注
张三,11010519491231002X,13812345678,"1,234.56",按时付款
李四,440524188001010014,13912345678,88.00,
`

func ExampleProfileCSV() {
	fields, err := classify.ProfileCSV(context.Background(), strings.NewReader(customers))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range fields {
		fmt.Printf("%s: %s level %d, e.g. %s\n", f.Name, f.Type, f.Level, f.Example)
	}
	// Output:
	// 姓名: person_name level 3, e.g. 张*
	// 身份证号码: cn_resident_id level 1, e.g. 110***********002X
	// 手机号码: mobile_phone level 3, e.g. 138****5678
	// 金额: amount level 2, e.g. 1*******
	// 备注: free_text level 0, e.g. 按时付款
}

func ExampleProtector_Stream() {
	fieldKey := bytes.Repeat([]byte{1}, classify.KeySize) // derive it from your master key
	policy, err := classify.ParsePolicy(strings.NewReader(`
fields:
  "customers.手机号码": {action: mask, mask: mask_from_x_to_y, x: 4, y: 7}
  "*.备注": drop
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := classify.NewProtector(policy, classify.WithFieldKey(fieldKey))
	if err != nil {
		fmt.Println(err)
		return
	}
	plan, records, err := p.Stream(context.Background(), "customers", classify.ReadCSV(strings.NewReader(customers)))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range plan.Decisions() {
		fmt.Printf("%s → %s\n", d.Field.Name, d.Action)
	}
	for rec, err := range records {
		if err != nil {
			fmt.Println(err)
			return
		}
		id, _ := rec.Get("身份证号码")
		plain, _, _ := classify.Decrypt(fieldKey, id.Value)
		phone, _ := rec.Get("手机号码")
		amount, _ := rec.Get("金额")
		fmt.Println(rec.Names(), phone.Value, amount.Value, id.Value[:7], plain)
	}
	// Output:
	// 姓名 → keep
	// 身份证号码 → encrypt
	// 手机号码 → mask
	// 金额 → mask
	// 备注 → drop
	// [姓名 身份证号码 手机号码 金额] 138****5678 1******* enc:v1: 11010519491231002X
	// [姓名 身份证号码 手机号码 金额] 139****5678 8**** enc:v1: 440524188001010014
}

func ExampleParsePolicy() {
	_, err := classify.ParsePolicy(strings.NewReader("types:\n  bank_card: hide\n"))
	fmt.Println(err)
	// Output:
	// line 2: invalid policy: unknown action "hide" (want keep, mask, tokenize, encrypt or drop)
}

func ExampleValidResidentID() {
	fmt.Println(classify.ValidResidentID("11010519491231002X"))
	fmt.Println(classify.ValidResidentID("110105194912310021"))
	// Output:
	// true
	// false
}

func ExampleReadJSONL() {
	in := `{"id":1,"contact":{"mobile":"13812345678"}}` + "\n" + `{"id":2,`
	for rec, err := range classify.ReadJSONL(strings.NewReader(in)) {
		if err != nil {
			fmt.Fprintln(os.Stdout, "error:", err)
			break
		}
		fmt.Println(rec.Names())
	}
	// Output:
	// [id contact.mobile]
	// error: line 2: unexpected end of JSON
}
