package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/quorumkv/quorumkv/client"
)

type regInput struct {
	write bool
	key   string
	value string
}

type regOutput struct{ value string }

// registerModel is a map of independent registers, partitioned by key.
var registerModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		for _, op := range history {
			k := op.Input.(regInput).key
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(byKey))
		for _, ops := range byKey {
			out = append(out, ops)
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		in, out := input.(regInput), output.(regOutput)
		if in.write {
			return true, in.value
		}
		return out.value == state.(string), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.(regInput)
		if in.write {
			return fmt.Sprintf("put(%s, %s)", in.key, in.value)
		}
		return fmt.Sprintf("get(%s) -> %s", in.key, output.(regOutput).value)
	},
}

// TestStrictQuorumIsLinearizable records a no-fault history of 5,000
// operations over 50 keys from 8 concurrent clients with strict
// R=2/W=2/N=3, one writer per key, and checks it with porcupine: no read
// may return a value older than one an earlier read or write completed.
func TestStrictQuorumIsLinearizable(t *testing.T) {
	cl := startCluster(t, 3)
	const clients, keys, totalOps = 8, 50, 5000
	start := time.Now()
	var mu sync.Mutex
	var history []porcupine.Operation
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for id := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cl.Client(cl.Nodes[id%len(cl.Nodes)])
			rng := rand.New(rand.NewPCG(uint64(id), 42))
			tokens := map[string]string{} // this writer's last ack context per key
			for i := range totalOps / clients {
				op, err := linearizableStep(c, rng, id, i, keys, clients, tokens, start)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				history = append(history, op)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	res := porcupine.CheckOperationsTimeout(registerModel, history, 60*time.Second)
	t.Logf("%d operations checked: %v", len(history), res)
	if res != porcupine.Ok {
		t.Fatalf("history is not linearizable: %v", res)
	}
}

// linearizableStep does one read of any key or one write of a key this
// client owns (key i belongs to client i % clients).
func linearizableStep(c *client.Client, rng *rand.Rand, id, i, keys, clients int, tokens map[string]string, start time.Time) (porcupine.Operation, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q := []client.Option{client.Strict(), client.WithR(2), client.WithW(2)}
	if rng.IntN(2) == 0 {
		k := rng.IntN(keys/clients)*clients + id
		if k >= keys {
			k = id
		}
		key, val := fmt.Sprintf("lin-%d", k), fmt.Sprintf("c%d-%d", id, i)
		call := time.Since(start).Nanoseconds()
		tok, err := c.Put(ctx, key, []byte(val), append(q, client.WithContext(tokens[key]))...)
		ret := time.Since(start).Nanoseconds()
		if err != nil {
			return porcupine.Operation{}, fmt.Errorf("put %s: %w", key, err)
		}
		tokens[key] = tok
		return porcupine.Operation{ClientId: id, Input: regInput{write: true, key: key, value: val}, Call: call, Output: regOutput{}, Return: ret}, nil
	}
	key := fmt.Sprintf("lin-%d", rng.IntN(keys))
	call := time.Since(start).Nanoseconds()
	res, err := c.Get(ctx, key, q...)
	ret := time.Since(start).Nanoseconds()
	out := regOutput{}
	switch {
	case errors.Is(err, client.ErrNotFound):
	case err != nil:
		return porcupine.Operation{}, fmt.Errorf("get %s: %w", key, err)
	case len(res.Values) != 1:
		return porcupine.Operation{}, fmt.Errorf("get %s: single writer yet %d siblings", key, len(res.Values))
	default:
		out.value = string(res.Values[0].Data)
	}
	return porcupine.Operation{ClientId: id, Input: regInput{key: key}, Call: call, Output: out, Return: ret}, nil
}
