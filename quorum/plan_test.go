package quorum

import (
	"slices"
	"testing"
	"time"
)

func TestPlace(t *testing.T) {
	pref := []string{"a", "b", "c", "d", "e"}
	upExcept := func(down ...string) func(string) bool {
		return func(id string) bool { return !slices.Contains(down, id) }
	}
	cases := []struct {
		name          string
		n             int
		strict        bool
		down          []string
		active, spare []string
	}{
		{"all up, sloppy", 3, false, nil, []string{"a", "b", "c"}, []string{"d", "e"}},
		{"all up, strict", 3, true, nil, []string{"a", "b", "c"}, nil},
		{"home down, sloppy takes a fallback", 3, false, []string{"b"}, []string{"a", "c", "d"}, []string{"e", "b"}},
		{"home down, strict keeps the down one as a last spare", 3, true, []string{"b"}, []string{"a", "c"}, []string{"b"}},
		{"two home down, sloppy", 3, false, []string{"a", "b"}, []string{"c", "d", "e"}, []string{"a", "b"}},
		{"everything down", 3, false, pref, nil, pref},
		{"n larger than the list", 9, false, nil, pref, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tg := Place(pref, Plan{N: tc.n, Strict: tc.strict}, upExcept(tc.down...))
			if !slices.Equal(tg.Active, tc.active) || !slices.Equal(tg.Spare, tc.spare) {
				t.Fatalf("active %v spare %v, want %v %v", tg.Active, tg.Spare, tc.active, tc.spare)
			}
			if want := pref[:min(tc.n, len(pref))]; !slices.Equal(tg.Homes, want) {
				t.Fatalf("homes %v, want %v", tg.Homes, want)
			}
		})
	}
}

func TestNewPlan(t *testing.T) {
	ns := Defaults{N: 3, R: 2, W: 2}
	cases := []struct {
		name    string
		opts    Options
		r, w    int
		strict  bool
		timeout time.Duration
		bad     bool
	}{
		{"defaults", Options{}, 2, 2, false, time.Second, false},
		{"overrides", Options{R: 1, W: 3, Timeout: 250 * time.Millisecond}, 1, 3, false, 250 * time.Millisecond, false},
		{"strict", Options{Strict: true}, 2, 2, true, time.Second, false},
		{"r above n", Options{R: 4}, 0, 0, false, 0, true},
		{"w above n", Options{W: 4}, 0, 0, false, 0, true},
		{"timeout capped", Options{Timeout: time.Hour}, 2, 2, false, time.Minute, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPlan(ns, tc.opts, time.Second, time.Minute)
			if tc.bad {
				if err == nil {
					t.Fatalf("accepted %+v", p)
				}
				return
			}
			if err != nil || p.N != 3 || p.R != tc.r || p.W != tc.w || p.Strict != tc.strict || p.Timeout != tc.timeout {
				t.Fatalf("got %+v %v", p, err)
			}
		})
	}
}

func TestClampTo(t *testing.T) {
	if p := (Plan{N: 3, R: 2, W: 3}).ClampTo(1); p.N != 1 || p.R != 1 || p.W != 1 {
		t.Fatalf("one node: %+v", p)
	}
	if p := (Plan{N: 3, R: 2, W: 2}).ClampTo(5); p.N != 3 || p.R != 2 || p.W != 2 {
		t.Fatalf("a larger cluster must not change the plan: %+v", p)
	}
}

func TestPreferSelf(t *testing.T) {
	if got := PreferSelf([]string{"a", "b", "c"}, "c"); !slices.Equal(got, []string{"c", "a", "b"}) {
		t.Fatal(got)
	}
	if got := PreferSelf([]string{"a", "b"}, "z"); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatal(got)
	}
}
