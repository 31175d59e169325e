// Package actors is a quorumkv node: the one place that knows protoactor and
// NATS. Start wires storage, the embedded (or external) NATS server, the
// actors and the subscriptions; Stop takes them down in the reverse order.
//
// The actors and their rules:
//
//   - A partition actor exists for every partition on every node and is the
//     only writer of that partition's keyspace. It applies writes in mailbox
//     order and never waits for an fsync in Receive: the write is applied at
//     once and its reply goes out when the group-committed WAL sync covering
//     it completes. Its record cache needs no invalidation because it is the
//     only writer of the keyspace and the only one that fills the cache;
//     get coordinators may read the cache (under its lock), never fill it.
//   - A coordinator (get or put) exists for one client request. It runs on
//     one of a few long-lived host actors, which route each reply and
//     deadline to it by id, one message at a time, as if it were an actor
//     of its own (spawning an actor per request cost a fifth of a put's
//     allocations). It places the request on the key's preference list from the current
//     cluster view and leaves every decision to a quorum.Get or quorum.Put
//     value: it feeds it replica replies and the deadline, and carries out
//     the effects it returns (replica calls, the one answer, stop). Which
//     replicas are asked, when R or W is reached, read repair and the
//     strict write-back are decided there, where they are tested without
//     an actor system.
//   - Every actor runs on the node's warm dispatcher: mailboxes run on
//     long-lived goroutines whose stacks have already grown, and on a new
//     goroutine only when all of those are busy, so no mailbox waits.
//   - The membership actor owns the member table: it gossips heartbeats,
//     runs the phi-accrual detector and publishes an immutable cluster view
//     that coordinators read without locks. It also moves this node's own
//     ring state on (joining to active once it holds what it gains, leaving
//     to left once every partition has moved) and records removals.
//   - The transfer manager (a goroutine, not an actor) copies to this node
//     the partitions it gains in a membership change: a stream from one
//     old owner, then a Merkle comparison with every old owner up; it tells
//     the membership actor, which marks the partition ready in gossip.
//
// Between actors in the process messages are plain Go structs. Protobuf is
// used only on NATS: client requests on kv.api.* (protobuf, or protojson
// with a Content-Type: application/json header) and replica traffic, batched
// per peer, on kv.internal.<node>.batch.
//
// Invariants:
//   - Only a replica issues a version (dot), and only inside its partition
//     actor, so dots are unique per key and node.
//   - A request that fails validation changes nothing and gets a typed error.
//   - Down (by the failure detector) only reroutes requests; the ring is
//     computed from every known member, so data moves only on membership
//     change.
//   - A partition's requests use a new owner only once every new owner of
//     it holds it; until the change is over, every write of a partition in
//     motion also reaches the owners of both rings (without counting
//     toward W).
package actors
