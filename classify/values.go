package classify

import (
	"strings"
	"unicode/utf8"
)

// parseAmount parses a monetary amount as people write it in bookkeeping
// exports and returns its value in hundredths (fen, cents), rounding half
// away from zero beyond two decimals. Accepted: an optional sign or
// parentheses for negatives, an optional currency marker (¥ ￥ $ RMB CNY
// before, 元 after), digits with optional thousands separators (",", groups
// of three) and up to four decimals. ok is false for anything else.
func parseAmount(s string) (fen int64, ok bool) {
	a, ok := scanAmount(s)
	return a.fen, ok
}

// validAmount reports whether s parses with [parseAmount].
func validAmount(s string) bool { _, ok := scanAmount(s); return ok }

type amount struct {
	fen      int64
	decimals int
	grouped  bool // thousands separators present
	currency bool // currency marker present
}

func scanAmount(s string) (a amount, ok bool) {
	s = strings.TrimSpace(s)
	neg := false
	if len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')' {
		neg, s = true, s[1:len(s)-1]
	}
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg, s = neg || s[0] == '-', s[1:]
	}
	for _, p := range []string{"¥", "￥", "$", "RMB", "CNY"} {
		if strings.HasPrefix(s, p) {
			s, a.currency = strings.TrimLeft(s[len(p):], " "), true
			break
		}
	}
	if strings.HasSuffix(s, "元") {
		s, a.currency = strings.TrimRight(s[:len(s)-len("元")], " "), true
	}
	if s != "" && s[0] == '-' && !neg {
		neg, s = true, s[1:]
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i+1:]
		if frac == "" || len(frac) > 4 || !allDigits(frac) {
			return a, false
		}
	}
	if intPart == "" {
		return a, false
	}
	var v int64
	if strings.IndexByte(intPart, ',') >= 0 {
		a.grouped = true
		groups := strings.Split(intPart, ",")
		if len(groups[0]) == 0 || len(groups[0]) > 3 {
			return a, false
		}
		for i, g := range groups {
			if !allDigits(g) || (i > 0 && len(g) != 3) {
				return a, false
			}
		}
		intPart = strings.ReplaceAll(intPart, ",", "")
	} else if !allDigits(intPart) {
		return a, false
	}
	if len(intPart) > 15 {
		return a, false
	}
	for i := 0; i < len(intPart); i++ {
		v = v*10 + int64(intPart[i]-'0')
	}
	cents := int64(0)
	a.decimals = len(frac)
	for i := 0; i < 2; i++ {
		cents *= 10
		if i < len(frac) {
			cents += int64(frac[i] - '0')
		}
	}
	if len(frac) > 2 && frac[2] >= '5' {
		cents++
	}
	a.fen = v*100 + cents
	if neg {
		a.fen = -a.fen
	}
	return a, true
}

// validDate reports whether s is a calendar date, optionally followed by a
// time: 2006-01-02, 2006/1/2, 2006.01.02, 2006年1月2日, a compact 20060102,
// each optionally followed by " 15:04[:05]" or an RFC 3339 "T15:04:05Z".
// Years 1850-2199 are accepted.
func validDate(s string) bool { _, ok := scanDate(s); return ok }

// scanDate returns whether the date was compact (bare 8 digits), which is
// weaker evidence.
func scanDate(s string) (compact bool, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) == 8 && allDigits(s) {
		y := atoi2(s)*100 + atoi2(s[2:])
		return true, y >= 1850 && y < 2200 && validYMD(y, atoi2(s[4:]), atoi2(s[6:]))
	}
	// Year.
	if len(s) < 8 || !allDigits(s[:4]) {
		return false, false
	}
	y := atoi2(s)*100 + atoi2(s[2:])
	if y < 1850 || y >= 2200 {
		return false, false
	}
	rest := s[4:]
	var sep string
	switch {
	case strings.HasPrefix(rest, "年"):
		sep = "月"
		rest = rest[len("年"):]
	case rest[0] == '-' || rest[0] == '/' || rest[0] == '.':
		sep = rest[:1]
		rest = rest[1:]
	default:
		return false, false
	}
	m, rest, ok := leadingInt(rest, 2)
	if !ok || !strings.HasPrefix(rest, sep) {
		return false, false
	}
	rest = rest[len(sep):]
	d, rest, ok := leadingInt(rest, 2)
	if !ok || !validYMD(y, m, d) {
		return false, false
	}
	if sep == "月" {
		if !strings.HasPrefix(rest, "日") {
			return false, false
		}
		rest = rest[len("日"):]
	}
	if rest == "" {
		return false, true
	}
	if rest[0] != ' ' && rest[0] != 'T' {
		return false, false
	}
	return false, validTime(rest[1:])
}

func leadingInt(s string, max int) (v int, rest string, ok bool) {
	i := 0
	for i < len(s) && i < max && isDigit(s[i]) {
		v = v*10 + int(s[i]-'0')
		i++
	}
	return v, s[i:], i > 0
}

// validTime accepts 15:04, 15:04:05, optional fraction and zone.
func validTime(s string) bool {
	s = strings.TrimSpace(s)
	h, rest, ok := leadingInt(s, 2)
	if !ok || h > 23 || !strings.HasPrefix(rest, ":") {
		return false
	}
	mi, rest, ok := leadingInt(rest[1:], 2)
	if !ok || mi > 59 {
		return false
	}
	if strings.HasPrefix(rest, ":") {
		var sec int
		sec, rest, ok = leadingInt(rest[1:], 2)
		if !ok || sec > 60 {
			return false
		}
		if strings.HasPrefix(rest, ".") {
			j := 1
			for j < len(rest) && isDigit(rest[j]) {
				j++
			}
			if j == 1 {
				return false
			}
			rest = rest[j:]
		}
	}
	switch {
	case rest == "" || rest == "Z":
		return true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		return allDigits(rest[1:3]) && allDigits(rest[4:])
	}
	return false
}

// runeLen is utf8.RuneCountInString, named for brevity.
func runeLen(s string) int { return utf8.RuneCountInString(s) }
