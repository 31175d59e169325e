package sim

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/transport"
)

// RunOptions bound one seeded run.
type RunOptions struct {
	// Writes is how many writes the workload makes.
	Writes int
	// Strict is how many operations of the strict workload (strict.go)
	// are offered at each step of the schedule; 0 turns it off. Its
	// clients draw from their own RNGs, so a seed's schedule and blind
	// writes are the same with it on or off.
	Strict int
	// Settle bounds how long, after every fault is healed, acknowledged
	// writes may take to become readable (hints delivered, anti-entropy).
	Settle time.Duration
	Logger *slog.Logger
}

// Report is what one run did.
type Report struct {
	Seed                     uint64
	Nodes, Writes, Acked     int
	Crashes, Cuts, Restarted int
	// Joins and Departures count the membership changes the run made (a
	// node that joined, a node decommissioned while the faults go on).
	Joins, Departures int
	// ClockJumps counts the wall clocks moved; StrictLWW is whether the
	// strict workload's namespace is last-write-wins (else siblings).
	ClockJumps int
	StrictLWW  bool
	Settled    time.Duration
	// The strict workload's history, if the run had one: operations
	// checked (writes of unknown outcome and reads that returned siblings
	// among them), keys, verdict.
	StrictOps, StrictUnknown, StrictSiblingReads, StrictKeys int
	StrictVerdict                                            porcupine.CheckResult
}

// Run is one seeded scenario: a cluster of 3 to 5 nodes takes blind writes
// of fresh keys with W=2 through random nodes (in a quarter of the runs a
// node joins a third of the way in, and in another quarter one of 4 or 5
// nodes is decommissioned then) while the schedule crashes and restarts
// nodes (never more than N-W at once, so a write quorum always
// exists among the nodes up, though not always among those reachable),
// cuts links, drops, duplicates and delays messages, and makes wall clocks
// jump (up to 20 s either way). Then every fault is healed and every
// acknowledged write must read back with R=1 through every node within
// Settle. A strict workload runs beside the writes, paced by the
// schedule's steps, in a siblings namespace or (half the runs) a
// last-write-wins one, and its history must be linearizable.
// The error names the first violation.
func Run(seed uint64, o RunOptions) (Report, error) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	rep := Report{Seed: seed, Nodes: 3 + rng.IntN(3), Writes: o.Writes}
	change := rng.IntN(4) // 2: a node joins; 3: one leaves (of 4 or 5)
	rep.StrictLWW = rng.IntN(2) == 0
	joiners := 0
	if change == 2 {
		joiners = 1
	}
	net := transport.NewMemNet(seed)
	c, err := NewCluster(net, Options{Nodes: rep.Nodes, Joiners: joiners, Partitions: 16, Logger: o.Logger})
	if err != nil {
		return rep, err
	}
	defer c.Close()
	var strict *strictWorkload
	if o.Strict > 0 {
		ns := ""
		if rep.StrictLWW {
			// Last-write-wins orders versions by hybrid timestamps, which
			// the schedule's clock jumps skew.
			ns = "strict-lww"
			lww := &messages.Namespace{Name: ns, N: 3, R: 2, W: 2, Mode: messages.ConflictMode_CONFLICT_MODE_LWW}
			if err := c.CreateNamespace(lww); err != nil {
				return rep, err
			}
		}
		strict = startStrict(c, seed, o.Strict, ns)
		defer strict.close()
	}
	acked := map[string]string{}
	maxDown := 1
	for i := range o.Writes {
		if err := c.ReapLeft(); err != nil {
			return rep, err
		}
		if i == o.Writes/3 {
			changeMembers(rng, c, change, &rep)
		}
		if err := fault(rng, c, &rep, maxDown); err != nil {
			return rep, err
		}
		if strict != nil {
			strict.pace(o.Strict)
		}
		key, val := fmt.Sprintf("%04x-sim-%d", rng.IntN(1<<16), i), fmt.Sprintf("v%d-%d", seed, i)
		if ok, _ := c.Put(randomUp(rng, c), key, val, 2); ok {
			acked[key] = val
		}
	}
	rep.Acked = len(acked)
	if strict != nil {
		strict.end()
	}
	if err := heal(c, &rep); err != nil {
		return rep, err
	}
	start := time.Now()
	if err := c.WaitSettled(o.Settle); err != nil {
		return rep, err
	}
	if err := readBack(c, acked, o.Settle); err != nil {
		return rep, err
	}
	rep.Settled = time.Since(start)
	if strict != nil {
		strict.wait()
		strict.finalReads()
		return rep, strict.check(&rep)
	}
	return rep, nil
}

// changeMembers starts the joiner, or decommissions a random member of a
// cluster of 4 or 5 (3 stay, so every namespace keeps N=3). A refused
// decommission (say, a node is down) is not an error: the run goes on.
func changeMembers(rng *rand.Rand, c *Cluster, change int, rep *Report) {
	switch {
	case change == 2:
		for _, i := range c.Joiners() {
			if c.Start(i) == nil {
				rep.Joins++
			}
		}
	case change == 3 && rep.Nodes >= 4:
		if c.Decommission(randomUpIndex(rng, c)) == nil {
			rep.Departures++
		}
	}
}

// fault applies the schedule's next step, if any.
func fault(rng *rand.Rand, c *Cluster, rep *Report, maxDown int) error {
	names := c.Names()
	switch x := rng.IntN(20); {
	case x == 0 && down(c) < maxDown:
		i := randomUpIndex(rng, c)
		c.Crash(i)
		rep.Crashes++
	case x == 1 && down(c) > 0:
		for i := range names {
			if !c.Up(i) && c.Member(i) {
				rep.Restarted++
				return c.Start(i)
			}
		}
	case x == 2:
		a, b := rng.IntN(len(names)), rng.IntN(len(names))
		if a != b {
			c.Net.Cut(names[a], names[b])
			rep.Cuts++
		}
	case x == 3:
		c.Net.HealAll()
	case x == 5:
		// A wall clock jumps by up to 20 s either way.
		c.JumpClock(rng.IntN(len(names)), time.Duration(rng.IntN(40001)-20000)*time.Millisecond)
		rep.ClockJumps++
	case x == 4:
		c.Net.SetDrop(float64(rng.IntN(5)) / 100)
		c.Net.SetDuplicate(float64(rng.IntN(5)) / 100)
		c.Net.SetDelay(time.Duration(rng.IntN(3)) * time.Millisecond)
	}
	return nil
}

// heal ends every fault: links, message faults, crashed nodes.
func heal(c *Cluster, rep *Report) error {
	c.Net.HealAll()
	c.Net.SetDrop(0)
	c.Net.SetDuplicate(0)
	c.Net.SetDelay(0)
	for i := range c.Names() {
		if !c.Up(i) && c.Member(i) {
			rep.Restarted++
			if err := c.Start(i); err != nil {
				return err
			}
		}
	}
	return c.WaitAllUp(30 * time.Second)
}

// readBack waits until every acknowledged write reads back through every
// node with R=1 (so each home must hold it, or know who does), or reports
// the first that does not by the deadline.
func readBack(c *Cluster, acked map[string]string, settle time.Duration) error {
	deadline := time.Now().Add(settle)
	keys := make([]string, 0, len(acked))
	for k := range acked {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, node := range c.Names() {
		if !c.Up(i) {
			continue // a node that left, or a joiner never started
		}
		for _, k := range keys {
			for {
				vals, err := c.Get(node, k, 1)
				if err == nil && slices.Contains(vals, acked[k]) {
					break
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("acknowledged write %s=%s not readable through %s after %v: %v %v",
						k, acked[k], node, settle, vals, err)
				}
				time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
			}
		}
	}
	return nil
}

// down counts the members that are not running.
func down(c *Cluster) int {
	n := 0
	for i := range c.Names() {
		if !c.Up(i) && c.Member(i) {
			n++
		}
	}
	return n
}

func randomUpIndex(rng *rand.Rand, c *Cluster) int {
	var up []int
	for i := range c.Names() {
		if c.Up(i) {
			up = append(up, i)
		}
	}
	return up[rng.IntN(len(up))]
}

func randomUp(rng *rand.Rand, c *Cluster) string {
	return c.Names()[randomUpIndex(rng, c)]
}
