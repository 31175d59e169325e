// Package linearize checks that histories of strict-quorum reads and writes
// are linearizable: each key behaves as one register, so no read may return
// a value older than one that an earlier read or write (earlier in real
// time) had already returned or written. The simulation (internal/sim) and
// the real-process test (e2e) record their histories with a Recorder and
// judge them with Check, against one model.
//
// Writers pass the context token of their previous acknowledged write of a
// key, so that each write supersedes the last instead of becoming its
// sibling; with one writer per key, a read that returns siblings is
// therefore not a register's answer, and Check rejects it. Under faults a
// retried write can leave a twin that the writer's ack context does not
// cover, which then stands beside its next write as a false conflict
// (vclock's doc, "Write ids"); CheckAllowingSiblings accepts those as long
// as the latest value is among the siblings.
package linearize

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// Input is one operation on a key's register.
type Input struct {
	Key   string
	Write bool
	// Value is what a write stores; never empty, since the empty string is
	// the register's state before any write (a read that finds nothing).
	Value string
}

// Output is what an operation returned.
type Output struct {
	// Values are a read's values: none when the key was not found, more
	// than one when the read returned siblings.
	Values []string
	// Unknown marks a write that got no answer (an error or a timeout): it
	// may have taken effect, at any time after its call, or never.
	Unknown bool
}

// Model is one register per key, partitioned by key. A read that returns
// nothing matches the state before any write; siblings match no state.
var Model = registers(false)

// ModelAllowingSiblings is Model, except that a read returning siblings
// matches the state if it is one of them: values the writer superseded may
// come back beside the latest (false conflicts), but the latest must be
// there.
var ModelAllowingSiblings = registers(true)

func registers(allowSiblings bool) porcupine.Model {
	return porcupine.Model{
		Partition:         partition,
		Init:              func() any { return "" },
		Step:              func(state, input, output any) (bool, any) { return step(allowSiblings, state, input, output) },
		DescribeOperation: func(input, output any) string { return describe(input.(Input), output.(Output)) },
		DescribeState:     describeState,
	}
}

func partition(history []porcupine.Operation) [][]porcupine.Operation {
	byKey := map[string][]porcupine.Operation{}
	var keys []string
	for _, op := range history {
		k := op.Input.(Input).Key
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], op)
	}
	out := make([][]porcupine.Operation, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k])
	}
	return out
}

func step(allowSiblings bool, state, input, output any) (bool, any) {
	in, out := input.(Input), output.(Output)
	if in.Write {
		return true, in.Value
	}
	switch {
	case len(out.Values) == 0:
		return state.(string) == "", state
	case len(out.Values) == 1 || allowSiblings:
		return slices.Contains(out.Values, state.(string)), state
	}
	return false, state
}

func describeState(state any) string {
	if state.(string) == "" {
		return "(not written)"
	}
	return state.(string)
}

func describe(in Input, out Output) string {
	if in.Write {
		if out.Unknown {
			return fmt.Sprintf("put(%s, %s) -> unknown", in.Key, in.Value)
		}
		return fmt.Sprintf("put(%s, %s)", in.Key, in.Value)
	}
	switch len(out.Values) {
	case 0:
		return fmt.Sprintf("get(%s) -> not found", in.Key)
	case 1:
		return fmt.Sprintf("get(%s) -> %s", in.Key, out.Values[0])
	}
	return fmt.Sprintf("get(%s) -> siblings %v", in.Key, out.Values)
}

// Recorder collects a history from concurrent clients. Times are
// nanoseconds on the monotonic clock since the Recorder was made.
type Recorder struct {
	start time.Time
	mu    sync.Mutex
	ops   []porcupine.Operation
}

// NewRecorder starts a history.
func NewRecorder() *Recorder { return &Recorder{start: time.Now()} }

// Now is the time to pass as an operation's call time: take it just before
// sending the request.
func (r *Recorder) Now() int64 { return time.Since(r.start).Nanoseconds() }

// Write records a write of value to key called at call and returning now.
// ok false means the outcome is unknown (no answer, or an error after
// which the write may still have reached replicas): it is recorded as
// pending to the end of the history, as porcupine treats an operation that
// never returned. A write known not to have happened (nobody received it)
// should not be recorded at all.
func (r *Recorder) Write(client int, key, value string, call int64, ok bool) {
	ret := r.Now()
	if !ok {
		ret = math.MaxInt64 // set to the end of the history by History
	}
	r.add(porcupine.Operation{ClientId: client, Input: Input{Key: key, Write: true, Value: value},
		Call: call, Output: Output{Unknown: !ok}, Return: ret})
}

// Read records a read of key called at call and returning now with values.
// A read that failed says nothing about the register and is not recorded.
func (r *Recorder) Read(client int, key string, values []string, call int64) {
	ret := r.Now()
	r.add(porcupine.Operation{ClientId: client, Input: Input{Key: key},
		Call: call, Output: Output{Values: slices.Clone(values)}, Return: ret})
}

func (r *Recorder) add(op porcupine.Operation) {
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
}

// History returns a copy of the operations recorded so far. Writes of
// unknown outcome return after every other operation's call and return:
// for the checker that is the same as never returning, and it keeps times
// printable.
func (r *Recorder) History() []porcupine.Operation {
	r.mu.Lock()
	ops := slices.Clone(r.ops)
	r.mu.Unlock()
	var end int64
	for _, op := range ops {
		end = max(end, op.Call)
		if op.Return != math.MaxInt64 {
			end = max(end, op.Return)
		}
	}
	for i := range ops {
		if ops[i].Return == math.MaxInt64 {
			ops[i].Return = end + 1
		}
	}
	return ops
}

// Result is Check's verdict.
type Result struct {
	// Verdict is porcupine.Ok, porcupine.Illegal (some key is not
	// linearizable) or porcupine.Unknown (time ran out before every key
	// was decided, and none was found illegal).
	Verdict porcupine.CheckResult
	// Keys and Operations count what was checked; Unknown counts writes of
	// unknown outcome among them, SiblingReads reads that returned more
	// than one value.
	Keys, Operations, Unknown, SiblingReads int
	// Undecided names the keys time ran out on.
	Undecided []string
	// Explanation says, for an illegal history, which key failed and why:
	// the longest order of its operations that the register allows, and
	// the operations none of which can come next. Empty otherwise.
	Explanation string
}

// Check judges history against Model key by key (each key is an
// independent register), all keys within timeout. Keys are checked in name
// order, so a verdict that runs out of time leaves the same keys undecided
// on every run.
func Check(history []porcupine.Operation, timeout time.Duration) Result {
	return check(Model, history, timeout)
}

// CheckAllowingSiblings is Check against ModelAllowingSiblings.
func CheckAllowingSiblings(history []porcupine.Operation, timeout time.Duration) Result {
	return check(ModelAllowingSiblings, history, timeout)
}

func check(model porcupine.Model, history []porcupine.Operation, timeout time.Duration) Result {
	deadline := time.Now().Add(timeout)
	byKey := partition(history)
	sort.Slice(byKey, func(i, j int) bool { return keyOf(byKey[i]) < keyOf(byKey[j]) })
	res := Result{Verdict: porcupine.Ok, Keys: len(byKey), Operations: len(history)}
	for _, op := range history {
		out := op.Output.(Output)
		if out.Unknown {
			res.Unknown++
		}
		if len(out.Values) > 1 {
			res.SiblingReads++
		}
	}
	var illegal []string
	for _, ops := range byKey {
		left := time.Until(deadline)
		if left <= 0 { // porcupine reads a zero timeout as none
			res.Undecided = append(res.Undecided, keyOf(ops))
			continue
		}
		switch porcupine.CheckOperationsTimeout(model, ops, left) {
		case porcupine.Illegal:
			if len(illegal) == 0 {
				res.Explanation = explain(model, ops, max(time.Until(deadline), time.Second))
			}
			illegal = append(illegal, keyOf(ops))
		case porcupine.Unknown:
			res.Undecided = append(res.Undecided, keyOf(ops))
		}
	}
	switch {
	case len(illegal) > 0:
		res.Verdict = porcupine.Illegal
		if len(illegal) > 1 {
			res.Explanation += fmt.Sprintf("\nalso not linearizable: %s", strings.Join(illegal[1:], ", "))
		}
	case len(res.Undecided) > 0:
		res.Verdict = porcupine.Unknown
	}
	return res
}

func keyOf(ops []porcupine.Operation) string { return ops[0].Input.(Input).Key }

// explain describes why one key's operations are not linearizable, from
// the longest partial linearization porcupine found: the state it leaves,
// and the operations that could be linearized next (called before any
// other remaining operation returned), none of which the register allows.
// The verbose check runs only here, on a failure, because it costs more.
func explain(model porcupine.Model, ops []porcupine.Operation, timeout time.Duration) string {
	var b strings.Builder
	unknown := 0
	for _, op := range ops {
		if op.Output.(Output).Unknown {
			unknown++
		}
	}
	fmt.Fprintf(&b, "key %s is not linearizable (%d operations, %d writes of unknown outcome)\n",
		keyOf(ops), len(ops), unknown)
	_, info := porcupine.CheckOperationsVerbose(model, ops, timeout)
	var longest []int
	for _, part := range info.PartialLinearizations() {
		for _, seq := range part {
			if len(seq) > len(longest) {
				longest = seq
			}
		}
	}
	state := model.Init()
	done := make([]bool, len(ops))
	for _, id := range longest {
		_, state = model.Step(state, ops[id].Input, ops[id].Output)
		done[id] = true
	}
	fmt.Fprintf(&b, "the longest order the register allows takes %d of them and leaves it at %s",
		len(longest), describeState(state))
	if n := len(longest); n > 0 {
		fmt.Fprintf(&b, "; it ends:\n")
		for _, id := range longest[max(0, n-5):] {
			fmt.Fprintf(&b, "  %s\n", line(ops[id]))
		}
	} else {
		b.WriteString("\n")
	}
	firstReturn := int64(math.MaxInt64)
	for i, op := range ops {
		if !done[i] {
			firstReturn = min(firstReturn, op.Return)
		}
	}
	b.WriteString("none of the operations that could come next fits:\n")
	first := -1
	for i, op := range ops {
		if !done[i] && op.Call <= firstReturn {
			if first < 0 {
				first = i
			}
			fmt.Fprintf(&b, "  %s\n", line(op))
		}
	}
	// The operations around the failure, in call order, so that a reader
	// can see what overlapped what.
	sorted := slices.Clone(ops)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Call < sorted[j].Call })
	at := 0
	if first >= 0 {
		at = slices.IndexFunc(sorted, func(op porcupine.Operation) bool { return op.Call == ops[first].Call })
	}
	lo, hi := max(0, at-15), min(len(sorted), at+10)
	fmt.Fprintf(&b, "the key's operations %d to %d of %d by call time (ms since the history began):\n", lo+1, hi, len(sorted))
	for _, op := range sorted[lo:hi] {
		fmt.Fprintf(&b, "  %s\n", line(op))
	}
	return strings.TrimRight(b.String(), "\n")
}

// line is one operation: its interval, client and what it did.
func line(op porcupine.Operation) string {
	ret := "unknown"
	if !op.Output.(Output).Unknown {
		ret = fmt.Sprintf("%.3f", float64(op.Return)/1e6)
	}
	return fmt.Sprintf("[%10.3f, %10s] client %d: %s", float64(op.Call)/1e6, ret, op.ClientId,
		describe(op.Input.(Input), op.Output.(Output)))
}
