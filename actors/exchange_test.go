package actors

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/members"
	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/ring"
	"github.com/quorumkv/quorumkv/vclock"
)

func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startPair runs two routed nodes in this process, with anti-entropy
// rounds far apart so that a test drives exchanges itself, and waits until
// each sees both up and active (they join each other).
func startPair(tb testing.TB) (*Node, *Node) {
	tb.Helper()
	routes := []string{freeAddr(tb), freeAddr(tb)}
	var nodes []*Node
	for i, name := range []string{"a1", "a2"} {
		cfg := Config{Name: name, DataDir: filepath.Join(tb.TempDir(), "data"), Listen: freeAddr(tb),
			ClusterListen: routes[i], Join: []string{"nats://" + routes[1-i]}, AEInterval: time.Hour}
		n, err := Start(cfg)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = n.Stop() })
		nodes = append(nodes, n)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		v1, v2 := nodes[0].view.Load(), nodes[1].view.Load()
		if len(v1.members) == 2 && len(v2.members) == 2 && v1.isUp("a2") && v2.isUp("a1") &&
			v1.state("a1") == members.Active && v2.state("a1") == members.Active &&
			v1.state("a2") == members.Active && v2.state("a2") == members.Active {
			return nodes[0], nodes[1]
		}
		if time.Now().After(deadline) {
			tb.Fatal("the two nodes did not see each other up within 30s")
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
}

// Anti-entropy traffic is a root hash each way when replicas agree, and
// grows with the difference, not with the data, when they do not.
func TestExchangeTrafficFollowsTheDifference(t *testing.T) {
	a1, a2 := startPair(t)
	c := connect(t, a1)
	ctx := context.Background()
	const keys = 300
	var diffKey string
	for i := range keys {
		k := fmt.Sprintf("%04x-x-%d", (i*40503)&0xffff, i)
		if _, err := c.Put(ctx, k, []byte("value"), client.WithW(2)); err != nil {
			t.Fatal(err)
		}
		diffKey = k
	}
	p := ring.PartitionOf([]byte(diffKey), a1.cfg.Partitions)
	run := func() *exchange {
		x := &exchange{env: a1.healEnv(), partition: p, namespace: "default", peer: "a2",
			pace: &pacer{rate: 1 << 30, quit: a1.quit}}
		if err := x.run(); err != nil {
			t.Fatal(err)
		}
		return x
	}
	inSync := run()
	if inSync.repaired != 0 || inSync.bytes == 0 || inSync.bytes > 200 {
		t.Fatalf("in sync: %d bytes, %d keys repaired; want one small hash exchange", inSync.bytes, inSync.repaired)
	}
	// One key differs: a newer version lands on a1 only.
	env := a1.healEnv()
	cur := env.call("a1", &replicaCall{op: messages.ReplicaOp_REPLICA_OP_GET, partition: p, namespace: "default", key: diffKey})
	next := vclock.Update(cur.record, cur.record.Context, vclock.Sibling{Value: []byte("newer")}, "a1.test", 1)
	if r := env.call("a1", &replicaCall{op: messages.ReplicaOp_REPLICA_OP_MERGE, partition: p, namespace: "default",
		key: diffKey, record: next}); r.err != nil {
		t.Fatal(r.err)
	}
	diverged := run()
	if diverged.repaired != 1 {
		t.Fatalf("after one key diverged: %d keys repaired, want 1", diverged.repaired)
	}
	got := a2.healEnv().call("a2", &replicaCall{op: messages.ReplicaOp_REPLICA_OP_GET, partition: p, namespace: "default", key: diffKey})
	if !got.record.Descends(next) {
		t.Fatalf("a2 did not receive the newer version: %+v", got.record)
	}
	again := run()
	if again.repaired != 0 || again.bytes != inSync.bytes {
		t.Fatalf("after repair: %d bytes, %d repaired; want the in-sync cost again", again.bytes, again.repaired)
	}
	t.Logf("partition %d with %d of %d keys: %d bytes in sync, %d bytes with one key different",
		p, len(keysIn(t, a1, p)), keys, inSync.bytes, diverged.bytes)
}

func keysIn(t *testing.T, n *Node, p int) []keyDigest {
	res := n.healEnv().call(n.id, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_SEGMENT, partition: p, namespace: "default",
		nodes: allLeaves()})
	if res.err != nil {
		t.Fatal(res.err)
	}
	return res.keys
}

func allLeaves() []int {
	out := make([]int, 256)
	for i := range out {
		out[i] = i
	}
	return out
}
