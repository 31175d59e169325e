package actors

import (
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/messages"
)

// The wire options reach the plan: the quorum kind, and the timeout in ms.
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
			if err != nil || p.R != tc.r || p.W != tc.w || p.Strict != tc.strict || p.Timeout != tc.timeout {
				t.Fatalf("got %+v %v", p, err)
			}
		})
	}
}

func TestCheckKey(t *testing.T) {
	if checkKey("", 4) == nil || checkKey("12345", 4) == nil || checkKey("1234", 4) != nil {
		t.Fatal("key limits")
	}
}

func TestValidateNamespace(t *testing.T) {
	good := &messages.Namespace{Name: "carts", N: 5}
	if err := validateNamespace(good); err != nil || good.R != 3 || good.W != 3 {
		t.Fatalf("defaults to a majority: %+v %v", good, err)
	}
	unset := &messages.Namespace{Name: "carts"}
	if err := validateNamespace(unset); err != nil || unset.N != 3 || unset.R != 2 || unset.W != 2 {
		t.Fatalf("no n: want the default n=3 r=2 w=2, got %+v %v", unset, err)
	}
	for _, bad := range []*messages.Namespace{
		nil,
		{Name: "", N: 3},
		{Name: "has space", N: 3},
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
