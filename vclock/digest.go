package vclock

// Digest is a 64-bit fingerprint of a record's version: its context and its
// siblings' dots and tombstone flags. Two replicas whose records have equal
// digests hold the same version (a dot names exactly one value), so
// anti-entropy compares digests instead of values. Entry times are left
// out: they only guide pruning, and replicas that differ only in them hold
// the same data.
//
// The zero Record has digest 0; any other record has a non-zero digest
// with overwhelming probability.
func (r Record) Digest() uint64 {
	if len(r.Siblings) == 0 && len(r.Context) == 0 {
		return 0
	}
	h := fnvOffset
	for _, e := range r.Context {
		h = fnvString(h, e.Node)
		h = fnvUint(h, e.Counter)
	}
	h = fnvUint(h, uint64(len(r.Siblings)))
	for _, s := range r.Siblings {
		h = fnvString(h, s.Dot.Node)
		h = fnvUint(h, s.Dot.Counter)
		if s.Tombstone {
			h = fnvUint(h, 1)
		} else {
			h = fnvUint(h, 0)
		}
	}
	return h | 1
}

const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

// fnvString hashes s followed by a 0xff separator (no node name holds one),
// so that ("ab", "c") and ("a", "bc") differ.
func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return (h ^ 0xff) * fnvPrime
}

func fnvUint(h uint64, x uint64) uint64 {
	for range 8 {
		h = (h ^ (x & 0xff)) * fnvPrime
		x >>= 8
	}
	return h
}

// TombstoneOnly reports whether the record holds siblings and all of them
// are tombstones: a deleted key, candidate for reaping. Its second result is
// the newest tombstone's timestamp.
func (r Record) TombstoneOnly() (bool, int64) {
	if len(r.Siblings) == 0 {
		return false, 0
	}
	var newest int64
	for _, s := range r.Siblings {
		if !s.Tombstone {
			return false, 0
		}
		newest = max(newest, s.Timestamp)
	}
	return true, newest
}
