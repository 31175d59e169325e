package bench

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// zipfianConstant is YCSB's skew: the record of rank k is chosen with
// probability proportional to 1/k^0.99.
const zipfianConstant = 0.99

// zipfian draws ranks 0..n-1, rank 0 the most popular, with the method of
// Gray et al., "Quickly Generating Billion-Record Synthetic Databases"
// (SIGMOD 1994), as YCSB's ZipfianGenerator does: one uniform draw and one
// math.Pow per value, after an O(n) sum at construction.
type zipfian struct {
	n     uint64
	theta float64
	alpha float64
	zetan float64
	eta   float64
	// half is 0.5^theta: the draws below 1+half are rank 1.
	half float64
}

// zeta is the generalized harmonic number: the sum of 1/i^theta for i in
// 1..n.
func zeta(n uint64, theta float64) float64 {
	var sum float64
	for i := uint64(1); i <= n; i++ {
		sum += 1 / math.Pow(float64(i), theta)
	}
	return sum
}

func newZipfian(n uint64, theta float64) *zipfian {
	z := &zipfian{n: n, theta: theta, alpha: 1 / (1 - theta), zetan: zeta(n, theta), half: math.Pow(0.5, theta)}
	if n > 1 {
		z.eta = (1 - math.Pow(2/float64(n), 1-theta)) / (1 - zeta(2, theta)/z.zetan)
	}
	return z
}

// rank maps a uniform draw u in [0, 1) to a rank.
func (z *zipfian) rank(u float64) uint64 {
	uz := u * z.zetan
	switch {
	case z.n == 1 || uz < 1:
		return 0
	case uz < 1+z.half:
		return 1
	}
	r := uint64(float64(z.n) * math.Pow(z.eta*u-z.eta+1, z.alpha))
	return min(r, z.n-1)
}

// probability is the exact chance of rank k (0-based).
func (z *zipfian) probability(k uint64) float64 {
	return 1 / math.Pow(float64(k+1), z.theta) / z.zetan
}

// scrambledZipfian is zipfian over ranks, with each rank mapped to a record
// by a fixed permutation, so that the popular records are spread over the
// keyspace (and so over partitions and nodes) instead of being user0,
// user1, ... YCSB hashes the rank, which makes some records share a rank's
// weight and others never drawn; a permutation keeps every record reachable
// and the distribution exactly Zipf's.
type scrambledZipfian struct {
	z *zipfian
	// mult is coprime with n, so rank -> rank*mult mod n is a permutation.
	mult uint64
}

func newScrambledZipfian(n uint64, theta float64) *scrambledZipfian {
	return &scrambledZipfian{z: newZipfian(n, theta), mult: coprimeNear(n, 0.6180339887)}
}

func (s *scrambledZipfian) next(r *rand.Rand) uint64 {
	return s.recordOf(s.z.rank(r.Float64()))
}

// recordOf is the record the rank-th most popular draw lands on.
func (s *scrambledZipfian) recordOf(rank uint64) uint64 {
	hi, lo := bits.Mul64(rank, s.mult)
	return bits.Rem64(hi, lo, s.z.n)
}

// coprimeNear returns the first number at or above frac*n that is coprime
// with n (1 for n <= 2), so that consecutive ranks land far apart.
func coprimeNear(n uint64, frac float64) uint64 {
	if n <= 2 {
		return 1
	}
	m := max(uint64(float64(n)*frac), 1)
	for gcd(m, n) != 1 {
		m++
	}
	return m
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
