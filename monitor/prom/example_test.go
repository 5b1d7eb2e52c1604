package prom_test

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/custodia-backup/custodia/monitor"
	"github.com/custodia-backup/custodia/monitor/prom"
	"github.com/custodia-backup/custodia/repo"
)

// Serving a repository's backup freshness and site health on /metrics.
func ExampleNewCollector() {
	var r *repo.Repository // opened by the host at start-up
	check := func(ctx context.Context) (*monitor.Report, error) {
		return monitor.Check(ctx, r, monitor.WithTable("invoices"), monitor.WithTable("invoice_lines"))
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(prom.NewCollector(check))
	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	// http.ListenAndServe("127.0.0.1:9464", nil)
}
