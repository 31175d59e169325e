package storage

// Metrics is a snapshot of pebble's health figures, as plain numbers for a
// Prometheus collector. Counters (monotonic since Open) and gauges are
// marked.
type Metrics struct {
	BlockCacheHits   int64 // counter: block reads served from the cache
	BlockCacheMisses int64 // counter: block reads that went to disk
	BlockCacheBytes  int64 // gauge: cache bytes in use, including memtable reservations
	FilterHits       int64 // counter: sstable reads a bloom filter avoided
	FilterMisses     int64 // counter: bloom filter checks that could not avoid a read

	MemTableBytes   uint64 // gauge: bytes held by memtables
	WALBytesIn      uint64 // counter: logical bytes written to the WAL
	WALBytesWritten uint64 // counter: physical WAL bytes, with record overhead
	Flushes         int64  // counter: memtable flushes
	Compactions     int64  // counter: compactions completed
	CompactionDebt  uint64 // gauge: estimated bytes compaction is behind by
	L0Files         int64  // gauge: sstables in L0; a growing count precedes write stalls
	ReadAmp         int    // gauge: sstables/levels a point read may consult
	DiskUsageBytes  uint64 // gauge: bytes of all live files (sstables, WAL, MANIFEST)
	Corruptions     int64  // counter: corrupt blocks pebble found (each also fails its read)
}

// Metrics returns current figures; zero after Close.
func (d *DB) Metrics() (out Metrics) {
	if d.acquire() != nil {
		return Metrics{}
	}
	var err error
	defer d.done(&err) // a fatal error here leaves out zero
	m := d.db.Metrics()
	out = Metrics{
		BlockCacheHits:   m.BlockCache.Hits,
		BlockCacheMisses: m.BlockCache.Misses,
		BlockCacheBytes:  m.BlockCache.Size,
		FilterHits:       m.Filter.Hits,
		FilterMisses:     m.Filter.Misses,
		MemTableBytes:    m.MemTable.Size,
		WALBytesIn:       m.WAL.BytesIn,
		WALBytesWritten:  m.WAL.BytesWritten,
		Flushes:          m.Flush.Count,
		Compactions:      m.Compact.Count,
		CompactionDebt:   m.Compact.EstimatedDebt,
		L0Files:          m.Levels[0].TablesCount,
		ReadAmp:          m.ReadAmp(),
		DiskUsageBytes:   m.DiskSpaceUsage(),
		Corruptions:      d.corruptions.Load(),
	}
	return out
}
