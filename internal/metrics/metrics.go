// Package metrics defines opsboard's Prometheus metrics on a registry of its
// own, so tests can create as many servers as they like.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds every metric opsboard exports.
type Metrics struct {
	Registry        *prometheus.Registry
	RequestDuration *prometheus.HistogramVec // route, code
	QueryDuration   *prometheus.HistogramVec // query
	QueryErrors     *prometheus.CounterVec   // query
	CacheHits       *prometheus.CounterVec   // query
	CacheMisses     *prometheus.CounterVec   // query
	ViewCache       *prometheus.CounterVec   // dashboard, result (hit, miss)
	ReportRuns      *prometheus.CounterVec   // report, status
	Deliveries      *prometheus.CounterVec   // status
	Reloads         *prometheus.CounterVec   // result (ok, failed)
}

// New creates the metrics on a fresh registry.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		RequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "opsboard_http_request_duration_seconds", Help: "HTTP request latency by route and status code.",
			Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "code"}),
		QueryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "opsboard_query_duration_seconds", Help: "Database time of query runs (cache misses) by query.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"query"}),
		QueryErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opsboard_query_errors_total", Help: "Query runs that failed, by query.",
		}, []string{"query"}),
		CacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opsboard_query_cache_hits_total", Help: "Query results served from the cache, by query.",
		}, []string{"query"}),
		CacheMisses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opsboard_query_cache_misses_total", Help: "Query results that had to be computed, by query.",
		}, []string{"query"}),
		ViewCache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opsboard_view_cache_total", Help: "Dashboard pages served from the view cache (hit) or built (miss), by dashboard.",
		}, []string{"dashboard", "result"}),
		ReportRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opsboard_report_runs_total", Help: "Report runs by report and final status.",
		}, []string{"report", "status"}),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opsboard_deliveries_total", Help: "Report deliveries to one recipient, by outcome.",
		}, []string{"status"}),
		Reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opsboard_definition_reloads_total",
			Help: "Reloads of the definitions after a file changed, by result: ok (served from then on) or failed (the last good set stays).",
		}, []string{"result"}),
	}
	m.Registry.MustRegister(m.RequestDuration, m.QueryDuration, m.QueryErrors, m.CacheHits, m.CacheMisses,
		m.ViewCache, m.ReportRuns, m.Deliveries, m.Reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveQuery records one query run; it fits query.Options.Observe.
func (m *Metrics) ObserveQuery(name string, took time.Duration, cached bool, err error) {
	switch {
	case cached:
		m.CacheHits.WithLabelValues(name).Inc()
	case err != nil:
		m.CacheMisses.WithLabelValues(name).Inc()
		m.QueryErrors.WithLabelValues(name).Inc()
	default:
		m.CacheMisses.WithLabelValues(name).Inc()
		m.QueryDuration.WithLabelValues(name).Observe(took.Seconds())
	}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
