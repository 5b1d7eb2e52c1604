package monitor

import "time"

// Option configures Check.
type Option func(*options)

type options struct {
	maxAge time.Duration
	tags   []string
	tables []string
	now    func() time.Time
}

// WithMaxAge sets the age after which a group's newest snapshot is overdue
// (DefaultMaxAge without this option).
func WithMaxAge(d time.Duration) Option { return func(o *options) { o.maxAge = d } }

// WithTag reports the group of snapshots carrying tag t (repeatable); a tag
// with no snapshot is overdue.
func WithTag(t string) Option { return func(o *options) { o.tags = append(o.tags, t) } }

// WithTable reports the snapshots of table name (repeatable); a table with
// no snapshot is overdue.
func WithTable(name string) Option { return func(o *options) { o.tables = append(o.tables, name) } }

// WithClock sets the clock Check reads the current time from (time.Now
// without this option).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }
