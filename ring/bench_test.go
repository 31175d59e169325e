package ring

import (
	"fmt"
	"testing"
)

func BenchmarkPartitionOf(b *testing.B) {
	key := []byte("users/0000012345/profile")
	b.ReportAllocs()
	for b.Loop() {
		PartitionOf(key, DefaultPartitions)
	}
}

func BenchmarkPreferenceList(b *testing.B) {
	r := mustNew(b, DefaultPartitions, DefaultTokensPerWeight, withZones(nodes(12), 3))
	b.ReportAllocs()
	p := 0
	for b.Loop() {
		_ = r.PreferenceList(p)
		_ = r.Replicas(p, 3)
		p = (p + 1) & (DefaultPartitions - 1)
	}
}

func BenchmarkNew(b *testing.B) {
	for _, c := range []struct{ q, n int }{{256, 5}, {4096, 20}, {65536, 50}} {
		ms := withZones(nodes(c.n), 3)
		b.Run(fmt.Sprintf("q=%d/nodes=%d", c.q, c.n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				mustNew(b, c.q, DefaultTokensPerWeight, ms)
			}
		})
	}
}

// TestHotPathsDoNotAllocate enforces what the benchmarks report.
func TestHotPathsDoNotAllocate(t *testing.T) {
	r := mustNew(t, 1024, 32, withZones(nodes(9), 3))
	key := []byte("some/key")
	allocs := testing.AllocsPerRun(1000, func() {
		p := PartitionOf(key, 1024)
		_ = r.PreferenceList(p)
		_ = r.Replicas(p, 3)
		_ = r.PartitionOf(DefaultPlacement, key)
	})
	if allocs != 0 {
		t.Errorf("hot path allocates %.1f times per call", allocs)
	}
}
