package actors

import (
	"slices"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/messages"
)

func TestChooseTargets(t *testing.T) {
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
			active, spare := chooseTargets(pref, tc.n, tc.strict, upExcept(tc.down...))
			if !slices.Equal(active, tc.active) || !slices.Equal(spare, tc.spare) {
				t.Fatalf("active %v spare %v, want %v %v", active, spare, tc.active, tc.spare)
			}
		})
	}
}

func TestPlanRequest(t *testing.T) {
	ns := &messages.Namespace{Name: "x", N: 3, R: 2, W: 2}
	cases := []struct {
		name    string
		opts    *messages.RequestOptions
		r, w    int
		strict  bool
		timeout time.Duration
		bad     bool
	}{
		{"defaults", nil, 2, 2, false, time.Second, false},
		{"overrides", &messages.RequestOptions{R: 1, W: 3, TimeoutMs: 250}, 1, 3, false, 250 * time.Millisecond, false},
		{"strict", &messages.RequestOptions{Quorum: messages.Quorum_QUORUM_STRICT}, 2, 2, true, time.Second, false},
		{"r above n", &messages.RequestOptions{R: 4}, 0, 0, false, 0, true},
		{"w above n", &messages.RequestOptions{W: 4}, 0, 0, false, 0, true},
		{"unknown quorum", &messages.RequestOptions{Quorum: 7}, 0, 0, false, 0, true},
		{"timeout capped", &messages.RequestOptions{TimeoutMs: 1 << 30}, 2, 2, false, time.Minute, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planRequest(ns, tc.opts, time.Second, time.Minute)
			if tc.bad {
				if err == nil || err.code != messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT {
					t.Fatalf("want invalid argument, got %v", err)
				}
				return
			}
			if err != nil || p.r != tc.r || p.w != tc.w || p.strict != tc.strict || p.timeout != tc.timeout {
				t.Fatalf("got %+v %v", p, err)
			}
		})
	}
}

func TestClampToCluster(t *testing.T) {
	p := quorumPlan{n: 3, r: 2, w: 3}.clampToCluster(1)
	if p.n != 1 || p.r != 1 || p.w != 1 {
		t.Fatalf("one node: %+v", p)
	}
	p = quorumPlan{n: 3, r: 2, w: 2}.clampToCluster(5)
	if p.n != 3 || p.r != 2 || p.w != 2 {
		t.Fatalf("larger cluster must not change the plan: %+v", p)
	}
}

func TestCheckKey(t *testing.T) {
	if checkKey("", 4) == nil || checkKey("12345", 4) == nil || checkKey("1234", 4) != nil {
		t.Fatal("key limits")
	}
}

func TestPreferSelf(t *testing.T) {
	if got := preferSelf([]string{"a", "b", "c"}, "c"); !slices.Equal(got, []string{"c", "a", "b"}) {
		t.Fatal(got)
	}
	if got := preferSelf([]string{"a", "b"}, "z"); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatal(got)
	}
}

func TestValidateNamespace(t *testing.T) {
	good := &messages.Namespace{Name: "carts", N: 5}
	if err := validateNamespace(good); err != nil || good.R != 3 || good.W != 3 {
		t.Fatalf("defaults to a majority: %+v %v", good, err)
	}
	for _, bad := range []*messages.Namespace{
		nil,
		{Name: "", N: 3},
		{Name: "has space", N: 3},
		{Name: "x", N: 0},
		{Name: "x", N: maxReplicas + 1},
		{Name: "x", N: 3, R: 4},
		{Name: "x", N: 3, Mode: 9},
	} {
		if validateNamespace(bad) == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

func TestContextTokenRejectsGarbage(t *testing.T) {
	for _, tok := range []string{"!!", "AAAA", "_____w"} {
		if _, err := decodeContextToken(tok); err == nil || err.code != messages.ErrorCode_ERROR_CODE_BAD_CONTEXT {
			t.Errorf("token %q: %v", tok, err)
		}
	}
	if v, err := decodeContextToken(""); err != nil || v != nil {
		t.Fatal("empty token is a blind write")
	}
}
