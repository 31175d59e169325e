package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/quorumkv/quorumkv/internal/linearize"
	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/transport"
)

// strictClients is how many clients the strict workload runs, the first
// strictWriters of which also write: writer i writes key i, and every
// client reads any key, so each key has one writer and concurrent readers.
const strictClients, strictWriters = 4, 2

// strictOpts is strict quorum with R=W=2 of N=3: every read overlaps every
// acknowledged write in a home replica, and a read's write-back makes what
// it returned stay.
var strictOpts = &messages.RequestOptions{R: 2, W: 2, Quorum: messages.Quorum_QUORUM_STRICT, TimeoutMs: 1000}

// strictTimeout bounds a strict request past the node's own timeout
// (strictOpts), so that the node's answer normally arrives first.
const strictTimeout = 1500 * time.Millisecond

// strictWorkload runs beside a run's blind writes and faults: concurrent
// clients reading and writing a few keys under strict quorum through
// random nodes, every operation recorded with its call and return times,
// so that the history can be checked for linearizability at the end.
type strictWorkload struct {
	ns      string // the namespace of its keys ("": the default)
	names   []string
	conns   []transport.Conn // one on each node's host, by node index
	rec     *linearize.Recorder
	keys    []string // writer i writes keys[i]
	tickets chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
}

// startStrict starts the clients; each waits for tickets, perStep of which
// pace offers at each step of the schedule. The clients' choices come from
// seed, though which operation lands between which faults depends on
// scheduling.
func startStrict(c *Cluster, seed uint64, perStep int, ns string) *strictWorkload {
	w := &strictWorkload{ns: ns, names: c.Names(), rec: linearize.NewRecorder(), tickets: make(chan struct{}, perStep)}
	for _, n := range w.names {
		w.conns = append(w.conns, c.HostConn(n))
	}
	for id := range strictWriters {
		w.keys = append(w.keys, strictKey(id))
	}
	for id := range strictClients {
		w.wg.Add(1)
		go w.client(id, rand.New(rand.NewPCG(seed, 0x57+uint64(id))))
	}
	return w
}

func strictKey(client int) string { return fmt.Sprintf("strict-%d", client) }

// pace offers the clients n more operations. Operations the clients are
// too busy to take (every one waiting out a timeout under a cut) are
// skipped rather than stall the schedule, whose own steps wait on
// timeouts too: the run's length stays the schedule's, and faults land
// among the operations in flight.
func (w *strictWorkload) pace(n int) {
	for range n {
		select {
		case w.tickets <- struct{}{}:
		default:
		}
	}
}

// end offers no more operations: the clients finish those already taken
// (some may be waiting out a timeout) while the run goes on to heal.
func (w *strictWorkload) end() { w.once.Do(func() { close(w.tickets) }) }

// wait waits for the clients to finish.
func (w *strictWorkload) wait() {
	w.end()
	w.wg.Wait()
}

// close waits for the clients and closes their connections.
func (w *strictWorkload) close() {
	w.wait()
	for _, c := range w.conns {
		c.Close()
	}
}

// client does one operation per ticket: a writer writes its own key half
// the time; otherwise a client reads a key, each through a random node. A
// write carries the context of the writer's last acknowledged write, as the
// e2e test's writers do, so that it supersedes it. After a write of unknown
// outcome that context may not cover what is stored (the write may have
// landed on some replica), so the writer first reads its key for a context
// that covers what a quorum holds; a write that lands only after that read
// stands beside the next one as a sibling, which the check tolerates as
// long as the latest value is among the siblings.
func (w *strictWorkload) client(id int, rng *rand.Rand) {
	defer w.wg.Done()
	key, token, stale := strictKey(id), "", false
	for i := 0; ; i++ {
		if _, ok := <-w.tickets; !ok {
			return
		}
		node := rng.IntN(len(w.names))
		conn, name := w.conns[node], w.names[node]
		if id >= strictWriters || rng.IntN(2) != 0 {
			// Twice, through two nodes: the second read starts as the first
			// returns, while anything the first sent to fix replicas may still
			// be on its way, so a value the first returned that had not yet
			// reached a quorum shows as a value the second misses.
			k := w.keys[rng.IntN(len(w.keys))]
			w.read(id, conn, name, k)
			other := (node + 1 + rng.IntN(len(w.names)-1)) % len(w.names)
			w.read(id, w.conns[other], w.names[other], k)
			continue
		}
		if stale {
			tok, ok := w.read(id, conn, name, key)
			if !ok {
				continue
			}
			token, stale = tok, false
		}
		val := fmt.Sprintf("c%d-%d", id, i)
		call := w.rec.Now()
		tok, err := PutFrom(conn, name, w.ns, key, val, token, strictOpts, strictTimeout)
		switch {
		case err == nil:
			w.rec.Write(id, key, val, call, true)
			token = tok
		case errors.Is(err, transport.ErrNoResponders):
			// The node is down and nobody received the put: it did not
			// happen.
		default:
			w.rec.Write(id, key, val, call, false)
			stale = true
		}
	}
}

// read reads key through node and records what it returned, and returns
// the read's context. A read that failed says nothing and is dropped.
func (w *strictWorkload) read(id int, conn transport.Conn, node, key string) (string, bool) {
	call := w.rec.Now()
	vals, tok, err := GetFrom(conn, node, w.ns, key, strictOpts, strictTimeout)
	if err != nil {
		return "", false
	}
	w.rec.Read(id, key, vals, call)
	return tok, true
}

// finalReads reads every key once through every node, after the faults are
// healed: the state the replicas converged to must agree with the history
// too (an acknowledged write lost in a crash shows here).
func (w *strictWorkload) finalReads() {
	for i, node := range w.names {
		conn := w.conns[i]
		for _, key := range w.keys {
			w.read(strictClients, conn, node, key)
		}
	}
}

// check judges the history, each key a register. Values the writer had
// superseded may come back as siblings beside the latest: a write retried
// after a replica timeout can leave a twin that the writer's ack context
// does not cover, which vclock's doc ("Write ids") accepts as a false
// conflict, never a lost write, and a write of unknown outcome may land
// after the read that refreshed the writer's context. The report counts
// those reads. A read that misses the latest value fails the run. Running
// out of time is not a violation; the report says so and the test counts
// it.
func (w *strictWorkload) check(rep *Report) error {
	res := linearize.CheckAllowingSiblings(w.rec.History(), 10*time.Second)
	rep.StrictOps, rep.StrictUnknown, rep.StrictKeys = res.Operations, res.Unknown, res.Keys
	rep.StrictSiblingReads, rep.StrictVerdict = res.SiblingReads, res.Verdict
	if res.Verdict == porcupine.Illegal {
		return fmt.Errorf("strict-quorum history is not linearizable:\n%s", res.Explanation)
	}
	return nil
}
