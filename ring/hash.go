package ring

import (
	"fmt"
	"math/bits"
)

// FNV-1a 64 parameters. They are part of the wire contract: clients in other
// languages compute partitions with exactly these constants (see doc.go).
const (
	fnvOffset64 uint64 = 14695981039346656037
	fnvPrime64  uint64 = 1099511628211
)

// MaxPartitions is the largest partition count ValidPartitionCount accepts.
// Preference lists are precomputed per partition, so the bound keeps New's
// memory proportional to something an operator chose deliberately.
const MaxPartitions = 1 << 16

// KeyHash is the stable 64-bit hash of a key: FNV-1a 64 over the key bytes.
// It never changes for the life of a cluster, because it decides which
// partition (and therefore which replicas) a key lives on.
func KeyHash(key []byte) uint64 {
	h := fnvOffset64
	for _, c := range key {
		h ^= uint64(c)
		h *= fnvPrime64
	}
	return h
}

// ValidPartitionCount reports whether q is a power of two in [1, 1<<16].
func ValidPartitionCount(q int) bool {
	return q >= 1 && q <= MaxPartitions && q&(q-1) == 0
}

// Placement is the rule that maps a key to its partition. A cluster keeps
// the one it was created with for its whole life, like its partition count:
// a different rule would look for every key in the wrong partition.
type Placement int

const (
	// PlacementFNV takes the top bits of KeyHash itself. FNV-1a mixes a
	// key's last bytes only into the low bits of the hash, so keys that
	// differ only at the end (user1, user2, ...) crowd into few partitions:
	// 10,000 such keys use 93 of 256. Data dirs made before placements had
	// numbers use it.
	PlacementFNV Placement = 1
	// PlacementMixed takes the top bits of mix64(KeyHash(key)), which
	// spreads such keys evenly (all 256 partitions, none above twice the
	// mean). New clusters use it.
	PlacementMixed Placement = 2

	// DefaultPlacement is the placement of a new cluster.
	DefaultPlacement = PlacementMixed
)

// Valid reports whether p is a placement this build knows.
func (p Placement) Valid() bool { return p == PlacementFNV || p == PlacementMixed }

// Hash is the ring position of key under p: the hash whose top log2(Q)
// bits are its partition.
func (p Placement) Hash(key []byte) uint64 {
	if p == PlacementFNV {
		return KeyHash(key)
	}
	return mix64(KeyHash(key))
}

// PartitionOf returns the top log2(q) bits of p.Hash(key), a partition in
// [0, q). Using the top bits (rather than hash % q) makes partition i the
// contiguous hash range [i<<(64-b), (i+1)<<(64-b)), so doubling q splits each
// partition in two instead of reshuffling keys.
//
// q must satisfy ValidPartitionCount and p must be Valid; anything else is a
// programming error (both are cluster-wide constants) and PartitionOf
// panics.
func (p Placement) PartitionOf(key []byte, q int) int {
	if !ValidPartitionCount(q) {
		panic(fmt.Sprintf("ring: PartitionOf: invalid partition count %d (want a power of two in [1, %d])", q, MaxPartitions))
	}
	if !p.Valid() {
		panic(fmt.Sprintf("ring: PartitionOf: unknown placement %d", p))
	}
	return partitionOfHash(p.Hash(key), partitionBits(q))
}

// PartitionOf is DefaultPlacement.PartitionOf: the partition of key in a
// cluster created by this build.
func PartitionOf(key []byte, q int) int { return DefaultPlacement.PartitionOf(key, q) }

// partitionBits returns log2(q) for a valid partition count q.
func partitionBits(q int) uint {
	return uint(bits.TrailingZeros(uint(q)))
}

// partitionOfHash returns the top b bits of h. For b == 0 the shift count is
// 64, which Go defines to yield 0 for unsigned values: one partition.
func partitionOfHash(h uint64, b uint) int {
	return int(h >> (64 - b))
}

// partitionStart is the ring position of partition p: the first hash of its
// range. For b == 0 the only partition starts at 0.
func partitionStart(p int, b uint) uint64 {
	return uint64(p) << (64 - b)
}

// tokenHash is the ring position of virtual-node token i of node id:
// mix64(FNV-1a 64 of id || 0x00 || big-endian uint32 i).
//
// The suffix has a fixed length, so distinct (id, i) pairs always hash distinct
// byte strings. FNV alone spreads short inputs that differ only in their last
// bytes poorly (consecutive i land close together), hence the finalizer.
func tokenHash(id string, i uint32) uint64 {
	h := fnvOffset64
	for j := 0; j < len(id); j++ {
		h ^= uint64(id[j])
		h *= fnvPrime64
	}
	h *= fnvPrime64 // the 0x00 separator: xor with zero is a no-op
	for shift := 24; shift >= 0; shift -= 8 {
		h ^= uint64(byte(i >> uint(shift)))
		h *= fnvPrime64
	}
	return mix64(h)
}

// mix64 is the splitmix64 finalizer (Steele, Lea, Flood 2014): a bijection on
// uint64 with full avalanche, so every input bit affects every output bit.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
