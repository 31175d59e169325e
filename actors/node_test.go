package actors

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"testing"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/storage"
)

// startTestNode runs a node in this process on a free loopback port.
func startTestNode(tb testing.TB, sync storage.SyncMode) *Node {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	n, err := Start(Config{Name: "t1", DataDir: filepath.Join(tb.TempDir(), "data"), Listen: addr, Sync: sync})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = n.Stop() })
	return n
}

func connect(tb testing.TB, n *Node) *client.Client {
	tb.Helper()
	c, err := client.Connect(n.ClientURL())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

func TestNodeInProcess(t *testing.T) {
	n := startTestNode(t, storage.SyncAlways)
	c := connect(t, n)
	ctx := context.Background()
	if _, err := c.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	res, err := c.Get(ctx, "k")
	if err != nil || string(res.Values[0].Data) != "v" {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := c.Get(ctx, "k", client.WithNamespace("none")); !errors.Is(err, client.ErrUnknownNamespace) {
		t.Fatal(err)
	}
	st := n.status()
	if st.Node != "t1" || len(st.Members) != 1 || !st.Members[0].Up || st.Members[0].PrimaryPartitions != 256 {
		t.Fatalf("status: %v", st)
	}
	if len(st.Namespaces) != 1 || !st.Namespaces[0].UnderReplicated {
		t.Fatalf("a single node under-replicates the default namespace: %v", st.Namespaces)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal("second Stop must be a no-op:", err)
	}
}

// TestConcurrentWritersRace drives one node from many goroutines so that
// `go test -race` sees the partition, coordinator and router paths at once.
func TestConcurrentWritersRace(t *testing.T) {
	n := startTestNode(t, storage.SyncNone)
	c := connect(t, n)
	errs := make(chan error, 16)
	for w := range 16 {
		go func() {
			ctx := context.Background()
			for i := range 50 {
				key := fmt.Sprintf("k%d", i%10)
				res, err := c.Get(ctx, key)
				token := ""
				if err == nil || errors.Is(err, client.ErrNotFound) {
					token = res.Context
				} else {
					errs <- err
					return
				}
				if _, err := c.Put(ctx, key, []byte(fmt.Sprint(w, i)), client.WithCausalContext(token)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func benchmarkNode(b *testing.B, sync storage.SyncMode, get bool) {
	n := startTestNode(b, sync)
	createBenchNamespace(b, n)
	c := connect(b, n)
	val := make([]byte, 1024)
	ctx := context.Background()
	for i := range 1000 {
		if _, err := c.Put(ctx, fmt.Sprintf("key-%d", i), val, client.WithNamespace(benchNamespace)); err != nil {
			b.Fatal(err)
		}
	}
	b.SetParallelism(16) // 16 x GOMAXPROCS requests in flight
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			key := fmt.Sprintf("key-%d", i%1000)
			i++
			var err error
			if get {
				_, err = c.Get(ctx, key, client.WithNamespace(benchNamespace))
			} else {
				_, err = c.Put(ctx, key, val, client.WithNamespace(benchNamespace))
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// benchNamespace is last-write-wins, so blind benchmark writes replace each
// other instead of piling up siblings.
const benchNamespace = "bench"

func createBenchNamespace(b *testing.B, n *Node) {
	if _, err := n.ns.create(&messages.Namespace{Name: benchNamespace, N: 3, Mode: messages.ConflictMode_CONFLICT_MODE_LWW}); err != nil {
		b.Fatal(err)
	}
}

// The single-node put and get paths end to end: SDK over TCP to the
// node's embedded NATS server, coordinator, partition actor, Pebble.
func BenchmarkPutSyncAlways(b *testing.B) { benchmarkNode(b, storage.SyncAlways, false) }
func BenchmarkPutSyncNone(b *testing.B)   { benchmarkNode(b, storage.SyncNone, false) }
func BenchmarkGet(b *testing.B)           { benchmarkNode(b, storage.SyncNone, true) }
