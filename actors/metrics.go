package actors

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"

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
	links       *linkMetrics

	// Healing. The gauges are sums the partition actors keep current.
	records          atomic.Int64 // records stored here, tombstones included
	tombstones       atomic.Int64 // tombstone-only records
	hints            atomic.Int64 // (key, target) pairs awaiting delivery
	hintsDelivered   prometheus.Counter
	hintsDropped     prometheus.Counter
	aeExchanges      prometheus.Counter
	aeKeysRepaired   prometheus.Counter
	aeBytes          prometheus.Counter
	tombstonesReaped prometheus.Counter
	treeRebuilds     prometheus.Counter

	// Ownership transfers.
	transferSent       atomic.Int64 // record bytes served to new owners
	transferReceived   atomic.Int64 // record bytes received as a new owner
	transferRecords    prometheus.Counter
	transfersCompleted prometheus.Counter
	transferFailures   prometheus.Counter
	transfersActive    atomic.Int64
	partitionsPending  atomic.Int64 // partitions this node gains and does not hold yet
}

func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
}

func gaugeOf(name, help string, v *atomic.Int64) prometheus.GaugeFunc {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
		func() float64 { return float64(v.Load()) })
}

func counterOf(name, help string, v *atomic.Int64) prometheus.CounterFunc {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
		func() float64 { return float64(v.Load()) })
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
		links: newLinkMetrics(),
	}
	// A node starts as a cluster of one that it sees up; the membership
	// actor keeps these current from then on.
	m.members.Set(1)
	m.membersUp.Set(1)
	m.registry.MustRegister(buildInfo())
	m.registry.MustRegister(m.links.collectors()...)
	m.hintsDelivered = counter("quorumkv_hints_delivered_total", "Hints delivered to their home node and deleted here.")
	m.hintsDropped = counter("quorumkv_hints_dropped_total", "Hints dropped past a count, byte or age bound (anti-entropy repairs what they held).")
	m.aeExchanges = counter("quorumkv_antientropy_exchanges_total", "Merkle tree exchanges this node ran with a peer replica.")
	m.aeKeysRepaired = counter("quorumkv_antientropy_keys_repaired_total", "Keys an anti-entropy exchange found different and merged (on either side).")
	m.aeBytes = counter("quorumkv_antientropy_bytes_total", "Payload bytes of the anti-entropy calls this node made to peers, requests and replies.")
	m.tombstonesReaped = counter("quorumkv_tombstones_reaped_total", "Tombstones removed here after every home replica held them and the grace period passed.")
	m.treeRebuilds = counter("quorumkv_merkle_rebuilds_total", "Merkle tree rebuilds of a partition from storage.")
	m.transferRecords = counter("quorumkv_transfer_records_total", "Records this node received in ownership transfers.")
	m.transfersCompleted = counter("quorumkv_transfers_completed_total", "Partitions this node received in full by ownership transfer.")
	m.transferFailures = counter("quorumkv_transfer_failures_total", "Ownership transfer attempts that stopped on an error (each is retried).")
	m.registry.MustRegister(m.transferRecords,
		counterOf("quorumkv_transfer_sent_bytes_total", "Record bytes this node served to new owners in ownership transfers.", &m.transferSent),
		counterOf("quorumkv_transfer_received_bytes_total", "Record bytes this node received as a new owner in ownership transfers.", &m.transferReceived), m.transfersCompleted, m.transferFailures,
		gaugeOf("quorumkv_transfers_active", "Ownership transfers into this node under way.", &m.transfersActive),
		gaugeOf("quorumkv_partitions_pending", "Partitions this node gains in a membership change and does not hold yet.", &m.partitionsPending))
	m.registry.MustRegister(m.requests, m.latency, m.replicaOps, m.readRepairs, m.membersUp, m.members,
		m.hintsDelivered, m.hintsDropped, m.aeExchanges, m.aeKeysRepaired, m.aeBytes, m.tombstonesReaped, m.treeRebuilds,
		gaugeOf("quorumkv_records", "Records stored on this node, tombstones included.", &m.records),
		gaugeOf("quorumkv_tombstones", "Tombstone-only records stored on this node.", &m.tombstones),
		gaugeOf("quorumkv_hints", "Hints waiting for delivery, one per key and home node.", &m.hints),
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

// counterValue reads a counter's current value (for admin replies).
func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return 0
	}
	return m.GetCounter().GetValue()
}
