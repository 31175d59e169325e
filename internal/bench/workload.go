package bench

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// workload is a YCSB core workload: the share of reads among operations,
// the rest being updates of existing keys.
type workload struct {
	name         string
	readFraction float64
	describe     string
}

// workloads are YCSB's a, b and c, plus w for write-only.
var workloads = map[string]workload{
	"a": {"a", 0.50, "50% read / 50% update"},
	"b": {"b", 0.95, "95% read / 5% update"},
	"c": {"c", 1.00, "read only"},
	"w": {"w", 0.00, "update only"},
}

func parseWorkload(name string) (workload, error) {
	w, ok := workloads[name]
	if !ok {
		names := make([]string, 0, len(workloads))
		for n := range workloads {
			names = append(names, n)
		}
		sort.Strings(names)
		return workload{}, fmt.Errorf("workload %q: want one of %v", name, names)
	}
	return w, nil
}

// next picks the next operation.
func (w workload) next(r *rand.Rand) opKind {
	if r.Float64() < w.readFraction {
		return opRead
	}
	return opUpdate
}

// keyChooser picks the record an operation touches, in [0, records).
type keyChooser interface {
	next(r *rand.Rand) uint64
}

// uniform picks every record with the same probability.
type uniform struct{ n uint64 }

func (u uniform) next(r *rand.Rand) uint64 { return r.Uint64N(u.n) }

func newKeyChooser(distribution string, records uint64) (keyChooser, error) {
	if records == 0 {
		return nil, fmt.Errorf("records must be positive")
	}
	switch distribution {
	case "uniform":
		return uniform{records}, nil
	case "zipfian":
		return newScrambledZipfian(records, zipfianConstant), nil
	}
	return nil, fmt.Errorf("distribution %q: want uniform or zipfian", distribution)
}

// keyName is the key of record i, as YCSB spells its keys.
func keyName(i uint64) string {
	return "user" + strconv.FormatUint(i, 10)
}

// paddedKeyName is the key of record i padded to size bytes with zeros
// between user and the index, so that every key has the same length and
// keys of one size never collide with keys of another (size 0 or too
// small: keyName).
func paddedKeyName(i uint64, size int) string {
	k := keyName(i)
	if size <= len(k) {
		return k
	}
	return "user" + strings.Repeat("0", size-len(k)) + k[len("user"):]
}
