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
	"github.com/quorumkv/quorumkv/internal/linearize"
)

// TestStrictQuorumIsLinearizable records a no-fault history of 5,000
// operations over 50 keys from 8 concurrent clients with strict
// R=2/W=2/N=3, one writer per key, and checks it with porcupine: no read
// may return a value older than one an earlier read or write completed.
func TestStrictQuorumIsLinearizable(t *testing.T) {
	cl := startCluster(t, 3)
	const clients, keys, totalOps = 8, 50, 5000
	rec := linearize.NewRecorder()
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
				if err := linearizableStep(c, rng, id, i, keys, clients, tokens, rec); err != nil {
					errs <- err
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
	res := linearize.Check(rec.History(), 60*time.Second)
	t.Logf("%d operations checked: %v", res.Operations, res.Verdict)
	if res.Verdict != porcupine.Ok {
		t.Fatalf("history is not linearizable: %v %v\n%s", res.Verdict, res.Undecided, res.Explanation)
	}
}

// linearizableStep does one read of any key or one write of a key this
// client owns (key i belongs to client i % clients), and records it.
func linearizableStep(c *client.Client, rng *rand.Rand, id, i, keys, clients int, tokens map[string]string, rec *linearize.Recorder) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q := []client.Option{client.Strict(), client.WithR(2), client.WithW(2)}
	if rng.IntN(2) == 0 {
		k := rng.IntN(keys/clients)*clients + id
		if k >= keys {
			k = id
		}
		key, val := fmt.Sprintf("lin-%d", k), fmt.Sprintf("c%d-%d", id, i)
		call := rec.Now()
		tok, err := c.Put(ctx, key, []byte(val), append(q, client.WithCausalContext(tokens[key]))...)
		if err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
		rec.Write(id, key, val, call, true)
		tokens[key] = tok.Context
		return nil
	}
	key := fmt.Sprintf("lin-%d", rng.IntN(keys))
	call := rec.Now()
	res, err := c.Get(ctx, key, q...)
	var values []string
	switch {
	case errors.Is(err, client.ErrNotFound):
	case err != nil:
		return fmt.Errorf("get %s: %w", key, err)
	case len(res.Values) != 1:
		return fmt.Errorf("get %s: single writer yet %d siblings", key, len(res.Values))
	default:
		values = []string{string(res.Values[0].Data)}
	}
	rec.Read(id, key, values, call)
	return nil
}
