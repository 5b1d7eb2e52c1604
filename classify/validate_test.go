package classify

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidResidentID(t *testing.T) {
	valid := []string{
		"11010519491231002X", // the worked example of GB 11643-1999
		"11010519491231002x", // lower-case check character
		"440524188001010014", // second example of the standard
		"110101199003074258",
		"130503670401001", // legacy 15-digit number, born 1967-04-01
	}
	for _, s := range valid {
		assert.True(t, validResidentID(s), s)
	}
	invalid := []string{
		"110105194912310021", // wrong check character
		"11010519491231002Y", // not a check character
		"110105194902300023", // 30 February
		"990105194912310028", // unknown province 99
		"110000194912310021", // a province, not a county
		"202401150930123456", // an order number: date-like prefix, no region
		"110105220012310028", // born in 2200
		"1101051949123100",   // too short
		"1101051949123100211",
		"130503671301001", // legacy number with month 13
		"",
	}
	for _, s := range invalid {
		assert.False(t, validResidentID(s), s)
	}
	c, ok := residentIDCheck("11010519491231002")
	require.True(t, ok)
	assert.Equal(t, byte('X'), c)
	_, ok = residentIDCheck("1101051949123100A")
	assert.False(t, ok)
}

func TestValidUSCC(t *testing.T) {
	for _, s := range []string{"91350100M000100Y43", "91110000600037341L", "914403001922038216", "91350100m000100y43"} {
		assert.True(t, validUSCC(s), s)
	}
	for _, s := range []string{
		"91350100M000100Y44", // wrong check character
		"91350100M000100Y4I", // I is not in the GB 32100 charset
		"9135010OM000100Y43", // O in the region code
		"91990100M000100Y43", // unknown province
		"91350100M000100Y4",  // short
		"913501000000100Y43S",
	} {
		assert.False(t, validUSCC(s), s)
	}
	c, ok := usccCheck("91350100M000100Y4")
	require.True(t, ok)
	assert.Equal(t, byte('3'), c)
}

func TestValidLuhnAndBankCard(t *testing.T) {
	for _, s := range []string{"4111111111111111", "5555555555554444", "6011111111111117", "6200000000000005", "6205500000000000004", "6212264100011335373", "4012888888881881", "3530111333300000"} {
		assert.True(t, validLuhn(s), s)
		assert.True(t, validBankCard(s), s)
	}
	assert.True(t, validBankCard("6212 2641 0001 1335 373"), "grouped with spaces")
	assert.True(t, validBankCard("6200-0000-0000-0005"), "grouped with dashes")
	assert.True(t, validLuhn("79927398713")) // the classic Luhn example
	for _, s := range []string{
		"4111111111111112",    // Luhn fails
		"6212264100011335374", // Luhn fails
		"1010101070000000000", // 19-digit tax classification code
		"6030100000000000000", // tax code, Luhn-valid by accident but padded with zeros
		"8888888888888888888", // serial without a card prefix
		"62000000000000000000",
		"620000000000005", // 15 digits
		"4111-1111-1111-111a",
		"",
	} {
		assert.False(t, validBankCard(s), s)
	}
	assert.True(t, validLuhn("6030100000000000000"), "the padded tax code does pass Luhn")
	assert.False(t, validLuhn("7"))
	assert.False(t, validLuhn("79927398710"))
}

func TestValidMobileAndLandline(t *testing.T) {
	for _, s := range []string{"13812345678", "19912345678", "+8613812345678", "+86 138 1234 5678", "0086-138-1234-5678", "8613812345678", "138-1234-5678"} {
		assert.True(t, validMobile(s), s)
	}
	for _, s := range []string{"10012345678", "12012345678", "12345678901", "1381234567", "138123456789", "23812345678", "1381234567a"} {
		assert.False(t, validMobile(s), s)
	}
	for _, s := range []string{"010-62345678", "021-6234567", "0755-86013388", "(0755)86013388", "0755 8601 3388", "01062345678", "010-62345678-801", "010-62345678转801", "+86 10 62345678", "0571-87654321"} {
		assert.True(t, validLandline(s), s)
	}
	for _, s := range []string{"13812345678", "010-0234567", "0123-4567890", "010-123456", "12345678", "0755-860133889", "010-1234567x"} {
		assert.False(t, validLandline(s), s)
	}
}

func TestValidEmail(t *testing.T) {
	for _, s := range []string{"zhang.san@example.com", "li+tag@mail.example.com.cn", "a@b.io"} {
		assert.True(t, validEmail(s), s)
	}
	for _, s := range []string{"zhang@", "@example.com", "a@b", "a@@b.com", "a b@c.com", "a@b.c", "a@-b.com", ".a@b.com", "a@b.123"} {
		assert.False(t, validEmail(s), s)
	}
}

func TestValidPassportAndPermit(t *testing.T) {
	for _, s := range []string{"E12345678", "EA1234567", "G12345678"} {
		assert.True(t, validPassport(s), s)
	}
	for _, s := range []string{"E1234567", "EI1234567", "X12345678", "e12345678", "E123456789"} {
		assert.False(t, validPassport(s), s)
	}
	for _, s := range []string{"C12345678", "CA1234567", "W12345678", "H12345678", "M1234567801", "L12345678"} {
		assert.True(t, validTravelPermit(s), s)
	}
	for _, s := range []string{"C1234567", "H123456789", "Z12345678", "CA123456"} {
		assert.False(t, validTravelPermit(s), s)
	}
}

func TestValidLicensePlate(t *testing.T) {
	for _, s := range []string{"京A12345", "沪B·8K2L9", "粤BD12345", "浙A-1234学", "川A 9Y8X7"} {
		assert.True(t, validLicensePlate(s), s)
	}
	for _, s := range []string{"京12345", "京a12345", "京A1234", "京A1234567", "X京A12345", "京AI2345", "北A12345"} {
		assert.False(t, validLicensePlate(s), s)
	}
}

func TestValidInvoice(t *testing.T) {
	assert.True(t, validInvoiceNumber("24442000000123456789"))
	assert.True(t, validInvoiceNumber("23110000000000012345"))
	assert.False(t, validInvoiceNumber("2444200000012345678"), "19 digits")
	assert.False(t, validInvoiceNumber("24992000000123456789"), "province 99")
	assert.False(t, validInvoiceNumber("12442000000123456789"), "year 12")
	assert.True(t, validInvoiceCode("4403191130"))
	assert.True(t, validInvoiceCode("044031900111"))
	assert.False(t, validInvoiceCode("9903191130"))
	assert.False(t, validInvoiceCode("544031900111"))
	assert.False(t, validInvoiceCode("04403190011"))
}

func TestParseAmount(t *testing.T) {
	cases := map[string]int64{
		"1,234.56":      123456,
		"1234.56":       123456,
		"¥1,234.5":      123450,
		"￥ 88":          8800,
		"-12.30":        -1230,
		"(1,000.00)":    -100000,
		"RMB 3,000,000": 300000000,
		"9.995":         1000,
		"100元":          10000,
		"0.01":          1,
	}
	for s, want := range cases {
		got, ok := parseAmount(s)
		if assert.True(t, ok, s) {
			assert.Equal(t, want, got, s)
		}
	}
	for _, s := range []string{"1,23.45", "12,3456", ",123", "1.2.3", "abc", "", "1.", "12.34567", "¥", "1234567890123456"} {
		_, ok := parseAmount(s)
		assert.False(t, ok, s)
	}
}

func TestValidDate(t *testing.T) {
	for _, s := range []string{"2024-02-29", "2024/2/9", "2024.12.31", "2024年3月5日", "20240131", "2024-01-31 08:30", "2024-01-31T08:30:00Z", "2024-01-31T08:30:00.123+08:00"} {
		assert.True(t, validDate(s), s)
	}
	for _, s := range []string{"2023-02-29", "2024-13-01", "20241301", "2024-01-31 25:00", "2024-01", "1700-01-01", "2024年3月5", "2024-01-31X"} {
		assert.False(t, validDate(s), s)
	}
}

func TestLevels(t *testing.T) {
	assert.Equal(t, Level1, levelOf(CNResidentID))
	assert.Equal(t, Level2, levelOf(Amount))
	assert.Equal(t, Level3, levelOf(MobilePhone))
	assert.Equal(t, Public, levelOf(FreeText))
	assert.Equal(t, Public, levelOf(Type("nonsense")))
	assert.True(t, Level1.MoreSensitiveThan(Level2))
	assert.True(t, Level3.MoreSensitiveThan(Public))
	assert.False(t, Public.MoreSensitiveThan(Level3))
	assert.Len(t, allTypes, numTypes)
	assert.True(t, Amount.Known())
	assert.False(t, Type("ssn").Known())
	assert.Equal(t, Level2, Amount.Level())
}

func TestHeaderType(t *testing.T) {
	cases := map[string]Type{
		"身份证号码":          CNResidentID,
		"id_no":          CNResidentID,
		"IdNo":           CNResidentID,
		"sfzh":           CNResidentID,
		"开户行账号":          BankCard,
		"开户行":            Other,
		"bank_acct":      BankCard,
		"yhzh":           BankCard,
		"联系电话":           MobilePhone,
		"mobile":         MobilePhone,
		"lxdh":           MobilePhone,
		"纳税人识别号":         CNUSCC,
		"tax_id":         CNUSCC,
		"company_tax_id": CNUSCC,
		"nsrsbh":         CNUSCC,
		"发票代码":           InvoiceCode,
		"contact.mobile": MobilePhone,
		"customer_name":  PersonName,
		"col7":           "",
		"tax_rate":       Other,
	}
	for h, want := range cases {
		assert.Equal(t, want, headerType(h), h)
	}
}

func TestIsNull(t *testing.T) {
	for _, s := range []string{"", "  ", "null", "NULL", `\N`, "-", "无", "N/A"} {
		assert.True(t, isNull(s), s)
	}
	for _, s := range []string{"0", "无锡", "nullable", "张三"} {
		assert.False(t, isNull(s), s)
	}
	// Long values skip the trimming only when no space surrounds them:
	// the answer is always that of trimming first.
	for _, s := range []string{"    null    ", "\u3000\u3000无\u3000\u3000", "\u00a0\u00a0N/A\u00a0\u00a0", "\t\t\t\t\t\t\t", "  NULL\r\n\r\n", "北京市朝阳区", "13800138000", "\xff\xfenull\xff", " 张三李四王五 "} {
		assert.Equal(t, isNullTrimmed(strings.TrimSpace(s)), isNull(s), "%q", s)
	}
	// The quick look at the first byte answers as trimming would: every
	// first byte, and every spelling in both cases, with spaces or not.
	var more []string
	for b := range 256 {
		c := string([]byte{byte(b)})
		more = append(more, c, c+"/a", c+"ull", c+"il", c+"N", c+"1")
	}
	for n := range dict.nulls {
		more = append(more, n, strings.ToUpper(n), " "+n, strings.ToUpper(n)+"\t", "\u3000"+n)
	}
	for _, s := range more {
		require.Equal(t, isNullTrimmed(strings.TrimSpace(s)), isNull(s), "%q", s)
	}
}
