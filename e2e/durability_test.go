package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/internal/testcluster"
)

// TestKillMidStreamLosesNoAcknowledgedWrite writes keys from several
// clients, SIGKILLs the node while writes are in flight, restarts it on the
// same data dir and reads every write that was acknowledged.
func TestKillMidStreamLosesNoAcknowledgedWrite(t *testing.T) {
	n := startSingle(t)
	c := testcluster.Connect(t, n)

	const writers, minAcked = 8, 1000
	var acked sync.Map // key -> value
	var count atomic.Int64
	killed := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-killed:
					return
				default:
				}
				key, val := fmt.Sprintf("w%d-%06d", w, i), fmt.Sprintf("value-%d-%d", w, i)
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				_, err := c.Put(ctx, key, []byte(val), client.WithCausalContext(""))
				cancel()
				if err == nil {
					acked.Store(key, val)
					count.Add(1)
				}
			}
		}()
	}
	// Kill mid-stream once enough writes are acknowledged, with writers
	// still going.
	testcluster.WaitFor(t, 60*time.Second, "1,500 acknowledged writes", func() bool { return count.Load() >= minAcked+500 })
	n.Kill()
	close(killed)
	wg.Wait()
	total := count.Load()

	n.MustStart()
	c2 := testcluster.Connect(t, n)
	lost := 0
	acked.Range(func(k, v any) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := c2.Get(ctx, k.(string))
		if err != nil || len(res.Values) != 1 || string(res.Values[0].Data) != v.(string) {
			lost++
			if lost < 5 {
				t.Errorf("acknowledged write %s=%s lost: %+v %v", k, v, res, err)
			}
		}
		return true
	})
	t.Logf("acknowledged before SIGKILL: %d, lost after restart: %d", total, lost)
	if total < minAcked || lost != 0 {
		t.Fatalf("acknowledged %d (want >= %d), lost %d (want 0)", total, minAcked, lost)
	}
}

func TestNodeRefusesBadDataDir(t *testing.T) {
	t.Run("partition count differs", func(t *testing.T) {
		n := testcluster.NewNode(t, testcluster.NodeOptions{Name: "q", Partitions: 64})
		n.MustStart()
		if err := n.Stop(); err != nil {
			t.Fatalf("clean stop: %v", err)
		}
		n.Opts.Partitions = 128
		err := n.Start()
		if err == nil || !strings.Contains(n.Log(), "64") || !strings.Contains(n.Log(), "128") {
			t.Fatalf("want a refusal naming both partition counts, got %v\n%s", err, n.Log())
		}
	})
	t.Run("garbage data dir", func(t *testing.T) {
		n := testcluster.NewNode(t, testcluster.NodeOptions{Name: "g"})
		if err := os.MkdirAll(n.DataDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"MANIFEST-000001", "CURRENT", "000002.log"} {
			if err := os.WriteFile(filepath.Join(n.DataDir, f), []byte("not pebble"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.Start(); err == nil {
			t.Fatalf("node started on a garbage data dir\n%s", n.Log())
		}
		if !strings.Contains(n.Log(), "data dir") {
			t.Fatalf("want a clear message about the data dir:\n%s", n.Log())
		}
	})
	t.Run("data dir is a file", func(t *testing.T) {
		n := testcluster.NewNode(t, testcluster.NodeOptions{Name: "f"})
		if err := os.WriteFile(n.DataDir, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := n.Start(); err == nil {
			t.Fatalf("node started on a file\n%s", n.Log())
		}
	})
	t.Run("name differs from the data dir's", func(t *testing.T) {
		n := testcluster.NewNode(t, testcluster.NodeOptions{Name: "first"})
		n.MustStart()
		n.Kill()
		n.Opts.Name = "second"
		if err := n.Start(); err == nil || !strings.Contains(n.Log(), `belongs to node "first"`) {
			t.Fatalf("want refusal, got %v\n%s", err, n.Log())
		}
	})
}

func TestSIGTERMShutsDownCleanly(t *testing.T) {
	n := startSingle(t)
	c := testcluster.Connect(t, n)
	if _, err := c.Put(testCtx(t), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := n.Stop(); err != nil {
		t.Fatalf("SIGTERM exit: %v\n%s", err, n.Log())
	}
	if !strings.Contains(n.Log(), "node stopped") {
		t.Fatalf("no clean-stop line in log:\n%s", n.Log())
	}
	n.MustStart()
	res, err := testcluster.Connect(t, n).Get(testCtx(t), "k")
	if err != nil || string(res.Values[0].Data) != "v" {
		t.Fatalf("after restart: %+v %v", res, err)
	}
}
