package classify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/custodia-backup/custodia/classify"
)

const customers = `姓名,身份证号码,手机号码,金额,备注
张三,11010519491231002X,13812345678,"1,234.56",按时付款
李四,440524188001010014,13912345678,88.00,
`

func ExampleProfiler_Read() {
	p := classify.NewProfiler()
	if err := p.Read(context.Background(), strings.NewReader(customers), classify.CSV); err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range p.Result() {
		fmt.Printf("%s: %s level %d, e.g. %s\n", f.Name, f.Type, f.Level, f.Example)
	}
	// Output:
	// 姓名: person_name level 3, e.g. 张*
	// 身份证号码: cn_resident_id level 1, e.g. 110***********002X
	// 手机号码: mobile_phone level 3, e.g. 138****5678
	// 金额: amount level 2, e.g. 1*******
	// 备注: free_text level 0, e.g. 按时付款
}

// A record pipeline: profile a sample, decide, store the decisions, protect
// every record in its place (table, field, record key), and reverse the
// encryption with the field key.
func ExampleProtector_Protect() {
	ctx := context.Background()
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
	// 1. Profile a sample and decide.
	fields, err := classify.Profile(ctx, classify.Read(strings.NewReader(customers), classify.CSV))
	if err != nil {
		fmt.Println(err)
		return
	}
	plan := policy.Plan("customers", fields)
	for _, d := range plan.Fields {
		fmt.Printf("%s: %s level %d → %s\n", d.Field, d.Type, d.Level, d.Action)
	}
	// 2. The decisions are data: store them with the backup.
	stored, _ := json.Marshal(plan)
	var reloaded classify.Plan
	if err := json.Unmarshal(stored, &reloaded); err != nil {
		fmt.Println(err)
		return
	}
	// 3. Protect each record under its key (here the ID's owner name).
	p, err := classify.NewProtector(policy, classify.WithFieldKey(fieldKey))
	if err != nil {
		fmt.Println(err)
		return
	}
	for rec, err := range classify.Read(strings.NewReader(customers), classify.CSV) {
		if err != nil {
			fmt.Println(err)
			return
		}
		name, _ := rec.Get("姓名")
		out, err := p.Protect(&reloaded, name.Value, rec)
		if err != nil {
			fmt.Println(err)
			return
		}
		id, _ := out.Get("身份证号码")
		phone, _ := out.Get("手机号码")
		amount, _ := out.Get("金额")
		fmt.Println(out.Names(), phone.Value, amount.Value, id.Value[:7])
		// 4. The holder of the field key gets level 1 values back.
		back, err := reloaded.Decrypt(fieldKey, name.Value, out)
		if err != nil {
			fmt.Println(err)
			return
		}
		id, _ = back.Get("身份证号码")
		fmt.Println(id.Value)
	}
	// Output:
	// 姓名: person_name level 3 → keep
	// 身份证号码: cn_resident_id level 1 → encrypt
	// 手机号码: mobile_phone level 3 → mask
	// 金额: amount level 2 → mask
	// 备注: free_text level 0 → drop
	// [姓名 身份证号码 手机号码 金额] 138****5678 1******* enc:v2:
	// 11010519491231002X
	// [姓名 身份证号码 手机号码 金额] 139****5678 8**** enc:v2:
	// 440524188001010014
}

func ExampleParsePolicy() {
	_, err := classify.ParsePolicy(strings.NewReader("types:\n  bank_card: hide\n"))
	fmt.Println(err)
	// Output:
	// classify: line 2: invalid policy: unknown action "hide" (want keep, mask, tokenize, encrypt or drop)
}

func ExampleRead() {
	in := `{"id":1,"contact":{"mobile":"13812345678"}}` + "\n" + `{"id":2,`
	for rec, err := range classify.Read(strings.NewReader(in), classify.JSONLines) {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		fmt.Println(rec.Names())
	}
	// Output:
	// [id contact.mobile]
	// error: classify: line 2: unexpected end of JSON
}

func ExampleFormatOf() {
	for _, name := range []string{"customers.csv", "ledger.ndjson", "invoice-0042.json", "jsonl", "invoices.xlsx"} {
		f, err := classify.FormatOf(name)
		fmt.Println(f, err)
	}
	// Output:
	// csv <nil>
	// jsonl <nil>
	// json <nil>
	// jsonl <nil>
	//  classify: "invoices.xlsx": unknown format (want csv, tsv, jsonl or json)
}
