package ring

import (
	"encoding/binary"
	"slices"
	"testing"
)

// FuzzPartitionOf: for any key and q, PartitionOf either panics (q invalid,
// and only then) or returns the top bits of KeyHash, in range, refining the
// partition at q/2.
func FuzzPartitionOf(f *testing.F) {
	f.Add([]byte(""), 1)
	f.Add([]byte("a"), 256)
	f.Add([]byte("user/1234"), 1<<16)
	f.Add([]byte{0xff, 0}, 3)
	f.Add([]byte("x"), -8)
	f.Fuzz(func(t *testing.T, key []byte, q int) {
		if !ValidPartitionCount(q) {
			defer func() {
				if recover() == nil {
					t.Fatalf("PartitionOf(%x, %d) did not panic on an invalid count", key, q)
				}
			}()
			PartitionOf(key, q)
			return
		}
		p := PartitionOf(key, q)
		if p < 0 || p >= q {
			t.Fatalf("PartitionOf(%x, %d) = %d out of range", key, q, p)
		}
		if b := partitionBits(q); uint64(p) != DefaultPlacement.Hash(key)>>(64-b) {
			t.Fatalf("PartitionOf(%x, %d) = %d is not the top %d bits", key, q, p, b)
		}
		if q > 1 && PartitionOf(key, q/2) != p>>1 {
			t.Fatalf("PartitionOf(%x, %d) = %d does not refine q/2", key, q, p)
		}
		if partitionStart(p, partitionBits(q)) > DefaultPlacement.Hash(key) {
			t.Fatalf("key hash %#x before its partition's start", DefaultPlacement.Hash(key))
		}
	})
}

// decodeMembers turns fuzz bytes into members: each record is a length byte
// for the id, the id, a zone byte and 8 bytes of signed weight. Weights are
// raw int64s so the overflow and limit checks are fuzzed too.
func decodeMembers(data []byte) []Member {
	var ms []Member
	for len(data) > 0 && len(ms) < 24 {
		n := min(int(data[0]%8), len(data)-1)
		id := string(data[1 : 1+n])
		data = data[1+n:]
		m := Member{ID: id, Weight: 1}
		if len(data) > 0 {
			m.Zone = string(rune('a' + data[0]%5))
			data = data[1:]
		}
		if len(data) >= 8 {
			w := int64(binary.LittleEndian.Uint64(data))
			if w&1 == 0 { // keep most weights small so rings get built
				w = w >> 1 % 6
			}
			m.Weight = int(w)
			data = data[8:]
		}
		ms = append(ms, m)
	}
	return ms
}

// FuzzNew: New never panics; it either errors or yields a ring whose every
// preference list is a permutation of the members, independent of order.
func FuzzNew(f *testing.F) {
	f.Add([]byte("\x02n1a\x02\x00\x00\x00\x00\x00\x00\x00\x02n2b"), 256, 8)
	f.Add([]byte("\x01x\x00\x01\x00\x00\x00\x00\x00\x00\x80\x01x"), 3, 0)
	f.Add([]byte(""), 1, 1)
	f.Add([]byte("\x00"), 16, 1)
	f.Fuzz(func(t *testing.T, data []byte, q int, tpw int) {
		ms := decodeMembers(data)
		tpw = int(int16(tpw)) // huge token counts are covered by weights
		r, err := New(q, tpw, ms)
		if err != nil {
			if r != nil {
				t.Fatal("ring returned with an error")
			}
			return
		}
		if r.Partitions() != q || len(r.Members()) != len(ms) {
			t.Fatalf("Partitions=%d Members=%d, want %d, %d", r.Partitions(), len(r.Members()), q, len(ms))
		}
		rev := slices.Clone(ms)
		slices.Reverse(rev)
		r2, err := New(q, tpw, rev)
		if err != nil {
			t.Fatalf("New with reversed members: %v", err)
		}
		ids := make([]string, len(ms))
		for i, m := range r.Members() {
			ids[i] = m.ID
		}
		for p := range q {
			l := r.PreferenceList(p)
			if !slices.Equal(l, r2.PreferenceList(p)) {
				t.Fatalf("p=%d: order-dependent lists", p)
			}
			if !slices.Equal(slices.Sorted(slices.Values(l)), ids) {
				t.Fatalf("p=%d: %q is not a permutation of %q", p, l, ids)
			}
		}
	})
}
