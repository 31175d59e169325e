package actors

import (
	"cmp"
	"slices"
	"time"
)

// hintRef is one (hint, target) pair met by a handoff pass.
type hintRef struct {
	partition int
	namespace string
	key       string
	digest    uint64
	size      int
	created   int64 // unix nanos
}

// hintBounds are the limits on the hints kept for one target.
type hintBounds struct {
	maxCount int
	maxBytes int64
	maxAge   time.Duration
}

// boundHints splits one target's hints into those to keep, oldest first
// (the delivery order), and those to drop: every hint older than maxAge,
// then the oldest until the rest fit maxCount and maxBytes. Dropping the
// oldest keeps the recent writes, which anti-entropy would reach last.
func boundHints(refs []hintRef, b hintBounds, now time.Time) (keep, drop []hintRef) {
	sorted := slices.SortedFunc(slices.Values(refs), func(x, y hintRef) int {
		return cmp.Or(cmp.Compare(x.created, y.created), cmp.Compare(x.partition, y.partition),
			cmp.Compare(x.namespace, y.namespace), cmp.Compare(x.key, y.key))
	})
	cutoff := now.Add(-b.maxAge).UnixNano()
	var bytes int64
	for _, r := range sorted {
		bytes += int64(r.size)
	}
	first := 0
	for first < len(sorted) {
		r := sorted[first]
		if r.created >= cutoff && len(sorted)-first <= b.maxCount && bytes <= b.maxBytes {
			break
		}
		bytes -= int64(r.size)
		first++
	}
	return sorted[first:], sorted[:first]
}

// hintTargetStats summarises what a node holds for one target.
type hintTargetStats struct {
	count      int
	bytes      int64
	oldest     int64 // unix nanos; 0 when count is 0
	partitions []byte
}

func summarise(refs []hintRef) hintTargetStats {
	var s hintTargetStats
	for _, r := range refs {
		s.count++
		s.bytes += int64(r.size)
		if s.oldest == 0 || r.created < s.oldest {
			s.oldest = r.created
		}
		s.partitions = setBit(s.partitions, r.partition)
	}
	return s
}
