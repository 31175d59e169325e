package storage

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/quorumkv/quorumkv/vclock"
)

// These are the raw Pebble ceiling figures: a real directory (t.TempDir, on
// whatever disk the machine has), default cache and memtable sizes, 1 KiB
// values in a one-sibling record. Run with -benchmem.

const benchValueSize = 1 << 10

func benchRecord() vclock.Record {
	v := make([]byte, benchValueSize)
	_, _ = rand.Read(v) // incompressible, like most user values
	return vclock.Record{
		Siblings: []vclock.Sibling{{Dot: vclock.Dot{Node: "node-1", Counter: 1}, Value: v, ContentType: "application/octet-stream", Timestamp: 1}},
		Context:  vclock.VV{{Node: "node-1", Counter: 1, Time: 1}},
	}
}

func openBench(b *testing.B, sync SyncMode) *DB {
	b.Helper()
	d, err := Open(b.TempDir(), Options{Partitions: 64, Sync: sync})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = d.Close() })
	return d
}

// benchKey spreads keys over partitions like a hash ring would; the key
// bytes themselves are precomputed so that formatting is not measured.
func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("user:%08d", i)
	}
	return keys
}

func BenchmarkPut(b *testing.B) {
	for _, mode := range []SyncMode{SyncNone, SyncAlways} {
		b.Run(mode.String()+"/serial", func(b *testing.B) { benchPutSerial(b, mode) })
		b.Run(mode.String()+"/parallel", func(b *testing.B) { benchPutParallel(b, mode) })
	}
	// The partition-actor pattern: one goroutine applies Puts back to back,
	// another Waits and would reply. Durable throughput of one writer
	// without waiting on fsync in its loop.
	b.Run("always/pipelined", benchPutPipelined)
}

func benchPutSerial(b *testing.B, mode SyncMode) {
	d, r, keys := openBench(b, mode), benchRecord(), benchKeys(1<<16)
	b.SetBytes(benchValueSize)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		putBench(b, d, i, keys[i&(len(keys)-1)], r)
		i++
	}
}

// benchPutParallel runs 16 writers per CPU, each Put then Wait: with
// SyncAlways, concurrent commits share WAL fsyncs (group commit).
func benchPutParallel(b *testing.B, mode SyncMode) {
	d, r, keys := openBench(b, mode), benchRecord(), benchKeys(1<<16)
	var next atomic.Int64
	b.SetBytes(benchValueSize)
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1))
			putBench(b, d, i, keys[i&(len(keys)-1)], r)
		}
	})
}

func putBench(b *testing.B, d *DB, i int, key string, r vclock.Record) {
	pend, err := d.Put(i%d.Partitions(), "bench", key, r)
	if err == nil {
		err = pend.Wait()
	}
	if err != nil {
		b.Fatal(err)
	}
}

func benchPutPipelined(b *testing.B) {
	d, r, keys := openBench(b, SyncAlways), benchRecord(), benchKeys(1<<16)
	pending := make(chan Pending, 4096)
	var wg sync.WaitGroup
	wg.Go(func() {
		for p := range pending {
			if err := p.Wait(); err != nil {
				b.Error(err)
			}
		}
	})
	b.SetBytes(benchValueSize)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p, err := d.Put(i%d.Partitions(), "bench", keys[i&(len(keys)-1)], r)
		if err != nil {
			b.Fatal(err)
		}
		pending <- p
		i++
	}
	close(pending)
	wg.Wait()
}

// BenchmarkGet reads keys that exist from sstables, through bloom filters and
// the block cache (warm: the data set fits the default 256 MiB cache).
func BenchmarkGet(b *testing.B) {
	const n = 1 << 16 // 64 Ki records, ~70 MiB
	d, r, keys := openBench(b, SyncNone), benchRecord(), benchKeys(n)
	for i, k := range keys {
		putBench(b, d, i, k, r)
	}
	// Flush and compact everything into the bottom level: reads then take a
	// stable path, and no background compaction competes with the timing.
	if err := d.db.Compact(context.Background(), []byte{0}, []byte{0xff}, true); err != nil {
		b.Fatal(err)
	}
	get := func(i int) {
		_, found, err := d.Get(i%d.Partitions(), "bench", keys[i&(n-1)])
		if err != nil || !found {
			b.Fatalf("Get %d: found=%v err=%v", i, found, err)
		}
	}
	for i := range n { // warm the block cache: measure hits, not first reads
		get(i)
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			get(i * 7919) // a stride, so consecutive reads hit different blocks
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		var next atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get(int(next.Add(1)) * 7919)
			}
		})
	})
}
