package vclock

import (
	"errors"
	"math/rand"
	"reflect"
	"slices"
	"testing"
	"testing/quick"
)

// vv builds a vector from node/counter pairs, Time 0: vv("a", 1, "b", 2).
func vv(pairs ...any) VV {
	var v VV
	for i := 0; i < len(pairs); i += 2 {
		v = append(v, Entry{Node: pairs[i].(string), Counter: uint64(pairs[i+1].(int))})
	}
	return v
}

// genVV is a canonical random vector over a small node alphabet, so that
// generated vectors overlap often enough to exercise every Merge branch.
type genVV VV

func (genVV) Generate(r *rand.Rand, size int) reflect.Value {
	var v VV
	for _, n := range []string{"a", "b", "c", "d", "e", "node-f"} {
		if r.Intn(2) == 0 {
			v = append(v, Entry{Node: n, Counter: 1 + uint64(r.Intn(size+1)), Time: r.Int63n(100) - 10})
		}
	}
	return reflect.ValueOf(genVV(v))
}

func TestVVBasics(t *testing.T) {
	v := vv("a", 3, "c", 1)
	for _, tc := range []struct {
		node string
		want uint64
	}{{"a", 3}, {"b", 0}, {"c", 1}, {"d", 0}, {"", 0}} {
		if got := v.Get(tc.node); got != tc.want {
			t.Errorf("Get(%q) = %d, want %d", tc.node, got, tc.want)
		}
	}
	if !v.Covers(Dot{"a", 3}) || v.Covers(Dot{"a", 4}) || v.Covers(Dot{"b", 1}) || !v.Covers(Dot{"b", 0}) {
		t.Error("Covers wrong")
	}
	var zero VV
	if zero.Get("a") != 0 || !zero.Descends(nil) || !v.Descends(zero) || zero.Descends(v) {
		t.Error("empty vector wrong")
	}
}

func TestVVOrder(t *testing.T) {
	for _, tc := range []struct {
		name         string
		a, b         VV
		aDb, bDa, eq bool
	}{
		{"equal", vv("a", 1, "b", 2), vv("a", 1, "b", 2), true, true, true},
		{"empty", nil, VV{}, true, true, true},
		{"a ahead", vv("a", 2, "b", 2), vv("a", 1, "b", 2), true, false, false},
		{"a has more nodes", vv("a", 1, "b", 1), vv("b", 1), true, false, false},
		{"concurrent counters", vv("a", 2, "b", 1), vv("a", 1, "b", 2), false, false, false},
		{"concurrent nodes", vv("a", 1), vv("b", 1), false, false, false},
		{"interleaved nodes", vv("a", 1, "c", 1, "e", 1), vv("b", 1, "d", 1), false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Descends(tc.b); got != tc.aDb {
				t.Errorf("a.Descends(b) = %v", got)
			}
			if got := tc.b.Descends(tc.a); got != tc.bDa {
				t.Errorf("b.Descends(a) = %v", got)
			}
			if got := tc.a.Equal(tc.b); got != tc.eq {
				t.Errorf("Equal = %v", got)
			}
			if got, want := Concurrent(tc.a, tc.b), !tc.aDb && !tc.bDa; got != want {
				t.Errorf("Concurrent = %v", got)
			}
		})
	}
	// Time plays no part in causality.
	a, b := VV{{"a", 1, 5}}, VV{{"a", 1, 9}}
	if !a.Equal(b) || Concurrent(a, b) {
		t.Error("Time must not affect Equal/Concurrent")
	}
}

func TestMergeTable(t *testing.T) {
	got := Merge(VV{{"a", 1, 50}, {"b", 5, 10}, {"d", 1, 1}}, VV{{"b", 3, 20}, {"c", 2, 7}})
	want := VV{{"a", 1, 50}, {"b", 5, 20}, {"c", 2, 7}, {"d", 1, 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("Merge = %v, want %v", got, want)
	}
	if Merge(nil, VV{}) != nil {
		t.Error("Merge of empties should be nil")
	}
}

func TestMergeProperties(t *testing.T) {
	cfg := &quick.Config{MaxCount: 2000}
	check := func(name string, f any) {
		t.Helper()
		if err := quick.Check(f, cfg); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	check("commutative", func(a, b genVV) bool {
		return slices.Equal(Merge(VV(a), VV(b)), Merge(VV(b), VV(a)))
	})
	check("associative", func(a, b, c genVV) bool {
		return slices.Equal(Merge(Merge(VV(a), VV(b)), VV(c)), Merge(VV(a), Merge(VV(b), VV(c))))
	})
	check("idempotent", func(a genVV) bool {
		return slices.Equal(Merge(VV(a), VV(a)), VV(a).Clone())
	})
	check("upper bound", func(a, b genVV) bool {
		m := Merge(VV(a), VV(b))
		return m.Descends(VV(a)) && m.Descends(VV(b)) && m.Validate() == nil
	})
	check("least upper bound", func(a, b, c genVV) bool {
		// any vector above both is above the merge
		return !VV(c).Descends(VV(a)) || !VV(c).Descends(VV(b)) || VV(c).Descends(Merge(VV(a), VV(b)))
	})
	check("descends agrees with merge", func(a, b genVV) bool {
		return VV(a).Descends(VV(b)) == Merge(VV(a), VV(b)).Equal(VV(a))
	})
}

// Merge must hand back memory of its own: mutating the result must not
// reach the inputs, nor mutating an input the result.
func TestMergeDoesNotAlias(t *testing.T) {
	a := make(VV, 1, 8) // spare capacity an appending implementation might reuse
	a[0] = Entry{"a", 1, 1}
	b := VV{{"b", 1, 1}}
	for _, m := range []VV{Merge(a, b), Merge(a, nil), Merge(nil, b)} {
		for i := range m {
			m[i].Counter = 99
		}
		_ = append(m, Entry{"z", 1, 1})
	}
	if a[0].Counter != 1 || b[0].Counter != 1 || a[:2][1] != (Entry{}) {
		t.Fatalf("Merge result aliases an input: a=%v b=%v", a[:2], b)
	}
	m := Merge(a, b)
	a[0].Counter, b[0].Counter = 7, 7
	if m[0].Counter != 1 || m[1].Counter != 1 {
		t.Fatalf("input mutation reached Merge result: %v", m)
	}
}

func TestClone(t *testing.T) {
	if VV(nil).Clone() != nil || (VV{}).Clone() != nil {
		t.Error("empty clones to nil")
	}
	v := vv("a", 1)
	c := v.Clone()
	c[0].Counter = 5
	if v[0].Counter != 1 {
		t.Error("Clone shares memory")
	}
}

func TestVVValidate(t *testing.T) {
	for _, tc := range []struct {
		v  VV
		ok bool
	}{
		{nil, true},
		{vv("a", 1, "b", 2), true},
		{vv("b", 1, "a", 2), false},
		{vv("a", 1, "a", 2), false},
		{vv("a", 0), false},
	} {
		err := tc.v.Validate()
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("Validate(%v) = %v", tc.v, err)
		}
	}
}

func TestAdvanceTimeMonotone(t *testing.T) {
	v := advance(VV{{"a", 1, 100}}, Dot{"a", 2}, 50)
	if v[0] != (Entry{"a", 2, 100}) {
		t.Errorf("advance with an earlier clock: %v", v)
	}
	v = advance(v, Dot{"a", 3}, 200)
	if v[0] != (Entry{"a", 3, 200}) {
		t.Errorf("advance: %v", v)
	}
}
