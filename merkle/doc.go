// Package merkle is the hash tree that anti-entropy compares between
// replicas: one tree per (partition, namespace) on every home replica.
//
// The tree has a fixed shape, the same on every node whatever its data: a
// root, Fanout branches, Fanout*Fanout leaves. A key belongs to the leaf
// LeafOf(key). Each (key, version digest) pair contributes one 64-bit item
// hash, and every node of the tree is the XOR of the items below it, so
//
//   - adding and removing an item are one operation (Toggle), applied in
//     O(levels) as a write lands, with no read of the other keys;
//   - two trees over the same set of (key, digest) pairs are equal, whatever
//     order the items arrived in;
//   - a difference in one key changes exactly one leaf, one branch and the
//     root, so a comparison that descends only into differing nodes asks
//     for Fanout hashes per level and then one leaf's keys.
//
// Item hashes are a strong 64-bit mix of the key and the digest: two sets
// that differ collide only with probability about 2^-64 per comparison.
//
// The package is pure: no I/O, no clocks, no goroutines.
package merkle
