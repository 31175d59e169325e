package actors

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/quorumkv/quorumkv/internal/buildinfo"
	"github.com/quorumkv/quorumkv/storage"
)

// buildInfo is the constant 1 labelled with the build, the Prometheus way
// of exporting strings, so that a dashboard can show which nodes run what.
func buildInfo() prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "quorumkv_build_info", Help: "The build this node runs: always 1, with version, commit and Go release as labels.",
		ConstLabels: prometheus.Labels{"version": buildinfo.Version(), "commit": buildinfo.Commit(), "go": buildinfo.GoVersion()},
	})
	g.Set(1)
	return g
}

// engineCollector exports the storage engine's own health figures, read
// from Pebble at each scrape (its Metrics call is cheap: counters and
// sums it keeps anyway).
type engineCollector struct {
	read  func() storage.Metrics
	descs map[string]*prometheus.Desc
}

// engineSeries names each exported figure, its help and whether it is a
// counter, in the order Collect emits them.
var engineSeries = []struct {
	name, help string
	counter    bool
	value      func(storage.Metrics) float64
}{
	{"quorumkv_pebble_disk_usage_bytes", "Bytes of the storage engine's live files (sstables, WAL, manifest).", false, func(m storage.Metrics) float64 { return float64(m.DiskUsageBytes) }},
	{"quorumkv_pebble_compaction_debt_bytes", "Estimated bytes compaction is behind by; a steady rise means writes outpace compaction.", false, func(m storage.Metrics) float64 { return float64(m.CompactionDebt) }},
	{"quorumkv_pebble_l0_files", "Sstables in level 0; a growing count precedes write stalls.", false, func(m storage.Metrics) float64 { return float64(m.L0Files) }},
	{"quorumkv_pebble_read_amplification", "Sstables and levels a point read may consult.", false, func(m storage.Metrics) float64 { return float64(m.ReadAmp) }},
	{"quorumkv_pebble_memtable_bytes", "Bytes held by memtables.", false, func(m storage.Metrics) float64 { return float64(m.MemTableBytes) }},
	{"quorumkv_pebble_block_cache_bytes", "Block cache bytes in use.", false, func(m storage.Metrics) float64 { return float64(m.BlockCacheBytes) }},
	{"quorumkv_pebble_block_cache_hits_total", "Block reads served from the block cache.", true, func(m storage.Metrics) float64 { return float64(m.BlockCacheHits) }},
	{"quorumkv_pebble_block_cache_misses_total", "Block reads that missed the block cache and went to disk.", true, func(m storage.Metrics) float64 { return float64(m.BlockCacheMisses) }},
	{"quorumkv_pebble_filter_hits_total", "Sstable reads a bloom filter avoided.", true, func(m storage.Metrics) float64 { return float64(m.FilterHits) }},
	{"quorumkv_pebble_wal_bytes_total", "Logical bytes written to the write-ahead log.", true, func(m storage.Metrics) float64 { return float64(m.WALBytesIn) }},
	{"quorumkv_pebble_wal_written_bytes_total", "Physical bytes written to the write-ahead log, with record overhead.", true, func(m storage.Metrics) float64 { return float64(m.WALBytesWritten) }},
	{"quorumkv_pebble_flushes_total", "Memtable flushes.", true, func(m storage.Metrics) float64 { return float64(m.Flushes) }},
	{"quorumkv_pebble_compactions_total", "Compactions completed.", true, func(m storage.Metrics) float64 { return float64(m.Compactions) }},
	{"quorumkv_pebble_corruptions_total", "Corrupt blocks the storage engine found (each also failed its read).", true, func(m storage.Metrics) float64 { return float64(m.Corruptions) }},
}

func newEngineCollector(read func() storage.Metrics) *engineCollector {
	c := &engineCollector{read: read, descs: map[string]*prometheus.Desc{}}
	for _, s := range engineSeries {
		c.descs[s.name] = prometheus.NewDesc(s.name, s.help, nil, nil)
	}
	return c
}

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, s := range engineSeries {
		ch <- c.descs[s.name]
	}
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.read()
	for _, s := range engineSeries {
		kind := prometheus.GaugeValue
		if s.counter {
			kind = prometheus.CounterValue
		}
		ch <- prometheus.MustNewConstMetric(c.descs[s.name], kind, s.value(m))
	}
}

// linkMetrics count what this node sends to each peer over its replica
// links: batches, bytes and failed sends. A peer's series appear with its
// first batch.
type linkMetrics struct {
	batches *prometheus.CounterVec
	bytes   *prometheus.CounterVec
	errors  *prometheus.CounterVec
}

func newLinkMetrics() *linkMetrics {
	vec := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"peer"})
	}
	return &linkMetrics{
		batches: vec("quorumkv_link_batches_total", "Replica batches this node sent to a peer (each one NATS message)."),
		bytes:   vec("quorumkv_link_bytes_total", "Payload bytes of the replica batches this node sent to a peer."),
		errors:  vec("quorumkv_link_errors_total", "Replica batches to a peer that failed to send or found no subscriber."),
	}
}

func (l *linkMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{l.batches, l.bytes, l.errors}
}

// peer returns the counters of one peer, looked up once per link so the
// send path does no label lookup.
func (l *linkMetrics) peer(id string) linkCounters {
	if l == nil {
		return linkCounters{}
	}
	return linkCounters{batches: l.batches.WithLabelValues(id), bytes: l.bytes.WithLabelValues(id), errors: l.errors.WithLabelValues(id)}
}

// linkCounters are one peer's link counters; the zero value counts nothing.
type linkCounters struct {
	batches, bytes, errors prometheus.Counter
}

func (c linkCounters) sent(n int) {
	if c.batches != nil {
		c.batches.Inc()
		c.bytes.Add(float64(n))
	}
}

func (c linkCounters) failed() {
	if c.errors != nil {
		c.errors.Inc()
	}
}
