package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// phaseResult is what one phase (load or run) measured.
type phaseResult struct {
	Name    string      `json:"name"`
	Seconds float64     `json:"seconds"`
	Ops     []opSummary `json:"ops"`
	CPU     cpuUsage    `json:"cpu"`
}

// succeeded is the number of operations that got an answer.
func (p phaseResult) succeeded() uint64 {
	var n uint64
	for _, op := range p.Ops {
		n += op.Count
	}
	return n
}

// cpuPerOp is the CPU time, in µs, the client and the servers spent per
// operation answered in the phase (0 when unknown).
func (p phaseResult) cpuPerOp() (client, servers float64) {
	var n uint64
	for _, op := range p.Ops {
		n += op.Count + op.Errors
	}
	if n == 0 {
		return 0, 0
	}
	return p.CPU.ClientSeconds * 1e6 / float64(n), p.CPU.ServerSeconds * 1e6 / float64(n)
}

// runner drives the workers of a run against one target.
type runner struct {
	cfg  *config
	tgt  target
	keys keyChooser
	// interrupt ends the current phase early (SIGINT).
	interrupt <-chan struct{}
	// progress receives a line a second; nil for none.
	progress io.Writer
	cpu      cpuMeter
}

// phase is the shared state of the workers of one phase.
type phase struct {
	name    string
	rec     *recorder
	stopped atomic.Bool
	// budget is the operations left when limited.
	budget  atomic.Int64
	limited bool
}

// worker is one closed-loop client: its own random source and value.
type worker struct {
	rng *rand.Rand
	val []byte
}

func newWorker(valueSize int) *worker {
	w := &worker{rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
	w.val = make([]byte, valueSize)
	for i := range w.val {
		w.val[i] = byte('a' + w.rng.IntN(26))
	}
	return w
}

// load writes every record once, spread over the workers.
func (r *runner) load() phaseResult {
	p := &phase{name: "load", rec: newRecorder()}
	var next atomic.Uint64
	return r.drive(p, 0, func(w *worker) bool {
		i := next.Add(1) - 1
		if i >= r.cfg.records {
			return false
		}
		start := time.Now()
		err := r.tgt.Put(context.Background(), keyName(i), w.val)
		p.rec.record(opInsert, time.Since(start), err)
		return true
	})
}

// run issues the workload's operations until the duration or the
// operation budget is spent.
func (r *runner) run() phaseResult {
	p := &phase{name: "run", rec: newRecorder()}
	if r.cfg.ops > 0 {
		p.limited = true
		p.budget.Store(r.cfg.ops)
	}
	up, rmw := r.tgt.(updater)
	rmw = rmw && r.cfg.readModifyWrite
	ctx := context.Background()
	return r.drive(p, r.cfg.duration, func(w *worker) bool {
		if p.limited && p.budget.Add(-1) < 0 {
			return false
		}
		op := r.cfg.workload.next(w.rng)
		key := keyName(r.keys.next(w.rng))
		start := time.Now()
		var err error
		switch {
		case op == opRead:
			err = r.tgt.Get(ctx, key)
		case rmw:
			err = up.Update(ctx, key, w.val)
		default:
			err = r.tgt.Put(ctx, key, w.val)
		}
		p.rec.record(op, time.Since(start), err)
		return true
	})
}

// drive runs step in cfg.concurrency workers until each returns false,
// limit passes (0: no limit) or an interrupt comes. Operations in flight
// when it stops are waited for and counted: the elapsed time includes
// them.
func (r *runner) drive(p *phase, limit time.Duration, step func(*worker) bool) phaseResult {
	start, cpuStart := time.Now(), r.cpu.sample()
	var wg sync.WaitGroup
	for range r.cfg.concurrency {
		wg.Go(func() {
			w := newWorker(r.cfg.valueSize)
			for !p.stopped.Load() && step(w) {
			}
		})
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	var timeUp <-chan time.Time
	if limit > 0 {
		t := time.NewTimer(limit)
		defer t.Stop()
		timeUp = t.C
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	interrupt := r.interrupt
	var last progress
	for {
		select {
		case <-done:
			elapsed := time.Since(start)
			return phaseResult{Name: p.name, Seconds: elapsed.Seconds(), Ops: p.rec.summaries(elapsed),
				CPU: cpuBetween(cpuStart, r.cpu.sample())}
		case <-timeUp:
			p.stopped.Store(true)
			timeUp = nil
		case <-interrupt:
			p.stopped.Store(true)
			interrupt = nil
		case now := <-tick.C:
			cur := p.rec.progress()
			if r.progress != nil {
				fmt.Fprintf(r.progress, "%-4s %5.0fs  %9.0f ops/s  p99 %-9s errors %d\n",
					p.name, now.Sub(start).Seconds(), float64(cur.done-last.done), fmtMicros(micros(cur.p99)), cur.errors)
			}
			last = cur
		}
	}
}
