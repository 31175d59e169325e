package linearize

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

func put(client int, key, value string, call, ret int64) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Input: Input{Key: key, Write: true, Value: value},
		Call: call, Output: Output{}, Return: ret}
}

// pending is a write of unknown outcome, as History leaves it: returning
// after everything else.
func pending(client int, key, value string, call int64) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Input: Input{Key: key, Write: true, Value: value},
		Call: call, Output: Output{Unknown: true}, Return: 1 << 40}
}

func get(client int, key string, call, ret int64, values ...string) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Input: Input{Key: key},
		Call: call, Output: Output{Values: values}, Return: ret}
}

func TestVerdicts(t *testing.T) {
	cases := []struct {
		name    string
		history []porcupine.Operation
		want    porcupine.CheckResult
		explain string // a phrase the explanation must hold
	}{
		{"reads follow writes", []porcupine.Operation{
			get(1, "k", 0, 5),
			put(0, "k", "a", 10, 20),
			get(1, "k", 15, 25, "a"), // concurrent with the write: either is fine
			get(2, "k", 30, 40, "a"),
			put(0, "k", "b", 50, 60),
			get(1, "k", 55, 58, "a"),
			get(2, "k", 56, 70, "b"),
		}, porcupine.Ok, ""},
		{"stale read after a completed write", []porcupine.Operation{
			put(0, "k", "a", 0, 10),
			put(0, "k", "b", 20, 30),
			get(1, "k", 40, 50, "a"),
		}, porcupine.Illegal, "get(k) -> a"},
		{"a read goes back after another read saw the new value", []porcupine.Operation{
			put(0, "k", "a", 0, 10),
			put(0, "k", "b", 20, 100), // in flight throughout
			get(1, "k", 30, 40, "b"),
			get(2, "k", 50, 60, "a"),
		}, porcupine.Illegal, "leaves it at b"},
		{"not found after a completed write", []porcupine.Operation{
			put(0, "k", "a", 0, 10),
			get(1, "k", 20, 30),
		}, porcupine.Illegal, "get(k) -> not found"},
		{"an unknown write may land late", []porcupine.Operation{
			put(0, "k", "a", 0, 10),
			pending(0, "k", "b", 20),
			get(1, "k", 30, 40, "a"),
			get(1, "k", 500, 600, "b"),
		}, porcupine.Ok, ""},
		{"an unknown write may never land", []porcupine.Operation{
			put(0, "k", "a", 0, 10),
			pending(0, "k", "b", 20),
			get(1, "k", 500, 600, "a"),
		}, porcupine.Ok, ""},
		{"once an unknown write is seen it stays", []porcupine.Operation{
			put(0, "k", "a", 0, 10),
			pending(0, "k", "b", 20),
			get(1, "k", 30, 40, "b"),
			get(2, "k", 50, 60, "a"),
		}, porcupine.Illegal, "get(k) -> a"},
		{"siblings are no register's answer", []porcupine.Operation{
			put(0, "k", "a", 0, 10),
			get(1, "k", 20, 30, "a", "b"),
		}, porcupine.Illegal, "siblings [a b]"},
		{"keys are independent registers", []porcupine.Operation{
			put(0, "x", "a", 0, 10),
			put(1, "y", "b", 0, 10),
			get(2, "x", 20, 30, "a"),
			get(2, "y", 20, 30, "b"),
			get(2, "z", 20, 30),
		}, porcupine.Ok, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := Check(tc.history, 10*time.Second)
			if res.Verdict != tc.want {
				t.Fatalf("verdict %v, want %v\n%s", res.Verdict, tc.want, res.Explanation)
			}
			if tc.want == porcupine.Ok && res.Explanation != "" {
				t.Fatalf("explanation for a linearizable history: %s", res.Explanation)
			}
			if !strings.Contains(res.Explanation, tc.explain) {
				t.Fatalf("explanation lacks %q:\n%s", tc.explain, res.Explanation)
			}
		})
	}
}

func TestSiblingsBesideTheLatest(t *testing.T) {
	falseConflict := []porcupine.Operation{
		put(0, "k", "a", 0, 10),
		put(0, "k", "b", 20, 30),
		get(1, "k", 40, 50, "a", "b"),
		put(0, "k", "c", 60, 70),
		get(1, "k", 80, 90, "c", "a"),
	}
	if res := Check(falseConflict, 10*time.Second); res.Verdict != porcupine.Illegal || res.SiblingReads != 2 {
		t.Fatalf("Check: got %+v", res)
	}
	if res := CheckAllowingSiblings(falseConflict, 10*time.Second); res.Verdict != porcupine.Ok {
		t.Fatalf("CheckAllowingSiblings: got %+v", res)
	}
	stale := []porcupine.Operation{
		put(0, "k", "a", 0, 10),
		put(0, "k", "b", 20, 30),
		put(0, "k", "c", 40, 50),
		get(1, "k", 60, 70, "a", "b"), // the latest, c, is missing
	}
	res := CheckAllowingSiblings(stale, 10*time.Second)
	if res.Verdict != porcupine.Illegal || !strings.Contains(res.Explanation, "client 1: get(k) -> siblings [a b]") {
		t.Fatalf("CheckAllowingSiblings: got %+v", res)
	}
}

func TestExplanationNamesTheKeyAndTheStaleRead(t *testing.T) {
	h := []porcupine.Operation{
		put(0, "good", "x", 0, 10),
		put(0, "bad", "a", 0, 10),
		put(0, "bad", "b", 20, 30),
		get(3, "bad", 40, 50, "a"),
		get(4, "worse", 40, 50, "a"),
	}
	res := Check(h, 10*time.Second)
	if res.Verdict != porcupine.Illegal || res.Keys != 3 || res.Operations != 5 {
		t.Fatalf("got %+v", res)
	}
	t.Log(res.Explanation)
	for _, want := range []string{
		"key bad is not linearizable (3 operations, 0 writes of unknown outcome)",
		"takes 2 of them and leaves it at b",
		"client 3: get(bad) -> a",
		"also not linearizable: worse",
	} {
		if !strings.Contains(res.Explanation, want) {
			t.Errorf("explanation lacks %q:\n%s", want, res.Explanation)
		}
	}
}

func TestOutOfTimeIsUnknown(t *testing.T) {
	h := []porcupine.Operation{put(0, "k", "a", 0, 10), get(1, "j", 0, 10)}
	res := Check(h, 0)
	if res.Verdict != porcupine.Unknown || strings.Join(res.Undecided, ",") != "j,k" {
		t.Fatalf("got %+v", res)
	}
}

// TestRecorder records from concurrent clients (run it with -race): every
// operation is kept, and writes of unknown outcome end after everything
// else, so that they stay pending for the checker.
func TestRecorder(t *testing.T) {
	r := NewRecorder()
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				call := r.Now()
				r.Write(c, "k", "v", call, i%10 != 0)
				r.Read(c, "k", []string{"v"}, r.Now())
			}
		}()
	}
	wg.Wait()
	h := r.History()
	if len(h) != 800 {
		t.Fatalf("%d operations, want 800", len(h))
	}
	var end int64
	unknown := 0
	for _, op := range h {
		if op.Call > op.Return {
			t.Fatalf("returns before its call: %+v", op)
		}
		if !op.Output.(Output).Unknown {
			end = max(end, op.Return)
		}
	}
	for _, op := range h {
		if op.Output.(Output).Unknown {
			unknown++
			if op.Return <= end {
				t.Fatalf("unknown write returns at %d, before the history's end %d", op.Return, end)
			}
		}
	}
	if unknown != 40 {
		t.Fatalf("%d unknown writes, want 40", unknown)
	}
	if res := Check(h, 10*time.Second); res.Verdict != porcupine.Ok || res.Unknown != 40 {
		t.Fatalf("got %+v", res)
	}
}

// TestRecordedValuesAreCopied: a caller may reuse its slice of values.
func TestRecordedValuesAreCopied(t *testing.T) {
	r := NewRecorder()
	vals := []string{"a"}
	r.Read(0, "k", vals, r.Now())
	vals[0] = "b"
	if got := r.History()[0].Output.(Output).Values[0]; got != "a" {
		t.Fatalf("recorded %q", got)
	}
}
