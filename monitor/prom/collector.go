// Package prom exposes a repository's monitoring report (package monitor)
// as Prometheus metrics. It is kept apart from the core packages so that
// only a host that serves metrics carries the Prometheus client.
//
// Each scrape runs the check function given to NewCollector (usually
// monitor.Check on an open repository) and reports, per group of
// snapshots (label group, with table or tag when it is one):
//
//	custodia_backup_last_success_timestamp_seconds  time of the newest snapshot
//	custodia_backup_last_duration_seconds           how long it took
//	custodia_backup_last_bytes                      bytes it covers
//	custodia_backup_last_bytes_added                new bytes it stored
//	custodia_backup_last_errors                     files it had to skip
//	custodia_backup_snapshots                       snapshots in the group
//	custodia_backup_overdue                         1 when older than the maximum age (or none)
//
// and per site custodia_site_up (1 reachable, 0 not), and for the check
// itself custodia_check_success (1 when it ran) and
// custodia_check_failures_total.
package prom

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/custodia-backup/custodia/monitor"
)

// CheckFunc produces a fresh report; NewCollector calls it on every scrape.
type CheckFunc func(ctx context.Context) (*monitor.Report, error)

// Collector is a prometheus.Collector over a CheckFunc. It is safe for
// concurrent scrapes.
type Collector struct {
	check   CheckFunc
	timeout time.Duration
	fails   atomic.Uint64

	lastSuccess, lastDuration, lastBytes, lastAdded, lastErrors *prometheus.Desc
	snapshots, overdue, siteUp, checkOK, checkFails             *prometheus.Desc
}

// Option configures a Collector.
type Option func(*Collector)

// WithTimeout bounds each scrape's check (default 30 s).
func WithTimeout(d time.Duration) Option { return func(c *Collector) { c.timeout = d } }

// NewCollector returns a collector that runs check on every scrape.
func NewCollector(check CheckFunc, opts ...Option) *Collector {
	group := []string{"group", "table", "tag"}
	c := &Collector{
		check:        check,
		timeout:      30 * time.Second,
		lastSuccess:  prometheus.NewDesc("custodia_backup_last_success_timestamp_seconds", "Time of the group's newest snapshot.", group, nil),
		lastDuration: prometheus.NewDesc("custodia_backup_last_duration_seconds", "How long the group's newest backup took.", group, nil),
		lastBytes:    prometheus.NewDesc("custodia_backup_last_bytes", "Bytes covered by the group's newest snapshot.", group, nil),
		lastAdded:    prometheus.NewDesc("custodia_backup_last_bytes_added", "New bytes stored by the group's newest backup.", group, nil),
		lastErrors:   prometheus.NewDesc("custodia_backup_last_errors", "Files the group's newest backup had to skip.", group, nil),
		snapshots:    prometheus.NewDesc("custodia_backup_snapshots", "Snapshots in the group.", group, nil),
		overdue:      prometheus.NewDesc("custodia_backup_overdue", "1 when the group has no snapshot newer than the maximum age.", group, nil),
		siteUp:       prometheus.NewDesc("custodia_site_up", "1 when the site is reachable.", []string{"site"}, nil),
		checkOK:      prometheus.NewDesc("custodia_check_success", "1 when the last check of the repository ran.", nil, nil),
		checkFails:   prometheus.NewDesc("custodia_check_failures_total", "Checks of the repository that failed.", nil, nil),
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Describe sends the descriptors of every metric.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.lastSuccess, c.lastDuration, c.lastBytes, c.lastAdded,
		c.lastErrors, c.snapshots, c.overdue, c.siteUp, c.checkOK, c.checkFails} {
		ch <- d
	}
}

// Collect runs the check and sends the metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	rep, err := c.check(ctx)
	if err != nil {
		c.fails.Add(1)
		ch <- prometheus.MustNewConstMetric(c.checkOK, prometheus.GaugeValue, 0)
		ch <- prometheus.MustNewConstMetric(c.checkFails, prometheus.CounterValue, float64(c.fails.Load()))
		return
	}
	ch <- prometheus.MustNewConstMetric(c.checkOK, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(c.checkFails, prometheus.CounterValue, float64(c.fails.Load()))
	for _, g := range rep.Groups {
		l := []string{g.Group, g.Table, g.Tag}
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
		}
		gauge(c.snapshots, float64(g.Snapshots))
		gauge(c.overdue, b2f(g.Overdue))
		if s := g.Latest; s != nil {
			gauge(c.lastSuccess, float64(s.Time.UnixNano())/1e9)
			gauge(c.lastDuration, s.Duration.Seconds())
			gauge(c.lastBytes, float64(s.Bytes))
			gauge(c.lastAdded, float64(s.BytesAdded))
			gauge(c.lastErrors, float64(s.Errors))
		}
	}
	for _, s := range rep.Sites {
		ch <- prometheus.MustNewConstMetric(c.siteUp, prometheus.GaugeValue, b2f(s.Reachable), s.Site)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
