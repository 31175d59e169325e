package ring

import (
	"math"
	mrand "math/rand"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/quick"
)

func TestNewErrors(t *testing.T) {
	ok := []Member{{ID: "a", Weight: 1}}
	tests := []struct {
		name    string
		q, tpw  int
		members []Member
		want    string
	}{
		{"zero partitions", 0, 1, ok, "invalid partition count 0"},
		{"non power of two", 6, 1, ok, "invalid partition count 6"},
		{"too many partitions", 1 << 17, 1, ok, "invalid partition count"},
		{"negative partitions", -256, 1, ok, "invalid partition count"},
		{"zero tokens", 8, 0, ok, "tokensPerWeight 0"},
		{"negative tokens", 8, -3, ok, "tokensPerWeight -3"},
		{"empty id", 8, 1, []Member{{ID: "a", Weight: 1}, {Weight: 1}}, "empty ID"},
		{"duplicate id", 8, 1, []Member{{ID: "b", Weight: 1}, {ID: "a", Weight: 1}, {ID: "b", Zone: "z", Weight: 2}}, `duplicate member ID "b"`},
		{"zero weight", 8, 1, []Member{{ID: "a", Weight: 0}}, `member "a": weight 0`},
		{"negative weight", 8, 1, []Member{{ID: "a", Weight: -1}}, `member "a": weight -1`},
		{"too many tokens", 8, 1 << 10, []Member{{ID: "a", Weight: 1 << 11}}, "exceeds the limit"},
		{"overflowing weight", 8, 1 << 40, []Member{{ID: "a", Weight: math.MaxInt}}, "exceeds the limit"},
		{"total too large", 8, MaxTokens / 2, []Member{{ID: "a", Weight: 1}, {ID: "b", Weight: 1}, {ID: "c", Weight: 1}}, `member "c"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.q, tc.tpw, tc.members)
			if err == nil {
				t.Fatalf("New succeeded, want error containing %q", tc.want)
			}
			if r != nil {
				t.Errorf("New returned a ring with error %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestNewAtTokenLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("sorts a million tokens")
	}
	r := mustNew(t, 4, MaxTokens/2, []Member{{ID: "a", Weight: 1}, {ID: "b", Weight: 1}})
	if got := len(r.PreferenceList(0)); got != 2 {
		t.Errorf("len(PreferenceList(0)) = %d, want 2", got)
	}
}

func TestEmptyRing(t *testing.T) {
	for _, ms := range [][]Member{nil, {}} {
		r := mustNew(t, 16, DefaultTokensPerWeight, ms)
		if r.Partitions() != 16 || len(r.Members()) != 0 {
			t.Fatalf("Partitions=%d Members=%v", r.Partitions(), r.Members())
		}
		for p := range 16 {
			if l := r.PreferenceList(p); len(l) != 0 {
				t.Errorf("PreferenceList(%d) = %v, want empty", p, l)
			}
			if l := r.Replicas(p, 3); len(l) != 0 {
				t.Errorf("Replicas(%d, 3) = %v, want empty", p, l)
			}
		}
		if got := r.OwnedPartitions("x", 3); len(got) != 0 {
			t.Errorf("OwnedPartitions = %v, want none", got)
		}
	}
}

func TestAccessors(t *testing.T) {
	in := []Member{{ID: "c", Zone: "z1", Weight: 2}, {ID: "a", Weight: 1}, {ID: "b", Zone: "z2", Weight: 3}}
	r := mustNew(t, 64, 7, in)
	want := []Member{in[1], in[2], in[0]}
	if got := r.Members(); !reflect.DeepEqual(got, want) {
		t.Errorf("Members() = %v, want %v", got, want)
	}
	r.Members()[0].ID = "mutated" // must not affect the ring
	if got := r.Members(); !reflect.DeepEqual(got, want) {
		t.Errorf("Members() after caller mutation = %v", got)
	}
	in[0].ID = "mutated-input" // New must have copied its input
	if m, ok := r.Member("c"); !ok || m != want[2] {
		t.Errorf("Member(c) = %v, %v", m, ok)
	}
	if _, ok := r.Member("zz"); ok {
		t.Error("Member(zz) found")
	}
	if r.Partitions() != 64 || r.TokensPerWeight() != 7 {
		t.Errorf("Partitions=%d TokensPerWeight=%d", r.Partitions(), r.TokensPerWeight())
	}
	for _, k := range []string{"", "a", "user/42", "\xff\x00"} {
		if got, want := r.PartitionOf(PlacementFNV, []byte(k)), PlacementFNV.PartitionOf([]byte(k), 64); got != want {
			t.Errorf("r.PartitionOf(%q) = %d, want %d", k, got, want)
		}
	}
}

func TestOutOfRangePartition(t *testing.T) {
	r := mustNew(t, 8, 4, nodes(3))
	for _, p := range []int{-1, 8, math.MaxInt, math.MinInt} {
		if l := r.PreferenceList(p); l != nil {
			t.Errorf("PreferenceList(%d) = %v, want nil", p, l)
		}
		if l := r.Replicas(p, 2); len(l) != 0 {
			t.Errorf("Replicas(%d, 2) = %v, want empty", p, l)
		}
	}
}

// TestMatchesReference compares every preference list with the naive
// specification-derived implementation over many random member sets, small
// token counts (so wrap-around and sparse rings are exercised) and all q.
func TestMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for iter := range 300 {
		ms := randomMembers(rng, 10, 4)
		q := 1 << rng.IntN(11)
		tpw := 1 + rng.IntN(12)
		r := mustNew(t, q, tpw, ms)
		want := refPreferenceLists(q, tpw, ms)
		for p := range q {
			if got := r.PreferenceList(p); !slices.Equal(got, want[p]) {
				t.Fatalf("iter %d q=%d tpw=%d members=%+v p=%d:\n got %q\nwant %q", iter, q, tpw, ms, p, got, want[p])
			}
		}
	}
}

func TestDeterministicAcrossInputOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 50 {
		ms := randomMembers(rng, 12, 3)
		q := 1 << rng.IntN(10)
		a := mustNew(t, q, 16, ms)
		b := mustNew(t, q, 16, shuffled(rng, ms))
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("rings differ for members %+v in two orders", ms)
		}
	}
}

// TestInvariants checks, over random member sets, that every list holds each
// member exactly once and Replicas is the right-length prefix.
func TestInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for range 100 {
		ms := randomMembers(rng, 16, 4)
		r := mustNew(t, 1<<rng.IntN(9), 1+rng.IntN(64), ms)
		checkInvariants(t, r, ms)
	}
}

func checkInvariants(t *testing.T, r *Ring, ms []Member) {
	t.Helper()
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	slices.Sort(ids)
	for p := range r.Partitions() {
		l := r.PreferenceList(p)
		if got := slices.Sorted(slices.Values(l)); !slices.Equal(got, ids) {
			t.Fatalf("PreferenceList(%d) = %q is not a permutation of %q", p, l, ids)
		}
		for _, n := range []int{-1, 0, 1, 2, 3, len(ms), len(ms) + 5} {
			rep := r.Replicas(p, n)
			if want := min(max(n, 0), len(ms)); len(rep) != want || !slices.Equal(rep, l[:want]) {
				t.Fatalf("Replicas(%d, %d) = %q, want prefix of length %d of %q", p, n, rep, want, l)
			}
		}
	}
}

// TestQuickInvariants runs the same invariants under testing/quick with
// arbitrary generated member descriptions.
func TestQuickInvariants(t *testing.T) {
	f := func(ids []uint8, zones []uint8, weights []uint8, qexp uint8, tpw uint8) bool {
		var ms []Member
		for i, id := range ids {
			m := Member{ID: string(rune('A' + id%40)), Weight: 1}
			if i < len(zones) {
				m.Zone = string(rune('a' + zones[i]%4))
			}
			if i < len(weights) {
				m.Weight = 1 + int(weights[i]%5)
			}
			if !slices.ContainsFunc(ms, func(o Member) bool { return o.ID == m.ID }) {
				ms = append(ms, m)
			}
		}
		r, err := New(1<<(qexp%9), 1+int(tpw%32), ms)
		if err != nil {
			t.Logf("New: %v", err)
			return false
		}
		checkInvariants(t, r, ms)
		return !t.Failed()
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 200, Rand: mrand.New(mrand.NewSource(17))}); err != nil {
		t.Error(err)
	}
}

func TestSingleMemberAndSinglePartition(t *testing.T) {
	r := mustNew(t, 1, 1, []Member{{ID: "only", Weight: 1}})
	if got := r.PreferenceList(0); !slices.Equal(got, []string{"only"}) {
		t.Errorf("PreferenceList(0) = %q", got)
	}
	r = mustNew(t, 1, DefaultTokensPerWeight, nodes(5))
	checkInvariants(t, r, nodes(5))
}

// TestSharedListsAreCapped makes sure appending to a returned list cannot
// overwrite another partition's list in the shared backing array.
func TestSharedListsAreCapped(t *testing.T) {
	r := mustNew(t, 256, 4, nodes(4))
	before := make([][]string, r.Partitions())
	for p := range before {
		before[p] = slices.Clone(r.PreferenceList(p))
	}
	for p := range r.Partitions() {
		_ = append(r.PreferenceList(p), "intruder")
		_ = append(r.Replicas(p, 2), "intruder")
	}
	for p := range before {
		if got := r.PreferenceList(p); !slices.Equal(got, before[p]) {
			t.Fatalf("partition %d changed to %q after appends", p, got)
		}
	}
}

func TestOwnedPartitions(t *testing.T) {
	ms := zoned(3, 3)
	r := mustNew(t, 512, 32, ms)
	for _, n := range []int{0, 1, 2, 3, 9, 20} {
		total := 0
		for _, m := range ms {
			got := r.OwnedPartitions(m.ID, n)
			var want []int
			for p := range r.Partitions() {
				if slices.Contains(r.Replicas(p, n), m.ID) {
					want = append(want, p)
				}
			}
			if !slices.Equal(got, want) || !slices.IsSorted(got) {
				t.Fatalf("OwnedPartitions(%s, %d) = %v, want %v", m.ID, n, got, want)
			}
			total += len(got)
		}
		if want := r.Partitions() * min(n, len(ms)); total != want {
			t.Errorf("n=%d: owned partitions sum to %d, want %d", n, total, want)
		}
	}
	if got := r.OwnedPartitions("stranger", 3); got != nil {
		t.Errorf("OwnedPartitions(stranger) = %v, want nil", got)
	}
}

// TestGolden pins a small ring so that any change to hashing, token order or
// the zones-first rule, which would silently move data in a running cluster
// mixing old and new binaries, fails here.
func TestGolden(t *testing.T) {
	ms := []Member{
		{ID: "n1", Zone: "east", Weight: 1},
		{ID: "n2", Zone: "east", Weight: 2},
		{ID: "n3", Zone: "west", Weight: 1},
		{ID: "n4", Zone: "", Weight: 1},
	}
	r := mustNew(t, 8, 4, ms)
	// Zones: n1, n2 east; n3 west; n4 "". The comment is the raw walk order,
	// to show where the zones-first rule reorders it.
	want := [][]string{
		{"n2", "n4", "n3", "n1"}, // walk n2 n4 n1 n3
		{"n4", "n2", "n3", "n1"}, // walk n4 n2 n1 n3
		{"n1", "n3", "n4", "n2"}, // walk n1 n3 n4 n2
		{"n3", "n4", "n1", "n2"}, // walk n3 n4 n1 n2
		{"n3", "n4", "n1", "n2"}, // walk n3 n4 n1 n2
		{"n4", "n1", "n3", "n2"}, // walk n4 n1 n2 n3
		{"n1", "n3", "n4", "n2"}, // walk n1 n2 n3 n4
		{"n2", "n4", "n3", "n1"}, // walk n2 n4 n1 n3
	}
	for p := range want {
		if got := r.PreferenceList(p); !slices.Equal(got, want[p]) {
			t.Errorf("PreferenceList(%d) = %q, want %q", p, got, want[p])
		}
	}
}
