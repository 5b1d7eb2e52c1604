package monitor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/custodia-backup/custodia/repo"
)

// DefaultMaxAge is the age after which a group's newest snapshot is overdue
// when no WithMaxAge option is given: a daily backup with two hours of
// slack.
const DefaultMaxAge = 26 * time.Hour

// Report is the outcome of Check.
type Report struct {
	// Checked is when the check ran.
	Checked time.Time `json:"checked"`
	// MaxAge is the age after which a snapshot is overdue.
	MaxAge time.Duration `json:"max_age_ns"`
	// Groups holds one entry per group, in a stable order: the groups the
	// caller named first, in the order given, then the rest by name.
	Groups []GroupStatus `json:"groups"`
	// Sites holds one entry per site, in placement order.
	Sites []SiteStatus `json:"sites"`
	// Unreadable counts snapshots that could not be read; their groups may
	// look older than they are.
	Unreadable int `json:"unreadable_snapshots,omitempty"`
}

// GroupStatus is the state of one group of snapshots.
type GroupStatus struct {
	// Group names the group: "table NAME", "tag T", or
	// "host H, paths P1, P2".
	Group string `json:"group"`
	// Table and Tag are set for a table group and a tag group.
	Table string `json:"table,omitempty"`
	Tag   string `json:"tag,omitempty"`
	// Snapshots counts the group's snapshots.
	Snapshots int `json:"snapshots"`
	// Latest is the newest snapshot; nil when the group has none (a table
	// or tag the caller asked about that was never backed up).
	Latest *LatestSnapshot `json:"latest,omitempty"`
	// Age is how old the newest snapshot was at Checked.
	Age time.Duration `json:"age_ns"`
	// Overdue is true when the group has no snapshot or its newest is
	// older than MaxAge.
	Overdue bool `json:"overdue"`
}

// LatestSnapshot summarises a group's newest snapshot.
type LatestSnapshot struct {
	ID         string        `json:"id"`
	Time       time.Time     `json:"time"`
	Host       string        `json:"host"`
	Kind       string        `json:"kind"`
	Tags       []string      `json:"tags,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
	Bytes      uint64        `json:"bytes"`
	BytesAdded uint64        `json:"bytes_added"`
	Errors     uint64        `json:"errors,omitempty"`
}

// SiteStatus is the state of one site.
type SiteStatus struct {
	// Site is the site's URL with any secret removed.
	Site string `json:"site"`
	// Reachable is false for a site that could not be opened.
	Reachable bool `json:"reachable"`
}

// Healthy reports whether no group is overdue and every site is reachable.
func (r *Report) Healthy() bool {
	return len(r.OverdueGroups()) == 0 && len(r.UnreachableSites()) == 0
}

// OverdueGroups returns the names of the overdue groups.
func (r *Report) OverdueGroups() []string {
	var out []string
	for _, g := range r.Groups {
		if g.Overdue {
			out = append(out, g.Group)
		}
	}
	return out
}

// UnreachableSites returns the sites that could not be reached.
func (r *Report) UnreachableSites() []string {
	var out []string
	for _, s := range r.Sites {
		if !s.Reachable {
			out = append(out, s.Site)
		}
	}
	return out
}

// Check reads the snapshots of r and reports, for every group, how old its
// newest snapshot is, and which sites are reachable. With WithTag or
// WithTable it reports only the named groups, each overdue if it has no
// snapshot at all; without them it reports every group the repository
// holds. It fails only when the snapshots cannot be listed (a repository
// opened without the read capability gets repo's typed error); a snapshot
// that cannot be read is counted in Report.Unreadable.
func Check(ctx context.Context, r *repo.Repository, opts ...Option) (*Report, error) {
	o := options{maxAge: DefaultMaxAge, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.maxAge <= 0 {
		return nil, fmt.Errorf("monitor: maximum age %v is not positive", o.maxAge)
	}
	rep := &Report{Checked: o.now(), MaxAge: o.maxAge}

	named := len(o.tags)+len(o.tables) > 0
	groups := map[string]*GroupStatus{}
	var order []string
	add := func(key string, g GroupStatus) *GroupStatus {
		if p, ok := groups[key]; ok {
			return p
		}
		groups[key] = &g
		order = append(order, key)
		return &g
	}
	for _, t := range o.tables {
		add("table "+t, GroupStatus{Group: "table " + t, Table: t})
	}
	for _, t := range o.tags {
		add("tag "+t, GroupStatus{Group: "tag " + t, Tag: t})
	}

	// Listing first separates "cannot list at all" (an error) from "one
	// snapshot is unreadable" (counted).
	if _, err := r.SnapshotIDs(ctx); err != nil {
		return nil, err
	}
	for s, err := range r.Snapshots(ctx) {
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if errors.Is(err, repo.ErrWriteOnly) {
				return nil, err
			}
			rep.Unreadable++
			continue
		}
		var hit []*GroupStatus
		if named {
			if t := repo.TableOf(s); t != "" {
				if g, ok := groups["table "+t]; ok {
					hit = append(hit, g)
				}
			}
			for _, t := range o.tags {
				if slices.Contains(s.Tags, t) {
					hit = append(hit, groups["tag "+t])
				}
			}
		} else {
			k := repo.GroupOf(s)
			g := GroupStatus{Group: k.String(), Table: k.Table}
			key := k.String()
			if _, ok := groups[key]; !ok {
				add(key, g)
			}
			hit = append(hit, groups[key])
		}
		for _, g := range hit {
			g.Snapshots++
			if g.Latest == nil || s.Time.After(g.Latest.Time) {
				g.Latest = latestOf(s)
			}
		}
	}

	if !named {
		slices.Sort(order)
	}
	for _, key := range order {
		g := groups[key]
		if g.Latest != nil {
			g.Age = max(rep.Checked.Sub(g.Latest.Time), 0)
		}
		g.Overdue = g.Latest == nil || g.Age > o.maxAge
		rep.Groups = append(rep.Groups, *g)
	}

	down := map[string]bool{}
	for _, u := range r.Store().Unreachable() {
		down[u] = true
	}
	for _, u := range r.Store().Sites() {
		rep.Sites = append(rep.Sites, SiteStatus{Site: u, Reachable: !down[u]})
	}
	return rep, nil
}

func latestOf(s *repo.Snapshot) *LatestSnapshot {
	return &LatestSnapshot{
		ID:         s.ID.String(),
		Time:       s.Time,
		Host:       s.Host,
		Kind:       s.Kind,
		Tags:       slices.Clone(s.Tags),
		Duration:   s.Stats.Duration,
		Bytes:      s.Stats.Bytes,
		BytesAdded: s.Stats.BytesAdded,
		Errors:     s.Stats.Errors,
	}
}
