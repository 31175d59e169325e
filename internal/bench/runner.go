package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Run is one benchmark run of cfg, which Validate has accepted: it opens
// the target, loads the records (when cfg.Load) and runs the workload.
// When ctx ends, the phase under way stops and reports what it measured
// and no further phase starts. progress, when not nil, receives what the
// run set up and a line a second. The error is only a failure to set up;
// a phase in which every operation failed is in the result (Result.Err).
func Run(ctx context.Context, cfg *Config, progress io.Writer) (*Result, error) {
	wl, err := parseWorkload(cfg.Workload)
	if err != nil {
		return nil, err
	}
	keys, err := newKeyChooser(cfg.Distribution, cfg.Records)
	if err != nil {
		return nil, err
	}
	res := newResult(cfg, wl, time.Now())
	tgt, notes, err := openTarget(ctx, cfg, progress)
	if err != nil {
		return nil, err
	}
	defer tgt.Close()
	res.Notes = notes
	r := &runner{cfg: cfg, wl: wl, tgt: tgt, keys: keys, interrupt: ctx.Done(),
		progress: progress, cpu: cpuMeter{pids: cfg.ServerPIDs}}
	for _, n := range notes {
		r.printf("kvbench: %s\n", n)
	}
	if cfg.Load {
		res.Phases = append(res.Phases, r.load())
	}
	if ctx.Err() == nil {
		res.Phases = append(res.Phases, r.run())
	}
	return res, nil
}

// runner drives the workers of a run against one target.
type runner struct {
	cfg  *Config
	wl   workload
	tgt  target
	keys keyChooser
	// interrupt ends the current phase early: the run's context ended.
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
	// halt closes when stopped is set, for workers waiting to send.
	halt     chan struct{}
	haltOnce sync.Once
	// budget is the operations left when limited.
	budget  atomic.Int64
	limited bool
}

// stop ends the phase: workers finish the operation in hand and return.
func (p *phase) stop() {
	p.stopped.Store(true)
	p.haltOnce.Do(func() { close(p.halt) })
}

// worker is one client of a phase: its own random source and value.
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
func (r *runner) load() PhaseResult {
	p := &phase{name: "load", rec: newRecorder(), halt: make(chan struct{})}
	var next atomic.Uint64
	return r.drive(p, 0, func(w *worker) bool {
		i := next.Add(1) - 1
		if i >= r.cfg.Records {
			return false
		}
		start := time.Now()
		err := r.tgt.Put(context.Background(), r.key(i), w.val)
		p.rec.record(opInsert, time.Since(start), err)
		return true
	})
}

// run issues the workload's operations until the duration or the
// operation budget is spent: in a closed loop, or at cfg.Rate in an open
// loop.
func (r *runner) run() PhaseResult {
	return r.runPhase(r.newRunPhase())
}

// newRunPhase is the run phase's state, its budget set.
func (r *runner) newRunPhase() *phase {
	p := &phase{name: "run", rec: newRecorder(), halt: make(chan struct{})}
	if r.cfg.Ops > 0 {
		p.limited = true
		p.budget.Store(r.cfg.Ops)
	}
	return p
}

// runPhase drives p, the run phase, to its end.
func (r *runner) runPhase(p *phase) PhaseResult {
	if r.cfg.Rate > 0 {
		return r.openLoop(p)
	}
	return r.drive(p, r.cfg.Duration, func(w *worker) bool {
		if p.limited && p.budget.Add(-1) < 0 {
			return false
		}
		op := r.wl.next(w.rng)
		key := r.key(r.keys.next(w.rng))
		start := time.Now()
		err := r.do(op, key, w)
		p.rec.record(op, time.Since(start), err)
		return true
	})
}

// do issues one operation of the run phase.
func (r *runner) do(op opKind, key string, w *worker) error {
	ctx := context.Background()
	switch up, rmw := r.tgt.(updater); {
	case op == opRead:
		return r.tgt.Get(ctx, key)
	case rmw && r.cfg.ReadModifyWrite:
		return up.Update(ctx, key, w.val)
	default:
		return r.tgt.Put(ctx, key, w.val)
	}
}

// key is the name of record i.
func (r *runner) key(i uint64) string {
	return paddedKeyName(i, r.cfg.KeySize)
}

// drive runs step in cfg.Concurrency workers until each returns false,
// limit passes (0: no limit) or an interrupt comes. Operations in flight
// when it stops are waited for and counted: the elapsed time includes
// them.
func (r *runner) drive(p *phase, limit time.Duration, step func(*worker) bool) PhaseResult {
	start, cpuStart := time.Now(), r.cpu.sample()
	done := r.startWorkers(p, step)
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
			p.stop()
			elapsed := time.Since(start)
			return PhaseResult{Name: p.name, Seconds: elapsed.Seconds(), Ops: p.rec.summaries(elapsed),
				CPU: cpuBetween(cpuStart, r.cpu.sample()), DiskBytes: dirsBytes(r.cfg.DataDirs)}
		case <-timeUp:
			p.stop()
			timeUp = nil
		case <-interrupt:
			p.stop()
			interrupt = nil
		case now := <-tick.C:
			cur := p.rec.progress()
			r.printf("%-4s %5.0fs  %9.0f ops/s  p99 %-9s errors %d\n",
				p.name, now.Sub(start).Seconds(), float64(cur.done-last.done), fmtMicros(micros(cur.p99)), cur.errors)
			last = cur
		}
	}
}

// startWorkers starts cfg.Concurrency workers that call step until it
// returns false or p stops; the channel closes when all have returned.
func (r *runner) startWorkers(p *phase, step func(*worker) bool) <-chan struct{} {
	var wg sync.WaitGroup
	for range r.cfg.Concurrency {
		wg.Go(func() {
			w := newWorker(r.cfg.ValueSize)
			for !p.stopped.Load() && step(w) {
			}
		})
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}

// printf writes a progress line, when there is a progress writer.
func (r *runner) printf(format string, a ...any) {
	if r.progress != nil {
		fmt.Fprintf(r.progress, format, a...)
	}
}
