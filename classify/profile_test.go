package classify

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func profileOf(t *testing.T, header string, values ...string) FieldResult {
	t.Helper()
	p := NewProfiler()
	for _, v := range values {
		p.observe(header, v)
	}
	res := p.Result()
	require.Len(t, res, 1)
	return res[0]
}

func repeat(n int, f func(i int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func validID(i int) string {
	s := fmt.Sprintf("110105199%d%02d%02d%03d", i%10, 1+i%12, 1+i%28, i%1000)
	c, _ := residentIDCheck(s)
	return s + string(c)
}

func TestRuleValuesOverHeader(t *testing.T) {
	// A remark column holding ID numbers is an ID column.
	r := profileOf(t, "remark", repeat(40, validID)...)
	assert.Equal(t, CNResidentID, r.Type)
	assert.Equal(t, Level1, r.Level)
	assert.Equal(t, FreeText, r.Header)
	assert.Equal(t, "110***********"+validID(0)[14:], r.Example)

	// A phone column holding order numbers is not a phone.
	r = profileOf(t, "phone", repeat(40, func(i int) string { return fmt.Sprintf("2024%02d15%010d", 1+i%12, i*7919) })...)
	assert.Equal(t, Identifier, r.Type)
	assert.Equal(t, Public, r.Level)

	// Header evidence decides when the values fit it: corporate accounts
	// have no check digit.
	r = profileOf(t, "对公账号", repeat(40, func(i int) string { return fmt.Sprintf("11001%014d", i*104729) })...)
	assert.Equal(t, BankCard, r.Type)
	assert.Equal(t, Level1, r.Level)
}

func TestRuleMixedColumn(t *testing.T) {
	vals := repeat(100, func(i int) string {
		if i%10 == 0 {
			return validID(i)
		}
		return fmt.Sprintf("139%08d", i*7)
	})
	r := profileOf(t, "contact", vals...)
	assert.Equal(t, CNResidentID, r.Type, "10%% IDs make the column an ID column")

	vals = repeat(100, func(i int) string {
		if i == 0 {
			return validID(i)
		}
		return fmt.Sprintf("139%08d", i*7)
	})
	r = profileOf(t, "contact", vals...)
	assert.Equal(t, MobilePhone, r.Type, "a single ID among 100 phones is under 5%%")
}

func TestRuleCompositeAndFreeText(t *testing.T) {
	r := profileOf(t, "lxfs", repeat(20, func(i int) string { return fmt.Sprintf("北京市朝阳区建国路%d号 1381234%04d", i+1, i) })...)
	assert.Equal(t, Address, r.Type)
	assert.Equal(t, Level2, r.Level)
	assert.NotContains(t, r.Example, "1381234")

	vals := repeat(60, func(i int) string { return "客户要求下周一前回复，合同续签中。" })
	vals[7] = "客户说身份证号是" + validID(3) + "，请核对。"
	r = profileOf(t, "comments", vals...)
	assert.Equal(t, FreeText, r.Type)
	assert.Equal(t, Level1, r.Level, "one embedded ID raises free text to level 1")

	r = profileOf(t, "病假原因", "感冒发烧，请假两天", "急性肠胃炎", "腰疼", "")
	assert.Equal(t, Medical, r.Type)
}

func TestRuleNullsIgnored(t *testing.T) {
	vals := append(repeat(10, func(int) string { return "" }), "NULL", `\N`, "-", "无", "null", "13812345678", "13912345678")
	r := profileOf(t, "x", vals...)
	assert.Equal(t, MobilePhone, r.Type)
	assert.Equal(t, 2, r.Count)
	assert.Equal(t, 15, r.Nulls)
	assert.Greater(t, r.Confidence, 0.5)

	r = profileOf(t, "身份证号", "", "NULL")
	assert.Equal(t, CNResidentID, r.Type, "an empty column keeps its header's type")
	assert.Equal(t, Level1, r.Level)
	r = profileOf(t, "col9", "")
	assert.Equal(t, Other, r.Type)
}

func TestLookAlikes(t *testing.T) {
	cases := map[string][]string{
		"18-digit order numbers":  {"202403150930123456", "201812250000000017", "202001010000000001"},
		"11 digits from 10 or 12": {"10012345678", "12087654321", "10900000000"},
		"serials failing Luhn":    {"6212264100011335374", "4111111111111112", "8800123456789012"},
		"tax codes":               {"1090512020000000000", "3040203000000000000", "6030100000000000000"},
		"amounts in fen":          {"123456", "99", "1000000"},
	}
	for name, vals := range cases {
		for _, v := range vals {
			got := detectValue(v)
			assert.Equal(t, Public, levelOf(got), "%s: %s detected as %s", name, v, got)
		}
	}
	assert.Equal(t, InvoiceNumber, detectValue("24442000000123456789"))
	r := profileOf(t, "amount_fen", "123456", "99", "1000000")
	assert.Equal(t, Amount, r.Type, "the header makes integers amounts")
}

func TestSampling(t *testing.T) {
	p := NewProfiler(WithSampleSize(10))
	for i := 0; i < 1000; i++ {
		p.observe("m", fmt.Sprintf("139%08d", i))
	}
	r := p.Result()[0]
	assert.Equal(t, 1000, r.Count)
	assert.Less(t, r.Sampled, 200)
	assert.GreaterOrEqual(t, r.Sampled, 40)
	assert.Equal(t, MobilePhone, r.Type)

	p = NewProfiler(WithSampleSize(0))
	for i := 0; i < 1000; i++ {
		p.observe("m", fmt.Sprintf("139%08d", i))
	}
	assert.Equal(t, 1000, p.Result()[0].Sampled)
}

func TestProfileCSVMatchesRecords(t *testing.T) {
	fast, err := profileCSV(context.Background(), strings.NewReader(customersCSV))
	require.NoError(t, err)
	slow, err := Profile(context.Background(), readCSVAll(strings.NewReader(customersCSV)))
	require.NoError(t, err)
	assert.Equal(t, slow, fast)
	_, err = profileCSV(context.Background(), strings.NewReader("a,b\n1,2\n\"x\n"))
	assert.ErrorIs(t, err, ErrUnterminatedQuote)
}

func TestProfileGoValues(t *testing.T) {
	type emp struct {
		Name  string  `json:"name"`
		IDNo  string  `json:"id_no"`
		Phone string  `classify:"mobile"`
		Pay   float64 `json:"salary"`
	}
	p := NewProfiler()
	for i := 0; i < 20; i++ {
		rec, err := RecordOf(emp{Name: "张伟", IDNo: validID(i), Phone: fmt.Sprintf("138%08d", i), Pay: 8000.5})
		require.NoError(t, err)
		p.Observe(rec)
	}
	got := map[string]Type{}
	for _, r := range p.Result() {
		got[r.Name] = r.Type
	}
	assert.Equal(t, map[string]Type{"name": PersonName, "id_no": CNResidentID, "mobile": MobilePhone, "salary": Amount}, got)
}

// FuzzDetectValue feeds arbitrary values through detection, profiling and
// every mask: nothing may panic, and a masked level-1 value never equals
// the original unless it is all mask characters already.
func FuzzDetectValue(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "13812345678", "+86 138", "京A12345", "¥1,234.56", "2024年3月5日", "a@b.cn", "(0755)86013388转8", "北京市朝阳区建国路88号 13812345678", "$2b$10$x", "E1234567\xff8", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		typ := detectValue(v)
		if !typ.Known() {
			t.Fatalf("unknown type %q", typ)
		}
		p := NewProfiler()
		p.observe("f", v)
		p.observe("身份证号", v)
		for _, r := range p.Result() {
			if !r.Type.Known() || r.Confidence < 0 || r.Confidence > 1 {
				t.Fatalf("bad result %+v", r)
			}
		}
		for _, m := range []Mask{typ.DefaultMask(), {Method: MaskEntities}, {Method: MaskFromXToY, X: 2, Y: 5}, {Method: MaskAfter, Sep: "@"}} {
			_ = m.Apply(v)
		}
	})
}

// A value is analyzed by its first maxAnalyzed bytes, so one huge value
// (the fuzzer's stall: minimizing a 100 KB input made every execution scan
// all of it several times) costs what a 4 KiB one does.
func TestLongValueBounded(t *testing.T) {
	head := "患者诊断为糖尿病，联系电话13812345678。"
	long := head + strings.Repeat("备注内容很长", 200000)
	assert.Equal(t, analyze(clip(long)), analyze(long[:len(clip(long))]))
	assert.LessOrEqual(t, len(clip(long)), maxAnalyzed)
	assert.True(t, utf8.ValidString(clip(long)), "cut at a character boundary")
	assert.Equal(t, FreeText, detectValue(long))

	p := NewProfiler()
	for i := 0; i < 3; i++ {
		p.observe("remark", long)
	}
	r := p.Result()[0]
	assert.Equal(t, FreeText, r.Type)
	assert.Equal(t, Level1, r.Level, "the diagnosis in the first 4 KiB raises the level")
	assert.LessOrEqual(t, len(r.raw), maxAnalyzed, "no copy of the whole value is kept")
	assert.Empty(t, p.fields["remark"].cache, "long values are not cached")
}

func BenchmarkDetectValueLong(b *testing.B) {
	for _, n := range []int{1 << 10, 1 << 20} {
		v := strings.Repeat("E12345678 a.a@b.cn ", n/19)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(len(v)))
			for i := 0; i < b.N; i++ {
				detectValue(v)
			}
		})
	}
}

// An e-mail address whose local part runs back over a phone number found
// before it overlapped that entity and panicked analyzeText (found by the
// fuzz corpus entry long-mixed-value).
func TestOverlappingEntities(t *testing.T) {
	v := "联系方式：13812345678a@b.cn 备注"
	var got []string
	forEachEntity(v, func(typ Type, lo, hi int) { got = append(got, string(typ)+":"+v[lo:hi]) })
	assert.Equal(t, []string{"mobile_phone:13812345678", "email:a@b.cn"}, got)
	assert.NotPanics(t, func() { detectValue(v) })
	assert.Equal(t, "联系方式：138****5678*@b.cn 备注", Mask{Method: MaskEntities}.Apply(v))
}
