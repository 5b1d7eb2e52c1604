package classify

import (
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds the value shapes judged by their column: compact periods
// and epoch times, plain numbers, percentages, amounts written in Chinese
// capital numerals.

// atoiN parses up to 18 digits; the caller checked they are digits.
func atoiN(s string) int64 {
	var v int64
	for i := 0; i < len(s) && i < 18; i++ {
		v = v*10 + int64(s[i]-'0')
	}
	return v
}

// Plausible epoch times: from 2000-01-01 to ten years from now.
var (
	epochMin = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	epochMax = time.Now().AddDate(10, 0, 0).Unix()
)

// isPeriod reports whether the digits s are a compact period or time: a
// year and month (YYYYMM, 1900-2100), or Unix epoch seconds (10 digits) or
// milliseconds (13 digits) between 2000 and ten years from now. One such
// value proves little (a 6-digit code can look like a month); a column of
// them is dated (see fieldStats.result).
func isPeriod(s string) bool {
	switch len(s) {
	case 6:
		y, m := atoiN(s[:4]), atoiN(s[4:])
		return y >= 1900 && y <= 2100 && m >= 1 && m <= 12
	case 10:
		t := atoiN(s)
		return t >= epochMin && t <= epochMax
	case 13:
		t := atoiN(s) / 1000
		return t >= epochMin && t <= epochMax
	}
	return false
}

// isSeparatedPeriod reports whether s is an accounting period written with
// a separator or a marker, which is distinctive enough on its own:
// 2024-03, 2024/3, 2024.03 is not accepted (it reads as an amount),
// 2024年3月, 2024Q1, 2024-Q1, 2024年第1季度, 2024年Q1.
func isSeparatedPeriod(s string) bool {
	if len(s) < 6 || len(s) > 20 || !allDigits(s[:4]) {
		return false
	}
	y := atoiN(s[:4])
	if y < 1900 || y > 2100 {
		return false
	}
	rest := s[4:]
	switch {
	case rest[0] == '-' || rest[0] == '/':
		rest = rest[1:]
		if q, ok := quarter(rest); ok {
			return q
		}
		m, r, ok := leadingInt(rest, 2)
		return ok && r == "" && m >= 1 && m <= 12
	case rest[0] == 'Q' || rest[0] == 'q':
		q, _ := quarter(rest)
		return q
	case strings.HasPrefix(rest, "年"):
		rest = rest[len("年"):]
		if q, ok := quarter(rest); ok {
			return q
		}
		if r, ok := strings.CutPrefix(rest, "第"); ok {
			n, r, ok := leadingInt(r, 1)
			return ok && n >= 1 && n <= 4 && r == "季度"
		}
		m, r, ok := leadingInt(rest, 2)
		return ok && m >= 1 && m <= 12 && (r == "月" || r == "月份")
	}
	return false
}

// quarter reads "Q1".."Q4"; ok is false when s does not start with Q.
func quarter(s string) (valid, ok bool) {
	if s == "" || (s[0] != 'Q' && s[0] != 'q') {
		return false, false
	}
	return len(s) == 2 && s[1] >= '1' && s[1] <= '4', true
}

// isPercent reports whether s is a number followed by a percent sign.
func isPercent(s string) bool {
	n, ok := strings.CutSuffix(s, "%")
	if !ok || n == "" {
		return false
	}
	_, ok = scanAmount(n)
	return ok
}

// isCapitalAmount reports whether s is an amount written in Chinese
// capital numerals, as on invoices: 壹仟贰佰叁拾肆圆伍角陆分, 叁万元整.
func isCapitalAmount(s string) bool {
	if utf8.RuneCountInString(s) < 2 {
		return false
	}
	unit := false
	for _, r := range s {
		switch r {
		case '零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖', '拾', '佰', '仟', '万', '亿', '正', '整', '负':
		case '圆', '元', '角', '分':
			unit = true
		default:
			return false
		}
	}
	return unit
}
