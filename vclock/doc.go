// Package vclock tracks the versions of a key with dotted version vectors, in
// the "DVV set with dots on siblings" form of Almeida et al. used by Riak 2.0.
// It is pure computation: no I/O, no goroutines, no clock of its own:
// callers pass the time in as unix nanoseconds, and the hybrid logical
// clock (HLC, hlc.go) reads wall time through a function it is given.
//
// # Model
//
// A key's state on a replica is a Record: a set of siblings and one causal
// context.
//
//   - Each Sibling is a value (or a tombstone, a delete marker) tagged with a
//     Dot (node, counter) naming the one write that created it. The node is
//     the replica that applied the write; it numbers its writes 1, 2, 3, ...
//     per key, so a dot is unique.
//   - The Context is a version vector (VV) covering every dot the replica has
//     seen, whether still a sibling or already superseded. Dot (n, c) is
//     covered when Context.Get(n) >= c.
//   - A sibling may carry a WriteID naming the client write it came from
//     (0: none). The coordinator of a put sets it; when a replica was slow
//     and the coordinating step ran again at another replica, one client
//     write has two dots, and the two siblings share the WriteID. They are
//     copies ("twins"), not concurrent writes.
//
// A client reads the siblings together with the context, and sends the
// context back with its next write. Because the new write names the dots it
// supersedes through that context, rather than by client identity, the
// number of siblings is bounded by the number of truly concurrent writes, not
// by the number of clients (no "sibling explosion").
//
// # Rules
//
// Update (a client write at replica node with context ctx):
//   - every sibling whose dot ctx covers is dropped: the client saw it and
//     replaced it;
//   - every sibling with the new write's non-zero WriteID is dropped: it is
//     an earlier copy of this very write;
//   - every other sibling is kept: Update never drops a sibling the client
//     did not see, so a write is never lost to a concurrent one;
//   - the new value gets dot (node, max(cur.Context[node], ctx[node]) + 1);
//   - the context becomes Merge(cur.Context, ctx) plus the new dot.
//
// Sync (two replicas' states merge):
//   - a sibling survives unless the other side's context covers its dot and
//     the other side lacks it (the other side saw it and it was superseded
//     there);
//   - survivors are unioned by dot, and the contexts merge pointwise.
//
// Sync is commutative, associative and idempotent, so replicas converge no
// matter how anti-entropy, replication and read repair interleave.
// Record.Descends(o) tells whether Sync(r, o) would change r: if not, r is up
// to date with respect to o.
//
// Live (what a read shows) leaves out tombstones and shows one sibling per
// write: of twins, the one with the smallest dot.
//
// The context returned to a client must never cover a value it was not
// shown, or its next write would silently supersede that value. A read
// returns every sibling with the context, so that is safe. After a write,
// return either the record's context together with all its siblings (as a
// read would), or AckContext alone. The record's context alone is unsafe,
// because it also covers concurrent siblings the writer never saw.
//
// # Write ids
//
// Sync ignores WriteID, so a record can hold twins: a merge of the replica
// that applied a write's first attempt with the one that applied its retry.
// They cost a little space, not a conflict: Live shows one, and the context
// covers both, so the next write from a client that read the key replaces
// both. Update never adds a twin, since it drops earlier copies of the write
// it applies.
//
// Sync does not drop a twin because no merge rule on these records can, and
// stay associative. Say write w has twins a1 (at A) and b1 (at B), and
// replica C synced A's copy before B's existed; a client read C and
// overwrote w there. If merging A with B kept only one twin, say a1, then
// merging that with C drops a1 as overwritten and leaves nothing of w. But
// merging B with C first keeps b1 (C cannot know that b1 is w too: it holds
// no sibling of w any more), and merging A in afterwards keeps b1 as well.
// Keeping both twins, both orders end with b1 beside C's value: a false
// conflict, as if the twins were two writes, and the same in every order.
//
// Twins of one write carry the same value, so which one Live shows does not
// matter to the client; taking the smallest dot makes every replica show
// the same one. A client that saw only one twin, as in the example, can
// still leave the other behind as a sibling of its next write: the same
// result as without write ids, never a lost write.
//
// # Last-write-wins
//
// For namespaces that want one value per key, UpdateLWW and SyncLWW keep only
// the greatest sibling by (Timestamp, Dot.Node, Dot.Counter). Timestamps
// alone decide, not causality: a write whose timestamp is below a value it
// saw loses to that value. That makes the winner the same in every merge
// order. The context is kept exactly as in the sibling rules. Read repair
// in these namespaces uses Record.DescendsLWW. A record holds at most one
// sibling here, so never twins: of two copies of one write, the greater
// wins like any other write.
//
// # Invariants
//
// A VV is canonical: entries sorted by node, no two for one node, no zero
// counter. A Record's siblings are sorted by dot (node, then counter) with no
// duplicate dot, and its context covers every sibling's dot. Every function
// here keeps these, given inputs that have them. VV.Validate and
// Record.Validate check them on data from outside. Two siblings may share a
// non-zero WriteID (twins, see above), but Live shows at most one sibling
// per non-zero WriteID, and Update's result holds exactly one sibling with
// the new write's WriteID. Entry.Time is the wall time of the entry's last
// advance. Merge takes its maximum, and it plays no part in causality:
// VV.Equal, Descends and Record.Equal ignore it.
//
// # Pruning
//
// Contexts grow by one entry per node that ever wrote the key. Prune drops
// the oldest entries (by Time) beyond a limit. It never drops the entry of a
// node that has a dot among the current siblings, because that would leave a
// sibling uncovered. Forgetting an entry makes the context cover less, so it
// can only keep more siblings, never fewer. A value the forgotten entry had
// superseded can resurface from a stale replica as a sibling: a false
// conflict, never a lost write.
//
// The exception is a node's own entry. If a replica forgets its own counter
// for a key, its next write reuses a dot that another replica may still
// cover, and that write could then be dropped as already seen. Replicas
// should therefore prune with PruneKeep(r, max, self). For the same reason, a
// replica that loses its data and starts over must come back under a new
// node name (for example one with an epoch suffix).
//
// # Context token
//
// EncodeContext turns a VV into the opaque token handed to clients, and
// DecodeContext turns it back. Byte by byte:
//
//	byte 0      version, 0x01
//	uvarint     number of entries n (at most 1024)
//	n times, in strictly increasing node order:
//	  uvarint   length L of the node name (at most 255)
//	  L bytes   node name
//	  uvarint   counter (at least 1)
//	  varint    time, zigzag-encoded as encoding/binary.AppendVarint writes it
//
// uvarint is unsigned LEB128 (encoding/binary.AppendUvarint), and it must be
// minimal: no padding 0x80 bytes. Nothing may follow the last entry. The empty
// vector encodes as 0x01 0x00. Empty or nil input decodes to the empty vector,
// which is a blind write. DecodeContext rejects every other deviation with an
// error wrapping ErrBadContext, so that each vector has exactly one token.
// Records themselves are not encoded here: storage and replication carry them
// as protobuf.
package vclock
