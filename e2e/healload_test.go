package e2e

import (
	"context"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/internal/testcluster"
)

// TestRefillLatency measures what a refill by anti-entropy costs clients:
// the p99 of reads and writes while a wiped replica of 3 is refilled, next
// to the same load's p99 when the cluster is idle. It reports, never
// asserts, timings; `make bench-heal` runs it (QUORUMKV_HEAL_BENCH=keys).
func TestRefillLatency(t *testing.T) {
	keys, _ := strconv.Atoi(os.Getenv("QUORUMKV_HEAL_BENCH"))
	if keys <= 0 {
		t.Skip("a measurement, not a test: set QUORUMKV_HEAL_BENCH to a key count (make bench-heal)")
	}
	cl := clusterWith(t, 3)
	n3 := cl.Nodes[2]
	c := cl.Client(cl.Nodes[0])
	value := make([]byte, 1024)
	loadKeys(t, c, keys, value)
	idle := measureLoad(t, cl, keys, value, func(d time.Duration) bool { return d >= 10*time.Second })
	n3.Kill()
	if err := os.RemoveAll(n3.DataDir); err != nil {
		t.Fatal(err)
	}
	n3.MustStart()
	start := time.Now()
	var refill time.Duration
	during := measureLoad(t, cl, keys, value, func(time.Duration) bool {
		if metric(n3, "quorumkv_records") >= float64(keys) {
			refill = time.Since(start)
			return true
		}
		return time.Since(start) > 10*time.Minute
	})
	t.Logf("%d keys of 1 KiB, 8 clients (R=2 gets, W=2 puts, half each):", keys)
	t.Logf("idle:      get p50 %v p99 %v, put p50 %v p99 %v, %d ops", idle.get(50), idle.get(99), idle.put(50), idle.put(99), idle.ops())
	t.Logf("refilling: get p50 %v p99 %v, put p50 %v p99 %v, %d ops; refill took %v",
		during.get(50), during.get(99), during.put(50), during.put(99), during.ops(), refill.Round(time.Millisecond))
}

func loadKeys(t *testing.T, c *client.Client, keys int, value []byte) {
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < keys; i += 8 {
				if _, err := c.Put(context.Background(), spreadKey("load", i), value, client.WithW(3)); err != nil {
					t.Errorf("load %d: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

type latencies struct{ gets, puts []time.Duration }

func (l latencies) ops() int { return len(l.gets) + len(l.puts) }

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)].Round(10 * time.Microsecond)
}

func (l latencies) get(p int) time.Duration { return pct(l.gets, p) }
func (l latencies) put(p int) time.Duration { return pct(l.puts, p) }

// measureLoad runs 8 closed-loop clients over the first two nodes until
// done(elapsed) says to stop, checked every 100 ms.
func measureLoad(t *testing.T, cl *testcluster.Cluster, keys int, value []byte, done func(time.Duration) bool) latencies {
	stop := make(chan struct{})
	var mu sync.Mutex
	var out latencies
	var wg sync.WaitGroup
	for w := range 8 {
		c := cl.Client(cl.Nodes[w%2])
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := spreadKey("load", (i*7919+w*104729)%keys)
				began := time.Now()
				var err error
				if i%2 == 0 {
					_, err = c.Get(context.Background(), k, client.WithR(2))
				} else {
					_, err = c.Put(context.Background(), k, value, client.WithW(2))
				}
				d := time.Since(began)
				if err != nil {
					t.Errorf("%s: %v", k, err)
					return
				}
				mu.Lock()
				if i%2 == 0 {
					out.gets = append(out.gets, d)
				} else {
					out.puts = append(out.puts, d)
				}
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	testcluster.WaitFor(t, 15*time.Minute, "the measured phase to end", func() bool { return done(time.Since(start)) })
	close(stop)
	wg.Wait()
	return out
}
