package repo

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrBadPolicy means a retention policy or duration cannot be used as
// given: an unknown unit, a negative count, no rule at all.
var ErrBadPolicy = errors.New("bad retention policy")

// Span is a calendar duration: years, months, weeks, days and hours. It is
// added to a time with AddDate for its calendar part, so "1y" from
// 29 February lands on 1 March and "1m" from 31 January on 3 March (or 2
// March in a leap year), as Go's time.AddDate does.
type Span struct {
	Years, Months, Days, Hours int
}

// ParseSpan parses a span such as "30y", "1y6m", "90d", "2w", "36h" or
// "1y2m3w4d5h": one or more numbers, each followed by a unit of y (years),
// m (months), w (weeks), d (days) or h (hours), each unit at most once, in
// that order.
func ParseSpan(s string) (Span, error) {
	var sp Span
	if s == "" {
		return sp, fmt.Errorf("%w: empty duration", ErrBadPolicy)
	}
	rest := s
	order := "ymwdh"
	var weeks int
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) {
			return Span{}, fmt.Errorf("%w: duration %q: want numbers with units y, m, w, d, h (e.g. 30y, 1y6m, 90d)", ErrBadPolicy, s)
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n > 100000 {
			return Span{}, fmt.Errorf("%w: duration %q: number out of range", ErrBadPolicy, s)
		}
		unit := rest[i]
		pos := strings.IndexByte(order, unit)
		if pos < 0 {
			return Span{}, fmt.Errorf("%w: duration %q: unknown unit %q (y, m, w, d or h)", ErrBadPolicy, s, unit)
		}
		order = order[pos+1:] // each unit once, largest first
		switch unit {
		case 'y':
			sp.Years = n
		case 'm':
			sp.Months = n
		case 'w':
			weeks = n
		case 'd':
			sp.Days = n
		case 'h':
			sp.Hours = n
		}
		rest = rest[i+1:]
	}
	sp.Days += 7 * weeks
	return sp, nil
}

// IsZero reports whether the span is empty.
func (s Span) IsZero() bool { return s == Span{} }

// AddTo returns t plus the span.
func (s Span) AddTo(t time.Time) time.Time {
	return t.AddDate(s.Years, s.Months, s.Days).Add(time.Duration(s.Hours) * time.Hour)
}

// SubFrom returns t minus the span.
func (s Span) SubFrom(t time.Time) time.Time {
	return t.AddDate(-s.Years, -s.Months, -s.Days).Add(-time.Duration(s.Hours) * time.Hour)
}

// String returns the canonical form, e.g. "1y6m10d" (weeks are written as
// days); the zero span is "0d".
func (s Span) String() string {
	var b strings.Builder
	for _, p := range []struct {
		n    int
		unit byte
	}{{s.Years, 'y'}, {s.Months, 'm'}, {s.Days, 'd'}, {s.Hours, 'h'}} {
		if p.n != 0 {
			b.WriteString(strconv.Itoa(p.n))
			b.WriteByte(p.unit)
		}
	}
	if b.Len() == 0 {
		return "0d"
	}
	return b.String()
}

// Longer reports whether s reaches further than o from the reference time
// at: s.AddTo(at) is after o.AddTo(at).
func (s Span) Longer(o Span, at time.Time) bool {
	return s.AddTo(at).After(o.AddTo(at))
}
