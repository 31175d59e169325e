// Package members is the pure state behind gossip membership: a member
// table merged from gossip digests, heartbeat counters with incarnations,
// and a phi accrual failure detector per peer.
//
// # Model
//
// Every node owns one [Table]. It calls [Table.Tick] every Config.Interval,
// which bumps its own heartbeat, and [Table.Sweep]; it sends [Table.Digest]
// (every member it knows, itself included) to random peers (push-pull or a
// fanout of about three, not a single push: see "Detection through gossip")
// and folds every digest it receives in with [Table.Merge]. The package does
// no I/O, starts no goroutines and reads no clock: the owner passes the
// current time to every call, which is what makes it testable with a fake
// clock.
//
// A [Member] is versioned by the pair (Incarnation, Heartbeat), compared
// lexicographically. Only the node itself ever advances its own version; all
// other tables only copy it.
//
// # Rules
//
//  1. A node bumps its Heartbeat on every Tick and its Incarnation on every
//     (re)start; how it picks a fresh incarnation is the owner's business
//     (rule 4 repairs a poor choice).
//  2. Merging an entry about another node: unknown -> add it, its detector
//     starting at now; known -> replace it entirely iff the entry's
//     (Incarnation, Heartbeat) is greater. Equal or older entries are
//     ignored, so merging is idempotent, commutative and associative:
//     tables that exchange digests converge on the greatest version of
//     every member.
//  3. When a replacement advances the heartbeat, the peer's detector
//     records an arrival at now; when it advances the incarnation, the
//     detector's history is reset (the new process has a rhythm of its
//     own) and now counts as its first arrival.
//  4. Entries about self are ignored unless they are newer than self: then
//     they were written by an older process of ours, and self's
//     Incarnation becomes the entry's plus one so that the current process
//     wins again everywhere. (A claim with an equal incarnation and a higher
//     heartbeat counts too: a restart that kept its incarnation would
//     otherwise be ignored by every peer until its counter caught up.)
//  5. A peer is up iff its phi is below Config.PhiThreshold; self is always
//     up, an unknown node never. Down only reroutes requests: the ring is
//     computed from [Table.Members], which includes down members, and
//     digests keep carrying them.
//  6. Merge and [Table.Sweep] return the IDs that are new or whose Up/Down
//     status changed since last reported; Sweep exists because a peer goes
//     down by silence alone, so the owner should call it every Tick.
//  7. [Table.Forget] drops a member and remembers the incarnation it had:
//     gossip about that incarnation or an older one is ignored from then
//     on, a higher incarnation (a restart) brings the member back.
//  8. Only a node sets its own [State] and Ready bitmap ([Table.SetState],
//     [Table.SetReady] also advance the heartbeat, so the change spreads
//     at once); Merge reports a member whose state or Ready changed, since
//     routing depends on them. A member that gossips [Left], or whose life
//     (ID, Epoch) was passed to [Table.Remove], is dropped and never comes
//     back under that epoch, at any incarnation; the same ID with a new
//     epoch (a wiped data dir) is a new member.
//
// # Failure detection
//
// Each peer has a [Detector] (Hayashibara et al., "The phi accrual failure
// detector", 2004; the variant of Cassandra and Akka). It keeps the last
// WindowSize intervals between heartbeat advances and, t after the last
// advance, reports
//
//	phi(t) = -log10(1 - F(t)),   F = CDF of Normal(mean + AcceptablePause, max(stddev, MinStdDev))
//
// with mean and stddev taken from the window, F computed with the logistic
// approximation Akka uses and phi evaluated as a softplus so that it is
// finite, never NaN, and never decreases as silence grows. Until
// FirstIntervals intervals are known the detector assumes mean = Interval and
// stddev = max(Interval/4, MinStdDev), so a peer that sends one heartbeat and
// dies is still convicted.
//
// # Defaults and the detection time they give
//
//	Interval        250ms
//	PhiThreshold    8
//	MinStdDev       100ms
//	AcceptablePause 500ms
//	WindowSize      100 intervals (about 25s)
//	FirstIntervals  3
//
// With heartbeats arriving every 250ms with small jitter (a few ms, so the
// deviation is floored at MinStdDev), the fitted distribution is
// Normal(750ms, 100ms); phi = 8 needs z = y(1.5976 + 0.070566 y^2) = 8 ln 10,
// i.e. y = 5.226 deviations, so phi crosses 8 at 750 + 5.226*100 ms:
//
//	about 1.27s after the last heartbeat (1.2726s computed),
//
// the same during bootstrap, whose assumed deviation Interval/4 = 62.5ms is
// floored to 100ms too. At t = mean + pause = 750ms phi is only log10(2) =
// 0.3. Jitter larger than MinStdDev lengthens the time: alternating 50ms and
// 450ms gaps (stddev 200ms) give about 1.8s.
//
// # Detection through gossip
//
// A detector measures when this node last saw a peer's heartbeat advance,
// and through gossip that lags the peer's real heartbeat by the propagation
// delay, in bursts: the detector fits a larger mean and deviation (mean
// 0.5-0.6s, deviation 0.35-0.6s, so a timeout of 2.5-3.5s) and the time for
// every node to convict a dead one grows accordingly. Simulated with the
// defaults, one round per Interval, no message loss (see gossip_test.go):
//
//	each node pushes its digest to 1 random peer:
//	  all nodes see a dead node down after ~3s (5 nodes) to ~5s (30 nodes);
//	  false suspicions of live nodes: ~6/h (5 nodes), ~25/h (10), ~100/h (30)
//	push-pull (the receiver answers with its own digest):
//	  all see a dead node down after ~1.5s (5 nodes) to ~2.7s (30 nodes);
//	  no false suspicion in an hour at 5, 10 or 30 nodes
//	pushing to 3 random peers per round comes close (0-2/h)
//
// so the owner should exchange digests push-pull rather than push to a
// single peer.
package members
