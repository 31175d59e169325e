package actors

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/ring"
	"github.com/quorumkv/quorumkv/vclock"
)

// Replica replies carry what their callers read and no more: a MERGE is
// acknowledged without the record, and a GET that names the version the
// caller holds is answered "same" when the replica holds it too. The calls
// go over the wire (a1 asks a2), so the protobuf round trip is covered.
func TestReplicaRepliesCarryOnlyWhatCallersRead(t *testing.T) {
	a1, _ := startPair(t)
	c := connect(t, a1)
	ctx := context.Background()
	const key = "replies"
	if _, err := c.Put(ctx, key, []byte("v1"), client.WithW(2)); err != nil {
		t.Fatal(err)
	}
	p := ring.PartitionOf([]byte(key), a1.cfg.Partitions)
	env := a1.healEnv()
	get := func(digest uint64) replicaResult {
		t.Helper()
		r := env.call("a2", &replicaCall{op: messages.ReplicaOp_REPLICA_OP_GET, partition: p, namespace: "default", key: key, digest: digest})
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r
	}
	full := get(0)
	if !full.found || full.same || len(full.record.Siblings) != 1 {
		t.Fatalf("GET without a digest: found %v same %v record %+v; want the record", full.found, full.same, full.record)
	}
	if r := get(full.record.Digest()); !r.found || !r.same || len(r.record.Siblings) != 0 || len(r.record.Context) != 0 {
		t.Fatalf("GET naming the replica's own version: found %v same %v record %+v; want same and no record", r.found, r.same, r.record)
	}
	if r := get(full.record.Digest() ^ 2); r.same || !r.record.Equal(full.record) {
		t.Fatalf("GET naming another version: same %v record %+v; want the record", r.same, r.record)
	}

	next := vclock.Update(full.record, full.record.Context, vclock.Sibling{Value: []byte("v2")}, "a1.test", 2)
	merged := env.call("a2", &replicaCall{op: messages.ReplicaOp_REPLICA_OP_MERGE, partition: p, namespace: "default", key: key, record: next})
	if merged.err != nil || len(merged.record.Siblings) != 0 {
		t.Fatalf("MERGE: err %v record %+v; want a bare acknowledgement", merged.err, merged.record)
	}
	if r := get(0); !r.record.Descends(next) {
		t.Fatalf("a2 did not store the merged record: %+v", r.record)
	}
	put := env.call("a2", &replicaCall{op: messages.ReplicaOp_REPLICA_OP_PUT, partition: p, namespace: "default", key: key,
		write: vclock.Sibling{Value: []byte("v3"), WriteID: 3}, context: next.Context})
	if put.err != nil || len(put.record.Siblings) == 0 || put.actor == "" {
		t.Fatalf("PUT: err %v record %+v actor %q; want the stored record and the dot's actor", put.err, put.record, put.actor)
	}
}

// A coordinator whose own replica answers from its cache asks the others
// only for a difference; a replica that differs still sends its record, so
// the read returns the newest version and repairs the stale replica,
// whichever side is behind.
func TestQuorumReadSeesADifferentReplica(t *testing.T) {
	a1, a2 := startPair(t)
	c := connect(t, a1)
	ctx := context.Background()
	const key = "differs"
	if _, err := c.Put(ctx, key, []byte("v1"), client.WithW(2)); err != nil {
		t.Fatal(err)
	}
	p := ring.PartitionOf([]byte(key), a1.cfg.Partitions)
	for i, ahead := range []*Node{a2, a1} {
		env := ahead.healEnv()
		cur := env.call(ahead.id, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_GET, partition: p, namespace: "default", key: key})
		value := []byte{'n', byte('0' + i)}
		next := vclock.Update(cur.record, cur.record.Context, vclock.Sibling{Value: value}, ahead.id+".test", int64(10+i))
		if r := env.call(ahead.id, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_MERGE, partition: p, namespace: "default",
			key: key, record: next}); r.err != nil {
			t.Fatal(r.err)
		}
		if _, hit := a1.partActors[p].cachedRead("default", key); !hit {
			t.Fatal("a1's replica is not in its cache: the test would not take the digest path")
		}
		got, err := c.Get(ctx, key, client.WithR(2))
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Values) != 1 || !bytes.Equal(got.Values[0].Data, value) {
			t.Fatalf("round %d (%s ahead): read %+v, want %q", i, ahead.id, got.Values, value)
		}
		behind := a1
		if ahead == a1 {
			behind = a2
		}
		waitFor(t, "read repair of the replica behind", func() bool {
			r := behind.healEnv().call(behind.id, &replicaCall{op: messages.ReplicaOp_REPLICA_OP_GET, partition: p, namespace: "default", key: key})
			return r.err == nil && r.record.Descends(next)
		})
	}
}

// The cache answers reads from other goroutines only when no hint could
// add to the record.
func TestCachedReadStepsAsideForHints(t *testing.T) {
	a1, _ := startPair(t)
	c := connect(t, a1)
	const key = "cached"
	if _, err := c.Put(context.Background(), key, []byte("v"), client.WithW(2)); err != nil {
		t.Fatal(err)
	}
	pa := a1.partActors[ring.PartitionOf([]byte(key), a1.cfg.Partitions)]
	res, ok := pa.cachedRead("default", key)
	if !ok || !res.found || len(res.record.Siblings) != 1 {
		t.Fatalf("cachedRead after a put: ok %v found %v record %+v", ok, res.found, res.record)
	}
	if _, ok := pa.cachedRead("default", "never-written"); ok {
		t.Fatal("cachedRead answered a key the cache never held")
	}
	pa.hints.Add(1)
	defer pa.hints.Add(-1)
	if _, ok := pa.cachedRead("default", key); ok {
		t.Fatal("cachedRead answered while the partition holds hints")
	}
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
	}
}
