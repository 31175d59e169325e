// Package quorum makes the decisions of one client request: which replicas
// to ask, when the request has its quorum, what to answer, and what to
// repair. It is pure computation in the style of etcd raft's Step: a
// coordinator value takes events (a replica's reply, a failed call, the
// deadline) and returns effects (send this call, answer that, stop). It
// does no I/O, starts no goroutines and reads no clock; the caller (the
// coordinator actors) applies the effects. Records are opaque to it but for
// merging and comparing them (Versions), so that it imports nothing beyond
// the standard library.
//
// # The caller's duties
//
//  1. Plan the request: NewPlan from the namespace's defaults and the
//     request's options, ClampTo the number of nodes, then Place it on the
//     key's preference list.
//  2. Build a Get (with the Hints the node knows of) or a Put, call Start
//     once and apply its effects in order.
//  3. For every Send except a Repair, and a Forward outside strict mode,
//     deliver exactly one event back: ReplyOK or ReplyFailed, naming the
//     node and phase of the call.
//  4. Deliver Deadline when the plan's Timeout passes.
//  5. Stop at Done: nothing after it is acted on.
//
// Effects returned by Start and Step are valid until the next call.
//
// # Rules
//
// A get asks R replicas, this node first when it is one, and one more
// for each that fails, taking spares in order: the holders of hints for a
// home it asked (sloppy quorum only), the other active replicas, then the
// rest of the preference list. Under sloppy quorum a home that other nodes
// hold hints for does not count a "not found" toward R. With R replies it
// answers the merge of the replies; under strict quorum, when they
// disagree, it first merges that record into the replicas that answered
// stale and answers only once W of the repliers (all of them when fewer
// than W replied) hold it. After the answer, the home replicas that
// answered stale and were not written back get the merged record (read
// repair); fallbacks do not, since they keep only hints.
//
// A put hands the write to one replica, this node first when it is one;
// when that replica fails, to the next active target, then to spares. Once
// the coordinating replica has made the write durable, its record goes to
// the other active targets, and spares replace the ones that fail, keeping
// N writes acknowledged or in flight. The put answers after W acks, or as
// soon as W can no longer be reached. A write to a fallback names the
// first home, in preference order, that nothing covers yet; a home is
// covered while a write to it, or to a fallback standing in for it, is in
// flight or acknowledged.
//
// While the key's partition moves between owners (a join or a departure),
// Targets.Forward names the nodes outside its homes that must see every
// write. A put sends them its record once it is coordinated; a strict get
// sends them the record it found (if any). Outside strict mode nothing
// waits for them. A strict request answers success only once every one of
// them acknowledged as well (as Cassandra counts pending endpoints): then
// the record is held by W replicas of the partition on either side of the
// move, so strict reads before, during and after it keep meeting it.
//
// Both answer Timeout at the deadline if they have not answered yet.
//
// # Invariants
//
// These hold for any order of events, any failures, duplicated replies and
// replies to calls never made (which are ignored), and a deadline at any
// point; the property tests check each on thousands of random runs.
//
//   - Each coordinator answers exactly once (given events until Done or the
//     deadline) and emits Done exactly once, as its last effect.
//   - A put answers success only with W acks from distinct replicas, the
//     coordinating one included; a get only with R counted replies from
//     distinct replicas.
//   - No node is sent the same phase twice. A retry after a failed call is
//     the same phase sent to a different node, never to the same one. A put
//     sends each node at most one call besides a Forward; a get sends a WriteBack or a Repair
//     only to a node that answered its Read, and never both.
//   - A get has at most R reads in flight; a put at most N writes in flight
//     or acknowledged.
//   - A Coordinate or Replicate to a fallback carries a hint target exactly
//     when some home is uncovered, and then it is the first uncovered home.
//     A home never gets one.
//   - A strict request sends only to home replicas and forward targets. A
//     strict put or get answers success only once every forward target
//     acknowledged. A strict get that
//     answers success after disagreeing replies has had the answered record
//     held or acknowledged by min(W, replies) replicas.
//   - A read repair goes only to a home replica that answered a read with a
//     record that does not descend the merged one, and carries the merge of
//     every reply.
package quorum
