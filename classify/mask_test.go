package classify

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMaskAlgorithms(t *testing.T) {
	cases := []struct {
		m        Mask
		in, want string
	}{
		{Mask{Method: KeepFirstNLastM, N: 3, M: 4}, "13812345678", "138****5678"},
		{Mask{Method: KeepFirstNLastM, N: 6, M: 4}, "6212264100011335373", "621226*********5373"},
		{Mask{Method: KeepFirstNLastM, N: 1}, "张三丰", "张**"},
		{Mask{Method: KeepFirstNLastM, N: 3, M: 4}, "12345", "1**45"}, // too short: keeps less, masks at least a third
		{Mask{Method: KeepFirstNLastM}, "secret", "******"},
		{Mask{Method: MaskFirstNLastM, N: 2, M: 2}, "ABCDEFG", "**CDE**"},
		{Mask{Method: MaskFirstNLastM, N: 5, M: 5}, "ABC", "***"},
		{Mask{Method: MaskFromXToY, X: 4, Y: 7}, "13812345678", "138****5678"},
		{Mask{Method: MaskFromXToY, X: 2, Y: 100}, "北京市朝阳区", "北*****"},
		{Mask{Method: MaskBefore, Sep: "@"}, "zhang@example.com", "*****@example.com"},
		{Mask{Method: MaskAfter, Sep: "@", Char: 'X'}, "zhang@example.com", "zhang@XXXXXXXXXXX"},
		{Mask{Method: MaskBefore, Sep: "@"}, "no-at-sign", "**********"},
		{Mask{Method: MaskEntities}, "客户手机13812345678，身份证11010519491231002X。", "客户手机138****5678，身份证110***********002X。"},
		{Mask{Method: MaskEntities}, "写信到 zhang.san@example.com.", "写信到 *********@example.com."},
		{Mask{Method: "bogus"}, "abc", "***"}, // invalid masks hide everything
		{Mask{Method: KeepFirstNLastM, N: 1}, "", ""},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.m.Apply(c.in), "%s on %q", c.m, c.in)
	}
}

func TestMaskValidate(t *testing.T) {
	assert.NoError(t, Mask{Method: KeepFirstNLastM, N: 3, M: 4}.Validate())
	assert.ErrorIs(t, Mask{Method: KeepFirstNLastM, N: -1}.Validate(), ErrBadMask)
	assert.ErrorIs(t, Mask{Method: MaskFromXToY, X: 0, Y: 3}.Validate(), ErrBadMask)
	assert.ErrorIs(t, Mask{Method: MaskFromXToY, X: 4, Y: 3}.Validate(), ErrBadMask)
	assert.ErrorIs(t, Mask{Method: MaskAfter, Sep: ""}.Validate(), ErrBadMask)
	assert.ErrorIs(t, Mask{Method: "x"}.Validate(), ErrBadMask)
	assert.Equal(t, "keep_first_n_last_m(3,4)", Mask{Method: KeepFirstNLastM, N: 3, M: 4}.String())
	assert.Equal(t, "138****5678", MobilePhone.DefaultMask().Apply("13812345678"))
	assert.Equal(t, "张*", PersonName.DefaultMask().Apply("张三"))
	assert.Equal(t, "A*C", Identifier.DefaultMask().Apply("ABC"))
}

// maskRange copies valid text around the masked runes; it gives what
// masking rune by rune gives, for every range.
func TestMaskRangeMatchesRunes(t *testing.T) {
	for _, s := range []string{"a", "13812345678", "张三丰", "北京市朝阳区建国路88号", "zhang@例子.com", "x\xffy", "\xe5\x8c", "ab\u00e9c"} {
		n := len([]rune(s)) + 2
		for _, c := range []rune{0, 'X', '＊'} {
			m := Mask{Char: c}
			for from := 0; from <= n; from++ {
				for to := 0; to <= n+1; to++ {
					assert.Equal(t, m.maskRunes(s, from, to), m.maskRange(s, from, to), "%q [%d,%d) %q", s, from, to, c)
				}
			}
		}
	}
}
