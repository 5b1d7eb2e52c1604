package storage

import (
	"errors"
	"fmt"
	"sync"
)

// ErrDegraded marks a site some of whose shards a degraded Put could not
// write (see WithDegradedWrites and Store.WriteGaps).
var ErrDegraded = errors.New("storage: shards missing on a site")

// Degraded-write policies (WithDegradedWrites).
const (
	degradedOff      = iota // every shard must be written (the default)
	degradedReadable        // at least k shards
	degradedSurvive         // at least k shards after losing any one more site
)

// WithDegradedWrites lets Put succeed when some shards cannot be written —
// a site is down — as long as the shards that were written keep the object
// readable: at least k of them, and, with surviveSiteLoss, still at least
// k after the loss of any one more site. Each missing shard is counted
// against its site (WriteGaps); Repair writes it once the site is back.
// Put still fails when fewer shards than that could be written, and then
// removes the shards it did write, so that a failed Put leaves no object a
// reader could find: use it on a Store that writes only new names (a
// backup's packs, indexes and snapshot), never to replace an object.
// Create is unchanged: its shard 0 is always required.
func WithDegradedWrites(surviveSiteLoss bool) Option {
	return func(o *options) {
		o.degraded = degradedReadable
		if surviveSiteLoss {
			o.degraded = degradedSurvive
		}
	}
}

// WriteGap says how many shards degraded Puts could not write to one
// site since the Store was opened, and the first reason.
type WriteGap struct {
	Site   string // redacted URL
	Shards int64  // shards not written
	Err    error  // the first failure, naming the site
}

// Error is the gap as one line: the site, the count and the first reason.
func (g WriteGap) Error() string {
	return fmt.Sprintf("%d shards not written to %s: %v", g.Shards, g.Site, g.Err)
}

// Unwrap makes a gap match ErrDegraded and its first failure.
func (g WriteGap) Unwrap() []error { return []error{ErrDegraded, g.Err} }

// gaps counts the shards not written per site; its memory is bounded by
// the number of sites.
type gaps struct {
	mu     sync.Mutex
	bySite []WriteGap
}

// WriteGaps returns, per site with missing shards, what degraded Puts
// could not write since Open (shared by every Coded view). Empty when
// every shard was written.
func (s *Store) WriteGaps() []WriteGap {
	s.gaps.mu.Lock()
	defer s.gaps.mu.Unlock()
	var out []WriteGap
	for _, g := range s.gaps.bySite {
		if g.Shards > 0 {
			out = append(out, g)
		}
	}
	return out
}

// record counts shard i of a degraded Put as missing on its site.
func (s *Store) recordGap(i int, err error) {
	si := s.siteOf(i)
	s.gaps.mu.Lock()
	defer s.gaps.mu.Unlock()
	if s.gaps.bySite == nil {
		s.gaps.bySite = make([]WriteGap, len(s.list))
	}
	g := &s.gaps.bySite[si]
	if g.Shards == 0 {
		g.Site, g.Err = s.list[si].String(), err
	}
	g.Shards++
}

// enough reports whether the shards written (written[i]) leave an object
// readable under the Store's degraded-write policy.
func (s *Store) enough(written []bool) bool {
	n, perSite := 0, make([]int, len(s.list))
	for i, ok := range written {
		if ok {
			n++
			perSite[s.siteOf(i)]++
		}
	}
	switch s.degraded {
	case degradedOff:
		return n == len(written)
	case degradedSurvive:
		most := 0
		for _, c := range perSite {
			most = max(most, c)
		}
		return n-most >= s.k
	default:
		return n >= s.k
	}
}

// tolerable is how many shard writes of one object may fail before the
// Put cannot succeed under the policy (a quick bound: k of k+m needed).
func (s *Store) tolerable() int {
	if s.degraded == degradedOff {
		return 0
	}
	return s.m
}

// skipped returns the first failure of the site of shard i when degraded
// writes already gave up on that site, so that later Puts do not wait
// for it again (Repair completes its shards once it is back), else nil.
func (s *Store) skipped(i int) error {
	if s.degraded == degradedOff {
		return nil
	}
	si := s.siteOf(i)
	s.gaps.mu.Lock()
	defer s.gaps.mu.Unlock()
	if si < len(s.gaps.bySite) && s.gaps.bySite[si].Shards > 0 {
		return s.gaps.bySite[si].Err
	}
	return nil
}
