// Package ring maps keys to partitions and partitions to replicas.
//
// A key belongs to one of Q partitions (Q a power of two, at most
// MaxPartitions, fixed for the life of a cluster). Partitions are placed on
// a consistent-hash ring of weighted virtual-node tokens, and each partition
// gets a preference list: every member, once, ordered so that the first
// entries span as many failure zones as possible. The first N entries are
// the partition's home replicas; the rest are fallbacks (for hinted handoff)
// in the order to try them.
//
// The package is a pure function of its inputs: it does no I/O, reads no
// clock, starts no goroutines and uses no randomness, so every node that
// knows the same member set computes the identical ring.
//
// # Key hash (the client contract)
//
// KeyHash is 64-bit FNV-1a over the key's bytes:
//
//	h := 14695981039346656037            // offset basis, 0xcbf29ce484222325
//	for each byte c of the key:
//	    h = h XOR c
//	    h = h * 1099511628211 mod 2^64   // FNV prime, 0x100000001b3
//
// Test vectors: "" -> 0xcbf29ce484222325, "a" -> 0xaf63dc4c8601ec8c,
// "foobar" -> 0x85944171f73967e8.
//
// A cluster's placement, fixed when it is created, says which hash places
// keys. Placement 2 (PlacementMixed, every cluster created since placements
// had numbers) passes KeyHash through mix64 (below, under Tokens):
// h = mix64(KeyHash(key)). Placement 1 (PlacementFNV, older clusters) uses
// h = KeyHash(key) as it is, which crowds keys that differ only in their
// last bytes into a few partitions.
//
// With b = log2(Q), the partition of a key is the top b bits of h:
// h >> (64-b), and 0 when Q = 1. So partition p covers the hash range
// [p << (64-b), (p+1) << (64-b)), and doubling Q splits every partition in
// two. With Q = 256, "a" is in partition 2 and "foobar" in 64 under
// placement 2, and in 0xaf = 175 and 0x85 = 133 under placement 1.
//
// # Tokens
//
// A member places Weight*tokensPerWeight tokens. Token i (0-based) of the
// node with ID id sits at ring position
//
//	mix64(FNV-1a-64(id bytes || 0x00 || uint32 i as 4 big-endian bytes))
//
// where mix64 is the splitmix64 finalizer:
//
//	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
//	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
//	z =  z ^ (z >> 31)
//
// Tokens are sorted by (position, node ID as bytes), so even a collision is
// ordered the same way everywhere.
//
// # Preference lists
//
// A partition's ring position is the start of its hash range. The walk
// starts at the first token whose position is >= the partition's (wrapping
// to the lowest token) and goes clockwise, collecting each physical node the
// first time one of its tokens is seen, until every member is collected.
//
// Zones first: from the walk order, repeatedly take the earliest node not yet
// taken whose zone is not yet used in the current round; when every zone that
// still has nodes has been used, start a new round. Equivalently, round r
// holds the r-th node (in walk order) of every zone that has one, in walk
// order. The empty string is a zone like any other. If all members share a
// zone the list is the walk order, and the first entry is always the walk's
// first node, so zones never change primary ownership.
//
// # Invariants
//
//   - Deterministic: the ring depends only on Q, tokensPerWeight and the set
//     of members (not their order).
//   - Every preference list contains each member exactly once.
//   - Zones first: the first k entries cover min(k, number of zones) zones.
//   - Minimal movement: adding a node to n equal ones moves about 1/(n+1) of
//     the partitions' primaries, all to the new node; for any N, a partition's
//     first-N set changes only by gaining the new node (nothing moves between
//     old nodes), with or without zones. Removing a node is the reverse: only
//     the partitions whose first-N set held it change.
//   - Weighted: a node's share of primaries is about Weight/sum(Weight); see
//     DefaultTokensPerWeight for the measured spread.
//
// # Membership changes
//
// Transition pairs the ring of the members that own data now with the ring
// after a join or departure: Gainers names the nodes a partition moves to,
// Moved whether they all hold it (as the caller knows), and Extras the
// nodes that must still get its writes meanwhile. It is as pure as the rest.
//
// New precomputes every preference list, so PreferenceList and Replicas are
// allocation-free slice lookups. Partitions whose walks start at the same
// token share one list; memory is O(min(Q, tokens) * members) strings.
package ring
