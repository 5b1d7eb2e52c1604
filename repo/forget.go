package repo

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// KeepPolicy holds restic's keep rules, applied to each group of snapshots
// separately (see ApplyForget). A count of -1 means "no limit"; 0 turns the
// rule off.
type KeepPolicy struct {
	// Last keeps the Last most recent snapshots.
	Last int
	// Hourly, Daily, Weekly, Monthly and Yearly keep, for that many of the
	// most recent hours (days, ISO weeks, months, years) that have a
	// snapshot, the most recent snapshot of each.
	Hourly, Daily, Weekly, Monthly, Yearly int
	// Within keeps every snapshot taken within this span of the group's
	// most recent snapshot (not of the current time, as restic does).
	Within Span
	// Tags keeps every snapshot that has all the tags of any entry; an
	// entry may list several tags separated by commas ("a,b" needs both).
	Tags []string
	// Location is the time zone in which hours, days, weeks, months and
	// years are counted; nil means time.Local.
	Location *time.Location
}

// Empty reports whether the policy has no rule, so that it would keep
// nothing.
func (p KeepPolicy) Empty() bool {
	return p.Last == 0 && p.Hourly == 0 && p.Daily == 0 && p.Weekly == 0 && p.Monthly == 0 &&
		p.Yearly == 0 && p.Within.IsZero() && len(p.Tags) == 0
}

func (p KeepPolicy) validate() error {
	for _, n := range []int{p.Last, p.Hourly, p.Daily, p.Weekly, p.Monthly, p.Yearly} {
		if n < -1 {
			return fmt.Errorf("%w: a keep count must be -1 (all), 0 (off) or positive, not %d", ErrBadPolicy, n)
		}
	}
	if p.Empty() {
		return fmt.Errorf("%w: no keep rule given; forget would remove every snapshot", ErrBadPolicy)
	}
	return nil
}

// ForgetOptions selects snapshots for ApplyForget and says how to decide.
type ForgetOptions struct {
	// Policy is the keep rules.
	Policy KeepPolicy
	// Hosts, when not empty, restricts forget to snapshots of these hosts.
	Hosts []string
	// Tags, when not empty, restricts forget to snapshots having all the
	// tags of any entry ("a,b" needs both).
	Tags []string
	// Tables, when not empty, restricts forget to snapshots of these tables.
	Tables []string
	// Floors are the repository's retention floors; they outrank the keep
	// rules.
	Floors []RetentionFloor
	// Now is the current time for the floors; zero means time.Now().
	Now time.Time
}

// GroupKey names a group of snapshots to which the keep rules are applied
// separately: snapshots of one table, or else of one host and one set of
// paths.
type GroupKey struct {
	Host  string   `json:"host,omitempty"`
	Paths []string `json:"paths,omitempty"`
	Table string   `json:"table,omitempty"`
}

func (k GroupKey) String() string {
	if k.Table != "" {
		return "table " + k.Table
	}
	return fmt.Sprintf("host %s, paths %s", k.Host, strings.Join(k.Paths, ", "))
}

// ForgetDecision is what ApplyForget decided for one snapshot, and why.
type ForgetDecision struct {
	Snapshot *Snapshot
	// Reasons lists why a kept snapshot is kept ("last snapshot", "daily
	// snapshot", "within 30d", "has tags a", "retention floor …").
	Reasons []string
	// Floor is the retention floor that held a snapshot the keep rules
	// would have removed; nil otherwise.
	Floor *RetentionFloor
}

// ForgetGroup is the decision for one group, newest snapshot first.
type ForgetGroup struct {
	Key    GroupKey
	Keep   []ForgetDecision
	Remove []ForgetDecision
}

// ForgetPlan is the outcome of ApplyForget.
type ForgetPlan struct {
	Groups []ForgetGroup
}

// Remove returns the snapshots the plan removes, oldest first.
func (p *ForgetPlan) Remove() []*Snapshot {
	var out []*Snapshot
	for _, g := range p.Groups {
		for _, d := range g.Remove {
			out = append(out, d.Snapshot)
		}
	}
	SortSnapshots(out)
	return out
}

// TableOf returns the table a snapshot backs up, or "" for a snapshot of
// files or a stream. Snapshots of one table form one group.
func TableOf(s *Snapshot) string {
	if s.Kind != KindTable {
		return ""
	}
	if s.Table != nil && s.Table.Name != "" {
		return s.Table.Name
	}
	if len(s.Paths) > 0 {
		return s.Paths[0]
	}
	return ""
}

// GroupOf returns the group of a snapshot.
func GroupOf(s *Snapshot) GroupKey {
	if t := TableOf(s); t != "" {
		return GroupKey{Table: t}
	}
	return GroupKey{Host: s.Host, Paths: slices.Clone(s.Paths)}
}

// hasTagSet reports whether s has every tag of the comma-separated set.
func hasTagSet(s *Snapshot, set string) bool {
	for t := range strings.SplitSeq(set, ",") {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(s.Tags, t) {
			return false
		}
	}
	return true
}

func matchesAnyTagSet(s *Snapshot, sets []string) bool {
	return slices.ContainsFunc(sets, func(set string) bool { return hasTagSet(s, set) })
}

func (o *ForgetOptions) selects(s *Snapshot) bool {
	if len(o.Hosts) > 0 && !slices.Contains(o.Hosts, s.Host) {
		return false
	}
	if len(o.Tags) > 0 && !matchesAnyTagSet(s, o.Tags) {
		return false
	}
	if len(o.Tables) > 0 && !slices.Contains(o.Tables, TableOf(s)) {
		return false
	}
	return true
}

// A bucketer maps a snapshot (its time in the policy's zone, and its
// position newest-first) to the bucket a keep rule counts.
type bucketer struct {
	count  int
	reason string
	key    func(t time.Time, nr int) int
	last   int
}

// ApplyForget decides, group by group, which snapshots to keep and which to
// remove, with restic's semantics:
//
//   - snapshots not selected by the filters (Hosts, Tags, Tables) are left
//     alone and appear in no group;
//   - the selected ones are grouped by table, or else by host and paths,
//     and each group is sorted newest first (ties: higher ID first);
//   - a snapshot is kept when any rule keeps it: one of the Last newest;
//     the newest in each of the Hourly/Daily/… most recent hours/days/ISO
//     weeks/months/years that have a snapshot (in Policy.Location);
//     within Policy.Within of the group's newest snapshot; or tagged with
//     a set of Policy.Tags;
//   - a snapshot the rules would remove but that a retention floor holds
//     (it has the floor's tag or table and is younger than the floor's
//     minimum at Now) is kept, naming the floor.
//
// It is a pure function of its inputs; it does not change any snapshot.
func ApplyForget(snaps []*Snapshot, opts ForgetOptions) (*ForgetPlan, error) {
	if err := opts.Policy.validate(); err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	loc := opts.Policy.Location
	if loc == nil {
		loc = time.Local
	}
	groups := map[string][]*Snapshot{}
	keys := map[string]GroupKey{}
	for _, s := range snaps {
		if !opts.selects(s) {
			continue
		}
		k := GroupOf(s)
		ks := k.Table + "\x00" + k.Host + "\x00" + strings.Join(k.Paths, "\x00")
		groups[ks] = append(groups[ks], s)
		keys[ks] = k
	}
	plan := &ForgetPlan{}
	for _, ks := range slices.Sorted(maps.Keys(groups)) {
		g := applyGroup(groups[ks], opts, loc, now)
		g.Key = keys[ks]
		plan.Groups = append(plan.Groups, g)
	}
	return plan, nil
}

func applyGroup(list []*Snapshot, opts ForgetOptions, loc *time.Location, now time.Time) ForgetGroup {
	list = slices.Clone(list)
	slices.SortFunc(list, func(a, b *Snapshot) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return cmp.Compare(b.ID.String(), a.ID.String())
	})
	p := opts.Policy
	buckets := []bucketer{
		{count: p.Last, reason: "last snapshot", key: func(_ time.Time, nr int) int { return nr }},
		{count: p.Hourly, reason: "hourly snapshot", key: func(t time.Time, _ int) int {
			return t.Year()*1000000 + int(t.Month())*10000 + t.Day()*100 + t.Hour()
		}},
		{count: p.Daily, reason: "daily snapshot", key: func(t time.Time, _ int) int {
			return t.Year()*10000 + int(t.Month())*100 + t.Day()
		}},
		{count: p.Weekly, reason: "weekly snapshot", key: func(t time.Time, _ int) int {
			y, w := t.ISOWeek()
			return y*100 + w
		}},
		{count: p.Monthly, reason: "monthly snapshot", key: func(t time.Time, _ int) int {
			return t.Year()*100 + int(t.Month())
		}},
		{count: p.Yearly, reason: "yearly snapshot", key: func(t time.Time, _ int) int { return t.Year() }},
	}
	for i := range buckets {
		buckets[i].last = -1
	}
	var g ForgetGroup
	var within time.Time
	if len(list) > 0 && !p.Within.IsZero() {
		within = p.Within.SubFrom(list[0].Time)
	}
	for nr, s := range list {
		var reasons []string
		for _, set := range p.Tags {
			if hasTagSet(s, set) {
				reasons = append(reasons, "has tags "+set)
			}
		}
		if !within.IsZero() && s.Time.After(within) {
			reasons = append(reasons, "within "+p.Within.String())
		}
		t := s.Time.In(loc)
		for i := range buckets {
			b := &buckets[i]
			if b.count == 0 {
				continue
			}
			if v := b.key(t, nr); v != b.last {
				b.last = v
				if b.count > 0 {
					b.count--
				}
				reasons = append(reasons, b.reason)
			}
		}
		d := ForgetDecision{Snapshot: s, Reasons: reasons}
		for i := range opts.Floors {
			f := &opts.Floors[i]
			if f.Holds(s, now) {
				d.Reasons = append(d.Reasons, f.Reason())
				if len(reasons) == 0 && d.Floor == nil {
					d.Floor = f
				}
			}
		}
		if len(d.Reasons) > 0 {
			g.Keep = append(g.Keep, d)
		} else {
			g.Remove = append(g.Remove, d)
		}
	}
	return g
}
