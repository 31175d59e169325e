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

// PartitionOf returns the top log2(q) bits of KeyHash(key), a partition in
// [0, q). Using the top bits (rather than hash % q) makes partition p the
// contiguous hash range [p<<(64-b), (p+1)<<(64-b)), so doubling q splits each
// partition in two instead of reshuffling keys.
//
// q must satisfy ValidPartitionCount; anything else is a programming error
// (q is a cluster-wide constant) and PartitionOf panics.
func PartitionOf(key []byte, q int) int {
	if !ValidPartitionCount(q) {
		panic(fmt.Sprintf("ring: PartitionOf: invalid partition count %d (want a power of two in [1, %d])", q, MaxPartitions))
	}
	return partitionOfHash(KeyHash(key), partitionBits(q))
}

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
