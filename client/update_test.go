package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/actors"
	"github.com/quorumkv/quorumkv/client"
)

// gcounter is a grow-only counter: one entry per writer, the value the sum.
// Merging takes the largest of each entry, so merging a value twice, or a
// writer's own earlier value, changes nothing: what Update's function must
// allow.
type gcounter map[string]int

func (g gcounter) sum() int {
	n := 0
	for _, v := range g {
		n += v
	}
	return n
}

// increment returns an Update function that makes writer's count k (its
// k-th increment), merged with every sibling.
func increment(writer string, k int) func(*client.Result) ([]byte, error) {
	return func(cur *client.Result) ([]byte, error) {
		merged := gcounter{}
		for _, v := range cur.Values {
			var g gcounter
			if err := json.Unmarshal(v.Data, &g); err != nil {
				return nil, err
			}
			for w, n := range g {
				merged[w] = max(merged[w], n)
			}
		}
		merged[writer] = k
		return json.Marshal(merged)
	}
}

// Concurrent updaters, each on its own connection, increment one counter
// on a real node: none of the increments is lost, and no siblings are left.
func TestUpdateConcurrentCounter(t *testing.T) {
	n := newNode(t, actors.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const writers, increments = 4, 10
	var wg sync.WaitGroup
	var calls atomic.Int64
	errs := make(chan error, writers)
	for w := range writers {
		c := connectURL(t, n.ClientURL())
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("w%d", w)
			for k := 1; k <= increments; k++ {
				inc := increment(name, k)
				counted := func(cur *client.Result) ([]byte, error) { calls.Add(1); return inc(cur) }
				if _, err := c.Update(ctx, "counter", counted, client.WithMaxAttempts(50)); err != nil {
					errs <- fmt.Errorf("%s increment %d: %w", name, k, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r, err := connectURL(t, n.ClientURL()).Get(ctx, "counter")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Values) != 1 {
		t.Fatalf("%d values left, want one", len(r.Values))
	}
	var g gcounter
	if err := json.Unmarshal(r.Values[0].Data, &g); err != nil {
		t.Fatal(err)
	}
	if g.sum() != writers*increments {
		t.Fatalf("counter = %v, sum %d, want %d", g, g.sum(), writers*increments)
	}
	t.Logf("%d updates called their function %d times", writers*increments, calls.Load())
}

// A write that lands between Update's read and its write leaves siblings:
// Update sees them on its read back and calls its function again with
// them, and the merge it writes leaves one value.
func TestUpdateRetriesAfterARace(t *testing.T) {
	n := newNode(t, actors.Config{})
	c := connectURL(t, n.ClientURL())
	other := connectURL(t, n.ClientURL())
	ctx := context.Background()

	var calls []int
	_, err := c.Update(ctx, "k", func(cur *client.Result) ([]byte, error) {
		calls = append(calls, len(cur.Values))
		if len(calls) == 1 {
			if _, err := other.Put(ctx, "k", []byte("theirs")); err != nil {
				return nil, err
			}
			return []byte("mine"), nil
		}
		return []byte("merged"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(calls) != "[0 2]" {
		t.Fatalf("the function saw %v values on its calls, want [0 2]: none, then both writes", calls)
	}
	r, err := c.Get(ctx, "k")
	if err != nil || len(r.Values) != 1 || string(r.Values[0].Data) != "merged" {
		t.Fatalf("Get = %+v, %v; want the merge alone", r, err)
	}
}

// Writers that race every attempt exhaust the attempts: ErrConflict, with
// the last write's result.
func TestUpdateGivesUp(t *testing.T) {
	n := newNode(t, actors.Config{})
	c := connectURL(t, n.ClientURL())
	other := connectURL(t, n.ClientURL())
	ctx := context.Background()
	calls := 0
	res, err := c.Update(ctx, "k", func(cur *client.Result) ([]byte, error) {
		calls++
		if _, err := other.Put(ctx, "k", []byte("theirs")); err != nil {
			return nil, err
		}
		return []byte("mine"), nil
	}, client.WithMaxAttempts(3))
	if !errors.Is(err, client.ErrConflict) || res == nil || res.Context == "" {
		t.Fatalf("Update = %+v, %v; want ErrConflict and the last write's result", res, err)
	}
	if calls != 3 {
		t.Fatalf("the function ran %d times, want 3", calls)
	}
	if want := `key "k": conflict: concurrent writes still left 2 values after 3 attempts`; err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
}

func TestUpdateFunctionError(t *testing.T) {
	n := newNode(t, actors.Config{})
	c := connectURL(t, n.ClientURL())
	ctx := context.Background()
	stop := errors.New("no change wanted")
	if _, err := c.Update(ctx, "k", func(*client.Result) ([]byte, error) { return nil, stop }); err != stop {
		t.Fatalf("err = %v, want the function's own error", err)
	}
	if _, err := c.Get(ctx, "k"); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("Get = %v, want nothing written", err)
	}
	if _, err := c.Update(ctx, "k", nil); !errors.Is(err, client.ErrInvalidArgument) {
		t.Fatalf("nil function: err = %v", err)
	}
	if _, err := c.Update(ctx, "k", increment("w", 1), client.WithMaxAttempts(-1)); !errors.Is(err, client.ErrInvalidArgument) {
		t.Fatalf("negative attempts: err = %v", err)
	}
}

// In lww mode a racing write never leaves siblings: Update writes once.
func TestUpdateLWW(t *testing.T) {
	n := newNode(t, actors.Config{})
	c := connectURL(t, n.ClientURL())
	other := connectURL(t, n.ClientURL())
	ctx := context.Background()
	if _, err := c.CreateNamespace(ctx, client.Namespace{Name: "last", N: 1, Mode: client.ModeLWW}); err != nil {
		t.Fatal(err)
	}
	calls := 0
	_, err := c.Update(ctx, "k", func(*client.Result) ([]byte, error) {
		calls++
		if _, err := other.Put(ctx, "k", []byte("theirs"), client.WithNamespace("last")); err != nil {
			return nil, err
		}
		return []byte("mine"), nil
	}, client.WithNamespace("last"))
	if err != nil || calls != 1 {
		t.Fatalf("Update: %v after %d calls, want one call", err, calls)
	}
}

// A value over the node's configured limit is reported with that limit,
// whether it reaches the node or is too large for NATS to carry.
func TestValueLimitIsTheNodes(t *testing.T) {
	n := newNode(t, actors.Config{MaxValueBytes: 1000})
	c := connectURL(t, n.ClientURL())
	for _, size := range []int{2000, 200 << 10, 300 << 10} {
		_, err := c.Put(context.Background(), "k", make([]byte, size))
		want := fmt.Sprintf(`value too large: value of key "k" is %d bytes, over this node's limit of 1000 bytes (--max-value-bytes); `+
			"store large objects elsewhere and keep a reference here", size)
		var e *client.Error
		if !errors.As(err, &e) || e.Code.String() != "ERROR_CODE_VALUE_TOO_LARGE" || err.Error() != want {
			t.Errorf("Put of %d bytes: err = %v, want %q", size, err, want)
		}
	}
}
