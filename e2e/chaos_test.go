package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/internal/testcluster"
)

// chaosDuration is how long the chaos test kills and restarts nodes:
// QUORUMKV_SOAK (a Go duration, `make soak` sets minutes), else a few
// seconds, so that `make test` runs a short version every time.
func chaosDuration(t *testing.T) time.Duration {
	if s := os.Getenv("QUORUMKV_SOAK"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("QUORUMKV_SOAK=%q: %v", s, err)
		}
		return d
	}
	return 8 * time.Second
}

// ackLog records every acknowledged write: key -> value.
type ackLog struct {
	mu   sync.Mutex
	acks map[string]string
}

func (a *ackLog) add(k, v string) {
	a.mu.Lock()
	a.acks[k] = v
	a.mu.Unlock()
}

// TestChaosKillRestartLosesNoAcknowledgedWrite writes from several clients
// while nodes are SIGKILLed and restarted one at a time (Dynamo §4.6: the
// store stays writeable with a node down), then reads back every write that
// was acknowledged with W=2: none may be lost.
func TestChaosKillRestartLosesNoAcknowledgedWrite(t *testing.T) {
	runChaos(t, 3, 1)
}

// TestChaosTwoDownOfFive is the same on 5 nodes with up to two down at a
// time (Dynamo §4.6): writes taken by fallbacks live on as hints, and a
// read right after the nodes return must still find every one, through
// the hints not yet delivered if need be.
func TestChaosTwoDownOfFive(t *testing.T) {
	runChaos(t, 5, 2)
}

func runChaos(t *testing.T, size, maxDown int) {
	cl := startCluster(t, size)
	urls := make([]string, len(cl.Nodes))
	for i, n := range cl.Nodes {
		urls[i] = n.URL()
	}
	acked := &ackLog{acks: map[string]string{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chaosWriter(t, strings.Join(urls, ","), w, acked, stop)
		}()
	}
	kills := chaosKills(t, cl, chaosDuration(t), maxDown)
	close(stop)
	wg.Wait()
	cl.WaitMembers(60*time.Second, cl.Nodes...)
	verifyAcked(t, cl, acked)
	t.Logf("%d node kills, %d acknowledged writes, all read back", kills, len(acked.acks))
}

// chaosWriter writes fresh keys until stop, logging each acknowledged one.
func chaosWriter(t *testing.T, urls string, w int, acked *ackLog, stop <-chan struct{}) {
	c, err := client.Connect(urls)
	if err != nil {
		t.Error(err)
		return
	}
	defer c.Close()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		key, val := fmt.Sprintf("chaos-%d-%06d", w, i), fmt.Sprintf("v%d-%d", w, i)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err := c.Put(ctx, key, []byte(val), client.WithW(2))
		cancel()
		if err == nil {
			acked.add(key, val)
		}
	}
}

// chaosKills SIGKILLs up to maxDown random nodes, restarts them on the
// same data dirs and waits for the cluster to heal, again and again for d.
func chaosKills(t *testing.T, cl *testcluster.Cluster, d time.Duration, maxDown int) int {
	seed := uint64(time.Now().UnixNano())
	t.Logf("chaos seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	deadline := time.Now().Add(d)
	kills := 0
	for time.Now().Before(deadline) {
		order := rng.Perm(len(cl.Nodes))
		victims := map[*testcluster.Node]bool{}
		for _, i := range order[:1+rng.IntN(maxDown)] {
			victims[cl.Nodes[i]] = true
			cl.Nodes[i].Kill()
			kills++
		}
		// Keep them down long enough for the others to notice and route
		// around them, so writes meet a detector that has caught up too.
		var others []*testcluster.Node
		for _, n := range cl.Nodes {
			if !victims[n] {
				others = append(others, n)
			}
		}
		cl.WaitMembers(30*time.Second, others...)
		for v := range victims {
			v.MustStart()
		}
		cl.WaitMembers(30*time.Second, cl.Nodes...)
	}
	return kills
}

func verifyAcked(t *testing.T, cl *testcluster.Cluster, acked *ackLog) {
	c := cl.Client(cl.Nodes[0])
	lost := 0
	for k, v := range acked.acks {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, err := c.Get(ctx, k, client.WithR(2))
		cancel()
		if err != nil && !errors.Is(err, client.ErrNotFound) {
			t.Fatalf("read %s: %v", k, err)
		}
		if err != nil || !containsValue(res, v) {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged write %s=%s lost: %v %v", k, v, res, err)
			}
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged writes lost", lost, len(acked.acks))
	}
}

func containsValue(r *client.Result, v string) bool {
	for _, x := range r.Values {
		if string(x.Data) == v {
			return true
		}
	}
	return false
}
