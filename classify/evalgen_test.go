package classify

// This file generates the labelled evaluation set under testdata/eval from
// a fixed seed. Regenerate with
//
//	go test -run TestEvalSetUpToDate -update
//
// TestEvalSetUpToDate fails when the files on disk differ from what the
// generator produces, so the set and its generator cannot drift apart.

//go:generate go test -run TestEvalSetUpToDate -update

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/eval from the generator")

const evalDir = "testdata/eval"

type gen struct{ r *rand.Rand }

func (g gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g gen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}
func (g gen) chance(p float64) bool { return g.r.Float64() < p }

var provinces = []string{"11", "12", "13", "31", "32", "33", "35", "37", "42", "44", "50", "51", "61"}

func (g gen) region() string {
	return g.pick(provinces...) + fmt.Sprintf("%02d%02d", 1+g.r.IntN(9), 1+g.r.IntN(20))
}

func (g gen) residentID() string {
	y := 1950 + g.r.IntN(56)
	m := 1 + g.r.IntN(12)
	d := 1 + g.r.IntN(28)
	s := fmt.Sprintf("%s%04d%02d%02d%s", g.region(), y, m, d, g.digits(3))
	c, _ := residentIDCheck(s)
	return s + string(c)
}

func (g gen) residentID15() string {
	return fmt.Sprintf("%s%02d%02d%02d%s", g.region(), 40+g.r.IntN(50), 1+g.r.IntN(12), 1+g.r.IntN(28), g.digits(3))
}

func luhnComplete(prefix string) string {
	for d := byte('0'); d <= '9'; d++ {
		if s := prefix + string(d); validLuhn(s) {
			return s
		}
	}
	panic("unreachable")
}

func (g gen) bankCard() string {
	n := g.pick("16", "19")
	p := g.pick("622202", "621226", "623062", "622848", "621700", "622588", "628888")
	body := p + g.digits(map[string]int{"16": 9, "19": 12}[n])
	for trailingZeros(body+"1") >= 6 {
		body = p + g.digits(len(body)-len(p))
	}
	return luhnComplete(body)
}

func (g gen) corporateAccount() string {
	return g.pick("1100", "3100", "4420", "1109", "7311") + g.digits(12+g.r.IntN(5))
}

func (g gen) mobile() string {
	s := "1" + g.pick("3", "5", "7", "8", "9") + g.digits(9)
	switch g.r.IntN(6) {
	case 0:
		return "+86 " + s[:3] + " " + s[3:7] + " " + s[7:]
	case 1:
		return s[:3] + "-" + s[3:7] + "-" + s[7:]
	}
	return s
}

func (g gen) landline() string {
	switch g.r.IntN(3) {
	case 0:
		return "010-" + g.pick("6", "8", "5") + g.digits(7)
	case 1:
		return "0755-" + g.pick("8", "2") + g.digits(7)
	}
	return "021-" + g.pick("6", "5") + g.digits(7) + g.pick("", "", "-801")
}

var surnameList = strings.Fields("王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 韩 冯 邓 曹 彭 欧阳 司马")
var givenChars = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉宇浩然子涵一诺梓轩")

func (g gen) name() string {
	s := g.pick(surnameList...)
	for i := 0; i < 1+g.r.IntN(2); i++ {
		s += string(givenChars[g.r.IntN(len(givenChars))])
	}
	return s
}

var pinyinSurnames = []string{"Zhang", "Wang", "Li", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu"}
var pinyinGiven = []string{"Wei", "Fang", "Na", "Min", "Jing", "Lei", "Yang", "Jun", "Tao", "Xiaoming", "Jiayi"}

func (g gen) latinName() string { return g.pick(pinyinGiven...) + " " + g.pick(pinyinSurnames...) }

var cities = []string{"北京", "上海", "深圳", "广州", "杭州", "成都", "武汉", "西安", "南京", "重庆"}

func (g gen) company() string {
	return g.pick(cities...) + g.pick("华信", "宏达", "恒通", "瑞丰", "金穗", "远景", "新锐", "博雅", "中科", "天诚") +
		g.pick("科技", "贸易", "建筑工程", "餐饮管理", "财务咨询", "物流", "电子商务", "医疗器械") +
		g.pick("有限公司", "有限公司", "股份有限公司", "有限责任公司", "集团有限公司")
}

func (g gen) bankBranch() string {
	return g.pick("中国工商银行", "中国建设银行", "招商银行", "中国银行", "交通银行") + g.pick(cities...) + g.pick("朝阳", "浦东", "南山", "天河", "西湖") + g.pick("支行", "分行")
}

func (g gen) address() string {
	return g.pick("北京市朝阳区", "上海市浦东新区", "广东省深圳市南山区", "浙江省杭州市西湖区", "四川省成都市武侯区", "湖北省武汉市洪山区") +
		g.pick("建国路", "世纪大道", "科技园南路", "文三路", "人民南路", "珞喻路", "幸福村") +
		fmt.Sprintf("%d号", 1+g.r.IntN(300)) + g.pick("", "", fmt.Sprintf("%d栋%d室", 1+g.r.IntN(20), 101+g.r.IntN(2000)), "华润大厦12层")
}

func (g gen) email() string {
	return g.pick("zhangwei", "li.na", "wangfang", "chen_jie", "liu.yang", "zhao.lei", "sunmin") + g.digits(g.r.IntN(4)) + "@" +
		g.pick("qq.com", "163.com", "example.com", "corp.example.cn", "126.com")
}

func (g gen) uscc() string {
	const cs = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	b := []byte("91" + g.region())
	for i := 0; i < 9; i++ {
		b = append(b, cs[g.r.IntN(len(cs))])
	}
	c, _ := usccCheck(string(b))
	return string(append(b, c))
}

func (g gen) amount() string {
	v := g.r.IntN(5_000_000)
	yuan, fen := v/100, v%100
	switch g.r.IntN(3) {
	case 0:
		return fmt.Sprintf("%d.%02d", yuan, fen)
	case 1:
		return groupThousands(yuan) + fmt.Sprintf(".%02d", fen)
	}
	return fmt.Sprintf("%d.%02d", yuan, fen)
}

func groupThousands(n int) string {
	s := fmt.Sprint(n)
	var out []string
	for len(s) > 3 {
		out = append([]string{s[len(s)-3:]}, out...)
		s = s[:len(s)-3]
	}
	return strings.Join(append([]string{s}, out...), ",")
}

func (g gen) date() string {
	y, m, d := 2015+g.r.IntN(10), 1+g.r.IntN(12), 1+g.r.IntN(28)
	switch g.r.IntN(4) {
	case 0:
		return fmt.Sprintf("%d/%d/%d", y, m, d)
	case 1:
		return fmt.Sprintf("%d年%d月%d日", y, m, d)
	}
	return fmt.Sprintf("%d-%02d-%02d", y, m, d)
}

func (g gen) invoiceNumber() string {
	return fmt.Sprintf("%d%s%s", 21+g.r.IntN(5), g.pick(provinces...), g.digits(16))
}

func (g gen) invoiceCode() string {
	return "0" + g.pick(provinces...) + fmt.Sprintf("%02d%02d", 1+g.r.IntN(20), 15+g.r.IntN(6)) + g.pick("001", "002", "003") + g.pick("04", "11", "10")
}

// taxCode is a 19-digit tax classification code: category, then levels,
// padded with zeros.
func (g gen) taxCode() string {
	s := g.pick("1", "2", "3", "6") + g.digits(5+g.r.IntN(7))
	return s + strings.Repeat("0", 19-len(s))
}

// serial is a 16-19 digit number that fails the Luhn check.
func (g gen) serial() string {
	for {
		s := g.pick("62", "43", "88", "51") + g.digits(14+g.r.IntN(4))
		if !validLuhn(s) {
			return s
		}
	}
}

// orderNo is an 18-digit order number that fails the resident-ID check.
func (g gen) orderNo() string {
	for {
		s := fmt.Sprintf("20%02d%02d%02d", 18+g.r.IntN(7), 1+g.r.IntN(12), 1+g.r.IntN(28)) + g.digits(10)
		if !validResidentID(s) {
			return s
		}
	}
}

func (g gen) passport() string {
	if g.chance(0.3) {
		return "E" + string(rune('A'+g.r.IntN(8))) + g.digits(7)
	}
	return "E" + g.digits(8)
}

func (g gen) permit() string { return g.pick("C", "C", "H") + g.digits(8) }

func (g gen) plate() string {
	const an = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	s := g.pick("京", "沪", "粤", "浙", "川") + string(rune('A'+g.r.IntN(8)))
	for i := 0; i < 5; i++ {
		s += string(an[g.r.IntN(len(an))])
	}
	return s
}

func (g gen) diagnosis() string {
	return g.pick("2型糖尿病", "高血压", "急性肠胃炎", "腰椎间盘突出", "过敏性鼻炎", "支气管炎", "甲亢", "痛风", "焦虑症", "骨折术后复查")
}

func (g gen) passwordHash() string {
	const cs = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := []byte("$2b$10$")
	for i := 0; i < 53; i++ {
		b = append(b, cs[g.r.IntN(len(cs))])
	}
	return string(b)
}

func (g gen) remark() string {
	return g.pick("按时付款", "客户要求开具专票", "月底前对账", "已寄送纸质发票，请查收", "合同续签中", "请于下周一前回复确认", "VIP客户，优先处理", "无特殊要求")
}

func (g gen) englishAddress() string {
	return fmt.Sprintf("%d %s %s, %s District, %s", 1+g.r.IntN(300), g.pick("Jianguo", "Nanjing", "Huaihai", "Zhongshan", "Renmin"),
		g.pick("Road", "Rd", "Street", "Avenue"), g.pick("Chaoyang", "Pudong", "Nanshan", "Xihu"), g.pick("Beijing", "Shanghai", "Shenzhen", "Hangzhou"))
}

func (g gen) englishCompany() string {
	return g.pick("Acme", "Sunrise", "Pacific", "Golden Bridge", "Bluesky", "Evergreen") + " " +
		g.pick("Trading", "Technology", "Logistics", "Consulting") + " " + g.pick("Co., Ltd.", "Co., Ltd", "Inc.", "Limited", "LLC")
}

// oldTaxID is a 15-character taxpayer number of the pre-2015 kind: region
// code and organisation code.
func (g gen) oldTaxID() string {
	return g.region() + g.digits(8) + g.pick("X", "1", "7")
}

// spacedCard writes a card number in groups of four.
func (g gen) spacedCard() string {
	c := g.bankCard()
	var parts []string
	for len(c) > 4 {
		parts = append(parts, c[:4])
		c = c[4:]
	}
	return strings.Join(append(parts, c), " ")
}

// evalTable is one generated table with its labels.
type evalTable struct {
	name    string
	jsonl   bool
	columns []evalColumn
	rows    int
}

type evalColumn struct {
	name  string
	typ   Type
	level Level
	gen   func(g gen, row int) any
	nulls float64
}

func col(name string, t Type, fn func(g gen, row int) any) evalColumn {
	return evalColumn{name: name, typ: t, level: levelOf(t), gen: fn}
}

func s(f func(g gen) string) func(g gen, row int) any {
	return func(g gen, _ int) any { return f(g) }
}

func evalTables() []evalTable {
	return []evalTable{
		{name: "customers", rows: 300, columns: []evalColumn{
			col("客户编号", Identifier, func(_ gen, i int) any { return fmt.Sprintf("C%06d", 1000+i) }),
			col("姓名", PersonName, s(gen.name)),
			{name: "身份证号码", typ: CNResidentID, level: Level1, gen: s(func(g gen) string {
				if g.chance(0.1) {
					return g.residentID15()
				}
				return g.residentID()
			}), nulls: 0.05},
			col("手机号码", MobilePhone, s(gen.mobile)),
			col("开户行", Other, s(gen.bankBranch)),
			col("开户行账号", BankCard, s(gen.bankCard)),
			col("家庭住址", Address, s(gen.address)),
			{name: "电子邮箱", typ: Email, level: Level3, gen: s(gen.email), nulls: 0.3},
			col("注册日期", Date, s(gen.date)),
			{name: "备注", typ: FreeText, level: Level3, gen: s(func(g gen) string {
				if g.chance(0.04) {
					return "联系人换号了，新号码" + strings.ReplaceAll(g.mobile(), " ", "")
				}
				return g.remark()
			}), nulls: 0.4},
		}},
		{name: "employees", jsonl: true, rows: 200, columns: []evalColumn{
			col("emp_id", Identifier, func(_ gen, i int) any { return 10000 + i }),
			col("name", PersonName, s(gen.name)),
			col("id_no", CNResidentID, s(gen.residentID)),
			col("contact.mobile", MobilePhone, s(gen.mobile)),
			col("contact.email", Email, s(gen.email)),
			col("contact.office", Landline, s(gen.landline)),
			col("salary", Amount, func(g gen, _ int) any {
				return json.Number(fmt.Sprintf("%d.%02d", 5000+g.r.IntN(40000), g.r.IntN(100)))
			}),
			col("bank.acct", BankCard, s(gen.bankCard)),
			col("bank.name", Other, s(gen.bankBranch)),
			col("home.address", Address, s(gen.address)),
			{name: "medical.diagnosis", typ: Medical, level: Level1, gen: s(gen.diagnosis), nulls: 0.6},
			col("password_hash", Credential, s(gen.passwordHash)),
			{name: "passport_no", typ: Passport, level: Level1, gen: s(gen.passport), nulls: 0.7},
			{name: "hk_permit", typ: TravelPermit, level: Level1, gen: s(gen.permit), nulls: 0.7},
			{name: "car.plate", typ: LicensePlate, level: Level3, gen: s(gen.plate), nulls: 0.5},
			col("hired", Date, s(gen.date)),
			{name: "notes", typ: FreeText, level: Level1, gen: s(func(g gen) string {
				if g.chance(0.05) {
					return "本人因" + g.diagnosis() + "请假三天，已提交证明。"
				}
				return g.remark()
			})},
			col("english_name", PersonName, s(gen.latinName)),
		}},
		{name: "invoices", rows: 300, columns: []evalColumn{
			col("fphm", InvoiceNumber, s(gen.invoiceNumber)),
			{name: "fpdm", typ: InvoiceCode, level: Public, gen: s(gen.invoiceCode), nulls: 0.5},
			col("kprq", Date, s(gen.date)),
			col("xfmc", CompanyName, s(gen.company)),
			col("xfsbh", CNUSCC, s(gen.uscc)),
			col("gfmc", CompanyName, s(gen.company)),
			col("gfsbh", CNUSCC, s(gen.uscc)),
			col("je", Amount, s(gen.amount)),
			col("se", Amount, s(gen.amount)),
			col("ssflbm", Identifier, s(gen.taxCode)),
			col("spmc", Other, s(func(g gen) string {
				return g.pick("办公用品", "技术服务费", "咨询服务", "餐饮服务", "运输服务", "软件维护")
			})),
			col("kpr", PersonName, s(gen.name)),
			{name: "bz", typ: FreeText, level: Public, gen: s(gen.remark), nulls: 0.5},
		}},
		{name: "opaque", rows: 300, columns: []evalColumn{
			col("c1", CNResidentID, s(gen.residentID)),
			col("c2", BankCard, s(gen.bankCard)),
			col("c3", MobilePhone, s(gen.mobile)),
			col("c4", Email, s(gen.email)),
			col("c5", Amount, s(gen.amount)),
			col("c6", PersonName, s(gen.name)),
			col("c7", Address, s(gen.address)),
			col("c8", CompanyName, s(gen.company)),
			col("c9", CNUSCC, s(gen.uscc)),
			col("c10", InvoiceNumber, s(gen.invoiceNumber)),
			col("c11", Date, s(gen.date)),
			col("c12", Passport, s(gen.passport)),
			col("c13", Medical, s(gen.diagnosis)),
			col("c14", LicensePlate, s(gen.plate)),
			col("c15", Credential, s(gen.passwordHash)),
			col("c16", Landline, s(gen.landline)),
		}},
		{name: "misleading", rows: 300, columns: []evalColumn{
			col("phone", Identifier, s(gen.orderNo)),
			col("remark", CNResidentID, s(gen.residentID)),
			col("serial_no", Identifier, s(gen.serial)),
			col("code", Identifier, s(func(g gen) string { return g.pick("10", "12") + g.digits(9) })),
			col("card_no", Identifier, s(gen.taxCode)),
			col("mobile", InvoiceNumber, s(gen.invoiceNumber)),
			col("amount_fen", Amount, func(g gen, _ int) any { return fmt.Sprint(100 + g.r.IntN(10_000_000)) }),
			col("name", CompanyName, s(gen.company)),
			col("contact", CNResidentID, s(func(g gen) string {
				if g.chance(0.1) {
					return g.residentID()
				}
				return g.mobile()
			})),
			col("lxfs", Address, s(func(g gen) string { return g.address() + " " + strings.ReplaceAll(g.mobile(), " ", "") })),
			{name: "comments", typ: FreeText, level: Level1, gen: s(func(g gen) string {
				if g.chance(0.03) {
					return "客户说身份证号是" + g.residentID() + "，请核对。"
				}
				return g.remark()
			})},
			col("id", CNResidentID, s(gen.residentID)),
			col("tel", Landline, s(gen.landline)),
			col("bank", Other, s(gen.bankBranch)),
		}},
		{name: "crm", rows: 250, columns: []evalColumn{
			col("CustomerID", Identifier, func(g gen, i int) any { return fmt.Sprintf("CUS-%d-%05d", 2020+i%5, i) }),
			col("ContactName", PersonName, s(gen.latinName)),
			col("Company", CompanyName, s(gen.englishCompany)),
			col("ShippingAddress", Address, s(gen.englishAddress)),
			col("Email", MobilePhone, s(gen.mobile)), // a lying header
			col("Name", CNResidentID, s(gen.residentID)),
			{name: "CardNumber", typ: BankCard, level: Level1, gen: s(gen.spacedCard), nulls: 0.5},
			col("khzh", BankCard, s(gen.corporateAccount)),
			col("nsrsbh", CNUSCC, s(gen.oldTaxID)),
			col("OrderTotal", Amount, s(func(g gen) string { return "¥" + groupThousands(g.r.IntN(100000)) + ".00" })),
			col("CreatedAt", Date, s(func(g gen) string {
				return g.date() + fmt.Sprintf(" %02d:%02d:%02d", g.r.IntN(24), g.r.IntN(60), g.r.IntN(60))
			})),
			col("Status", Other, s(func(g gen) string { return g.pick("active", "pending", "closed", "ACTIVE") })),
			{name: "Notes", typ: FreeText, level: Level3, gen: s(func(g gen) string {
				if g.chance(0.05) {
					return "Customer asked to send the invoice to " + g.email() + " before Friday."
				}
				return g.pick("Prefers phone calls in the morning.", "Renewal due next quarter.", "Key account, handle with care.", "Paid in full.")
			}), nulls: 0.3},
			col("LastLoginIP", Identifier, s(func(g gen) string { return fmt.Sprintf("10.%d.%d.%d", g.r.IntN(256), g.r.IntN(256), g.r.IntN(256)) })),
			{name: "Allergies", typ: Medical, level: Level1, gen: s(func(g gen) string { return g.pick("penicillin allergy", "asthma", "none known", "peanut allergy") }), nulls: 0.6},
		}},
		{name: "payroll", jsonl: true, rows: 200, columns: []evalColumn{
			col("员工编号", Identifier, func(_ gen, i int) any { return fmt.Sprintf("E%05d", i+1) }),
			col("xm", PersonName, s(gen.name)),
			col("sfzh", CNResidentID, s(gen.residentID)),
			col("yhkh", BankCard, s(gen.bankCard)),
			col("对公账号", BankCard, s(gen.corporateAccount)),
			col("应发工资", Amount, func(g gen, _ int) any {
				return json.Number(fmt.Sprintf("%d.%02d", 5000+g.r.IntN(40000), g.r.IntN(100)))
			}),
			col("实发工资", Amount, func(g gen, _ int) any { return json.Number(fmt.Sprint(300000 + g.r.IntN(3_000_000))) }),
			{name: "病假原因", typ: Medical, level: Level1, gen: s(func(g gen) string {
				return g.pick("感冒发烧", "急性肠胃炎", "腰椎间盘突出复发", "孕检", "牙疼", "家中老人住院陪护")
			}), nulls: 0.8},
			col("支付密码", Credential, func(g gen, _ int) any { return g.digits(6) }),
			col("家庭住址", Address, s(gen.address)),
			col("紧急联系人", PersonName, s(gen.name)),
			col("紧急联系电话", MobilePhone, s(gen.mobile)),
			col("发薪日期", Date, s(gen.date)),
			col("gsmc", CompanyName, s(gen.company)),
		}},
	}
}

type evalLabel struct {
	Type  Type  `json:"type"`
	Level Level `json:"level"`
}

// generateEvalSet renders every table and the label file.
func generateEvalSet() map[string][]byte {
	g := gen{r: rand.New(rand.NewPCG(20240601, 3))}
	files := map[string][]byte{}
	labels := map[string]evalLabel{}
	for _, t := range evalTables() {
		for _, c := range t.columns {
			labels[t.name+"."+c.name] = evalLabel{Type: c.typ, Level: c.level}
		}
		name, b := renderTable(g, t, t.rows)
		files[name] = b
	}
	lb, _ := json.MarshalIndent(labels, "", "  ")
	files["labels.json"] = append(lb, '\n')
	return files
}

// renderTable writes rows rows of t as CSV (with a BOM and CRLF) or JSON
// Lines and returns the file name and contents.
func renderTable(g gen, t evalTable, rows int) (string, []byte) {
	var buf bytes.Buffer
	if t.jsonl {
		for i := 0; i < rows; i++ {
			obj := map[string]any{}
			var order []string
			for _, c := range t.columns {
				v := c.gen(g, i)
				if g.chance(c.nulls) {
					v = nil
				}
				order = append(order, c.name)
				obj[c.name] = v
			}
			buf.Write(nestedJSON(order, obj))
			buf.WriteByte('\n')
		}
		return t.name + ".jsonl", buf.Bytes()
	}
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	row := make([]string, len(t.columns))
	for i, c := range t.columns {
		row[i] = c.name
	}
	_ = w.Write(row)
	for i := 0; i < rows; i++ {
		for j, c := range t.columns {
			v := fmt.Sprint(c.gen(g, i))
			if g.chance(c.nulls) {
				v = g.pick("", "NULL", "-", "无")
			}
			row[j] = v
		}
		_ = w.Write(row)
	}
	w.Flush()
	return t.name + ".csv", buf.Bytes()
}

// nestedJSON writes {"a.b": v} as {"a":{"b":v}}, keeping column order.
func nestedJSON(order []string, obj map[string]any) []byte {
	type node struct {
		keys []string
		kids map[string]*node
		val  any
	}
	root := &node{kids: map[string]*node{}}
	for _, k := range order {
		n := root
		parts := strings.Split(k, ".")
		for i, p := range parts {
			child, ok := n.kids[p]
			if !ok {
				child = &node{kids: map[string]*node{}}
				n.kids[p] = child
				n.keys = append(n.keys, p)
			}
			if i == len(parts)-1 {
				child.val = obj[k]
			}
			n = child
		}
	}
	var write func(b *bytes.Buffer, n *node)
	write = func(b *bytes.Buffer, n *node) {
		if len(n.keys) == 0 {
			v, _ := json.Marshal(n.val)
			b.Write(v)
			return
		}
		b.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			write(b, n.kids[k])
		}
		b.WriteByte('}')
	}
	var b bytes.Buffer
	write(&b, root)
	return b.Bytes()
}

func TestEvalSetUpToDate(t *testing.T) {
	files := generateEvalSet()
	if *update {
		require.NoError(t, os.MkdirAll(evalDir, 0o755))
		for name, b := range files {
			require.NoError(t, os.WriteFile(filepath.Join(evalDir, name), b, 0o644))
		}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		got, err := os.ReadFile(filepath.Join(evalDir, name))
		require.NoError(t, err, "run go generate ./classify")
		require.True(t, bytes.Equal(files[name], got), "%s is stale: run go generate ./classify", name)
	}
}
