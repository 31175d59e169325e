package actors

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/quorumkv/quorumkv/messages"
)

// metrics are the node's Prometheus series, on a registry of its own so
// that nothing a library registers globally leaks into /metrics.
type metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	replicaOps  *prometheus.CounterVec
	readRepairs prometheus.Counter
	membersUp   prometheus.Gauge
	members     prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quorumkv_requests_total", Help: "Client requests coordinated by this node, by operation and result code.",
		}, []string{"op", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "quorumkv_request_duration_seconds", Help: "Time from a request's arrival to its answer.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 18),
		}, []string{"op"}),
		replicaOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quorumkv_replica_ops_total", Help: "Operations applied by this node's partition actors.",
		}, []string{"op"}),
		readRepairs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quorumkv_read_repairs_total", Help: "Stale replicas sent a merged record after a read.",
		}),
		membersUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quorumkv_members_up", Help: "Members this node sees as up, itself included.",
		}),
		members: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quorumkv_members", Help: "Members this node knows of, itself included.",
		}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.replicaOps, m.readRepairs, m.membersUp, m.members,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe records one answered request.
func (m *metrics) observe(op string, err *apiError, began time.Time) {
	code := messages.ErrorCode_ERROR_CODE_OK
	if err != nil {
		code = err.code
	}
	m.requests.WithLabelValues(op, code.String()).Inc()
	if !began.IsZero() {
		m.latency.WithLabelValues(op).Observe(time.Since(began).Seconds())
	}
}
