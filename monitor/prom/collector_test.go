package prom_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/monitor"
	"github.com/custodia-backup/custodia/monitor/prom"
)

// scrape serves the registry over HTTP as Prometheus would scrape it and
// parses the text exposition with Prometheus' own parser.
func scrape(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	f, ok := fams[name]
	require.True(t, ok, "metric %s missing", name)
next:
	for _, m := range f.Metric {
		for _, lp := range m.Label {
			if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		}
	}
	t.Fatalf("metric %s%v missing", name, labels)
	return 0
}

func TestCollector(t *testing.T) {
	when := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	rep := &monitor.Report{
		Checked: when.Add(30 * time.Hour),
		MaxAge:  26 * time.Hour,
		Groups: []monitor.GroupStatus{
			{Group: "table invoices", Table: "invoices", Snapshots: 7, Age: 30 * time.Hour, Overdue: true,
				Latest: &monitor.LatestSnapshot{ID: "ab", Time: when, Duration: 90 * time.Second, Bytes: 5000, BytesAdded: 120, Errors: 2}},
			{Group: "tag weekly", Tag: "weekly", Overdue: true},
		},
		Sites: []monitor.SiteStatus{{Site: "file:///a", Reachable: true}, {Site: "s3://b", Reachable: false}},
	}
	fail := false
	c := prom.NewCollector(func(ctx context.Context) (*monitor.Report, error) {
		if fail {
			return nil, errors.New("site down")
		}
		return rep, nil
	})
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))

	fams := scrape(t, reg)
	inv := map[string]string{"group": "table invoices", "table": "invoices"}
	assert.Equal(t, float64(when.Unix()), value(t, fams, "custodia_backup_last_success_timestamp_seconds", inv))
	assert.Equal(t, 90.0, value(t, fams, "custodia_backup_last_duration_seconds", inv))
	assert.Equal(t, 5000.0, value(t, fams, "custodia_backup_last_bytes", inv))
	assert.Equal(t, 120.0, value(t, fams, "custodia_backup_last_bytes_added", inv))
	assert.Equal(t, 2.0, value(t, fams, "custodia_backup_last_errors", inv))
	assert.Equal(t, 7.0, value(t, fams, "custodia_backup_snapshots", inv))
	assert.Equal(t, 1.0, value(t, fams, "custodia_backup_overdue", map[string]string{"tag": "weekly"}))
	assert.Equal(t, 1.0, value(t, fams, "custodia_site_up", map[string]string{"site": "file:///a"}))
	assert.Equal(t, 0.0, value(t, fams, "custodia_site_up", map[string]string{"site": "s3://b"}))
	assert.Equal(t, 1.0, value(t, fams, "custodia_check_success", nil))
	assert.Equal(t, 0.0, value(t, fams, "custodia_check_failures_total", nil))
	assert.Len(t, fams["custodia_backup_last_success_timestamp_seconds"].Metric, 1, "a group with no snapshot has no last-success time")

	fail = true
	fams = scrape(t, reg)
	assert.Equal(t, 0.0, value(t, fams, "custodia_check_success", nil))
	assert.Equal(t, 1.0, value(t, fams, "custodia_check_failures_total", nil))
	assert.NotContains(t, fams, "custodia_backup_overdue")
}
