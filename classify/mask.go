package classify

import (
	"fmt"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// MaskMethod names a masking algorithm, as used by database middleware.
type MaskMethod string

// The masking algorithms. Positions and counts are in characters (runes),
// not bytes.
const (
	// KeepFirstNLastM keeps the first N and last M characters and masks
	// the rest. When the value is too short, fewer are kept so that at
	// least a third of it is masked.
	KeepFirstNLastM MaskMethod = "keep_first_n_last_m"
	// MaskFirstNLastM masks the first N and the last M characters.
	MaskFirstNLastM MaskMethod = "mask_first_n_last_m"
	// MaskFromXToY masks characters X to Y, 1-based and inclusive.
	MaskFromXToY MaskMethod = "mask_from_x_to_y"
	// MaskBefore masks everything before the first occurrence of Sep (all
	// of the value if Sep does not occur).
	MaskBefore MaskMethod = "mask_before"
	// MaskAfter masks everything after the first occurrence of Sep (all of
	// the value if Sep does not occur).
	MaskAfter MaskMethod = "mask_after"
	// MaskEntities masks, inside free text, each identity number, card
	// number, phone number, passport and e-mail address found, each with
	// the default mask of its type, and leaves the rest of the text.
	MaskEntities MaskMethod = "mask_entities"
)

// Mask is a masking algorithm with its parameters.
type Mask struct {
	Method MaskMethod
	N, M   int    // KeepFirstNLastM, MaskFirstNLastM
	X, Y   int    // MaskFromXToY
	Sep    string // MaskBefore, MaskAfter: one character
	Char   rune   // the mask character; 0 means '*'
}

// maxMaskParam bounds N, M, X and Y.
const maxMaskParam = 1000

// Validate checks the method and the ranges of its parameters.
func (m Mask) Validate() error {
	if err := m.validate(); err != nil {
		return errorf("%w", err)
	}
	return nil
}

func (m Mask) validate() error {
	switch m.Method {
	case KeepFirstNLastM, MaskFirstNLastM:
		if m.N < 0 || m.M < 0 || m.N > maxMaskParam || m.M > maxMaskParam {
			return fmt.Errorf("%w: %s needs 0 <= n, m <= %d (got n=%d, m=%d)", ErrBadMask, m.Method, maxMaskParam, m.N, m.M)
		}
	case MaskFromXToY:
		if m.X < 1 || m.Y < m.X || m.Y > maxMaskParam {
			return fmt.Errorf("%w: %s needs 1 <= x <= y <= %d (got x=%d, y=%d)", ErrBadMask, m.Method, maxMaskParam, m.X, m.Y)
		}
	case MaskBefore, MaskAfter:
		if utf8.RuneCountInString(m.Sep) != 1 {
			return fmt.Errorf("%w: %s needs a one-character sep (got %q)", ErrBadMask, m.Method, m.Sep)
		}
	case MaskEntities:
	default:
		return fmt.Errorf("%w: unknown method %q", ErrBadMask, string(m.Method))
	}
	if m.Char == utf8.RuneError || (m.Char != 0 && m.Char < ' ') {
		return fmt.Errorf("%w: invalid mask character", ErrBadMask)
	}
	return nil
}

// String describes the mask, e.g. "keep_first_n_last_m(3,4)".
func (m Mask) String() string {
	switch m.Method {
	case KeepFirstNLastM, MaskFirstNLastM:
		return fmt.Sprintf("%s(%d,%d)", m.Method, m.N, m.M)
	case MaskFromXToY:
		return fmt.Sprintf("%s(%d,%d)", m.Method, m.X, m.Y)
	case MaskBefore, MaskAfter:
		return fmt.Sprintf("%s(%q)", m.Method, m.Sep)
	}
	return string(m.Method)
}

func (m Mask) char() rune {
	if m.Char == 0 {
		return '*'
	}
	return m.Char
}

// Apply masks s. Invalid parameters mask the whole value.
func (m Mask) Apply(s string) string {
	if s == "" {
		return s
	}
	if m.Validate() != nil {
		return m.maskRange(s, 0, 1<<30)
	}
	switch m.Method {
	case KeepFirstNLastM:
		l := utf8.RuneCountInString(s)
		n, k := m.N, m.M
		for n+k > 0 && 3*(l-n-k) < l {
			if n >= k {
				n--
			} else {
				k--
			}
		}
		return m.maskRange(s, n, l-k)
	case MaskFirstNLastM:
		l := utf8.RuneCountInString(s)
		out := m.maskRange(s, 0, min(m.N, l))
		return m.maskRange(out, max(l-m.M, 0), l)
	case MaskFromXToY:
		return m.maskRange(s, m.X-1, m.Y)
	case MaskBefore:
		i := strings.Index(s, m.Sep)
		if i < 0 {
			return m.maskRange(s, 0, 1<<30)
		}
		return m.maskRange(s[:i], 0, 1<<30) + s[i:]
	case MaskAfter:
		i := strings.Index(s, m.Sep)
		if i < 0 {
			return m.maskRange(s, 0, 1<<30)
		}
		j := i + len(m.Sep)
		return s[:j] + m.maskRange(s[j:], 0, 1<<30)
	case MaskEntities:
		return maskEntities(s, m.char())
	}
	return m.maskRange(s, 0, 1<<30)
}

// maskRange replaces runes [from, to) of s by the mask character.
func (m Mask) maskRange(s string, from, to int) string {
	if !utf8.ValidString(s) {
		return m.maskRunes(s, from, to)
	}
	// Valid text: copy the bytes before and after the masked runes as
	// they are, which is what writing them back rune by rune gives.
	lo, hi, i := -1, len(s), 0
	for off := range s {
		if i == from {
			lo = off
		}
		if i == to {
			hi = off
			break
		}
		i++
	}
	if lo < 0 || i <= from {
		return s
	}
	// One allocation, the mask character written once and copied.
	c := m.char()
	n := utf8.RuneLen(c)
	buf := make([]byte, lo+(i-from)*n+len(s)-hi)
	copy(buf, s[:lo])
	mid := buf[lo : lo+(i-from)*n]
	utf8.EncodeRune(mid, c)
	for done := n; done < len(mid); done *= 2 {
		copy(mid[done:], mid[:done])
	}
	copy(buf[lo+len(mid):], s[hi:])
	return unsafe.String(unsafe.SliceData(buf), len(buf)) // buf is not written again
}

// maskRunes is maskRange rune by rune: a byte that is not UTF-8 becomes
// U+FFFD.
func (m Mask) maskRunes(s string, from, to int) string {
	c := m.char()
	var b strings.Builder
	b.Grow(len(s))
	i := 0
	for _, r := range s {
		if i >= from && i < to {
			b.WriteRune(c)
		} else {
			b.WriteRune(r)
		}
		i++
	}
	return b.String()
}

var defaultMasks = map[Type]Mask{
	CNResidentID:  {Method: KeepFirstNLastM, N: 3, M: 4},
	BankCard:      {Method: KeepFirstNLastM, N: 6, M: 4},
	Passport:      {Method: KeepFirstNLastM, N: 1, M: 3},
	TravelPermit:  {Method: KeepFirstNLastM, N: 1, M: 3},
	Medical:       {Method: KeepFirstNLastM},
	Credential:    {Method: KeepFirstNLastM},
	CNUSCC:        {Method: KeepFirstNLastM, N: 6, M: 4},
	Amount:        {Method: KeepFirstNLastM, N: 1},
	Address:       {Method: KeepFirstNLastM, N: 6},
	PersonName:    {Method: KeepFirstNLastM, N: 1},
	MobilePhone:   {Method: KeepFirstNLastM, N: 3, M: 4},
	Landline:      {Method: KeepFirstNLastM, N: 4, M: 2},
	Email:         {Method: MaskBefore, Sep: "@"},
	CompanyName:   {Method: KeepFirstNLastM, N: 2, M: 2},
	LicensePlate:  {Method: KeepFirstNLastM, N: 2, M: 1},
	InvoiceNumber: {Method: KeepFirstNLastM, N: 4, M: 4},
	InvoiceCode:   {Method: KeepFirstNLastM, N: 4, M: 2},
	Date:          {Method: KeepFirstNLastM, N: 4},
	FreeText:      {Method: MaskEntities},
}

// DefaultMask returns the mask used for a type when a policy says "mask"
// without parameters: 138****5678 for phones, 622202******1234 for cards,
// 张* for names, ****@example.com for e-mail, the embedded personal data
// for free text, and the first and last character for anything else.
func (t Type) DefaultMask() Mask {
	if m, ok := defaultMasks[t]; ok {
		return m
	}
	return Mask{Method: KeepFirstNLastM, N: 1, M: 1}
}

// maskEntities masks the personal data found inside free text.
func maskEntities(s string, c rune) string {
	var b strings.Builder
	last := 0
	forEachEntity(s, func(t Type, lo, hi int) {
		if lo < last {
			return
		}
		m := t.DefaultMask()
		m.Char = c
		b.WriteString(s[last:lo])
		b.WriteString(m.Apply(s[lo:hi]))
		last = hi
	})
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
