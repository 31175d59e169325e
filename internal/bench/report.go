package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is everything one run measured, with the settings that produced
// it: what WriteJSON writes and ReadResult reads back for the report. The
// JSON field names are a format that saved results rely on.
type Result struct {
	Label        string   `json:"label,omitempty"`
	Durability   string   `json:"durability,omitempty"`
	Target       string   `json:"target"`
	Workload     string   `json:"workload"`
	WorkloadDesc string   `json:"workload_desc"`
	Distribution string   `json:"distribution"`
	Servers      []string `json:"servers"`
	Conns        int      `json:"conns"`
	Concurrency  int      `json:"concurrency"`
	Records      uint64   `json:"records"`
	ValueSize    int      `json:"value_size"`
	KeySize      int      `json:"key_size,omitempty"`
	// Rate is the open loop's rate (0: a closed loop); RateBase is the
	// measured maximum it is RateFraction of (0: given as it is).
	Rate         float64  `json:"rate,omitempty"`
	RateBase     float64  `json:"rate_base,omitempty"`
	RateFraction float64  `json:"rate_fraction,omitempty"`
	N            int      `json:"n"`
	R            int      `json:"r"`
	W            int      `json:"w"`
	Namespace    string   `json:"namespace,omitempty"`
	Strict       bool     `json:"strict,omitempty"`
	ReadModify   bool     `json:"read_modify_write,omitempty"`
	Notes        []string `json:"notes"`
	Start        string   `json:"start"`
	// Phases are load (when run) then run.
	Phases []PhaseResult `json:"phases"`
}

// PhaseResult is what one phase (load or run) measured.
type PhaseResult struct {
	Name    string      `json:"name"`
	Seconds float64     `json:"seconds"`
	Ops     []OpSummary `json:"ops"`
	CPU     CPUUsage    `json:"cpu"`
	// Open is the schedule of an open-loop run phase (nil: closed loop).
	Open *OpenLoop `json:"open_loop,omitempty"`
	// DiskBytes is the size of the servers' data directories at the end
	// of the phase (0: not asked for).
	DiskBytes uint64 `json:"disk_bytes,omitempty"`
}

// keyBytes is the length of every key of the run, or of the longest.
func (res *Result) keyBytes() int {
	if res.KeySize > 0 || res.Records == 0 {
		return res.KeySize
	}
	return len(keyName(res.Records - 1))
}

// succeeded is the number of operations that got an answer.
func (p PhaseResult) succeeded() uint64 {
	var n uint64
	for _, op := range p.Ops {
		n += op.Count
	}
	return n
}

// cpuPerOp is the CPU time, in µs, the client and the servers spent per
// operation answered in the phase (0 when unknown).
func (p PhaseResult) cpuPerOp() (client, servers float64) {
	var n uint64
	for _, op := range p.Ops {
		n += op.Count + op.Errors
	}
	if n == 0 {
		return 0, 0
	}
	return p.CPU.ClientSeconds * 1e6 / float64(n), p.CPU.ServerSeconds * 1e6 / float64(n)
}

func newResult(cfg *Config, wl workload, start time.Time) *Result {
	res := &Result{
		Label:        cfg.Label,
		Durability:   cfg.Durability,
		Target:       cfg.Target,
		Workload:     wl.name,
		WorkloadDesc: wl.describe,
		Distribution: cfg.Distribution,
		Servers:      cfg.Servers,
		Conns:        cfg.Conns,
		Concurrency:  cfg.Concurrency,
		Records:      cfg.Records,
		ValueSize:    cfg.ValueSize,
		KeySize:      cfg.KeySize,
		Rate:         cfg.Rate,
		RateBase:     cfg.RateBase,
		RateFraction: cfg.RateFraction,
		N:            cfg.N,
		R:            cfg.R,
		W:            cfg.W,
		Strict:       cfg.Strict,
		ReadModify:   cfg.ReadModifyWrite,
		Start:        start.UTC().Format(time.RFC3339),
	}
	if cfg.Target == "quorumkv" {
		res.Namespace = cfg.Namespace
	}
	return res
}

// phase returns the named phase, if it ran.
func (res *Result) phase(name string) (PhaseResult, bool) {
	for _, p := range res.Phases {
		if p.Name == name {
			return p, true
		}
	}
	return PhaseResult{}, false
}

// op returns the summary of op in the run phase.
func (res *Result) op(op string) (OpSummary, bool) {
	p, ok := res.phase("run")
	if !ok {
		return OpSummary{}, false
	}
	for _, s := range p.Ops {
		if s.Op == op {
			return s, true
		}
	}
	return OpSummary{}, false
}

// Err is an error when a phase had no successful operation: such a run
// measured nothing, so the tool that made it is broken rather than slow.
func (res *Result) Err() error {
	for _, p := range res.Phases {
		if p.succeeded() == 0 {
			return fmt.Errorf("%s phase: no operation succeeded", p.Name)
		}
	}
	return nil
}

// WriteJSON writes res, indented, as ReadResult reads it.
func WriteJSON(w io.Writer, res *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// WriteText prints the settings, the notes, a table of every operation of
// every phase, the CPU each phase used and the errors met.
func WriteText(w io.Writer, res *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "target %s, workload %s (%s), %s keys over %d records, %d B values\n",
		res.Target, res.Workload, res.WorkloadDesc, res.Distribution, res.Records, res.ValueSize)
	fmt.Fprintf(&b, "%d workers over %d connections to %s\n", res.Concurrency, res.Conns, strings.Join(res.Servers, ","))
	if res.Durability != "" {
		fmt.Fprintf(&b, "durability: %s\n", res.Durability)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(&b, "  %s\n", n)
	}
	b.WriteString("\n")
	if err := writeOpTable(&b, res.Phases); err != nil {
		return err
	}
	writeCPULines(&b, res.Phases)
	writeOpenLoopLines(&b, res.Phases)
	for _, p := range res.Phases {
		for _, s := range p.Ops {
			for _, k := range sortedKinds(s.ErrorKinds) {
				fmt.Fprintf(&b, "%s %s errors: %d %s\n", p.Name, s.Op, s.ErrorKinds[k], k)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeOpTable is a right-aligned row per operation of every phase.
func writeOpTable(w io.Writer, phases []PhaseResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\top\tcount\tops/s\tp50\tp95\tp99\tp99.9\tmax\terrors\tnot found\t")
	for _, p := range phases {
		for _, s := range p.Ops {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t\n",
				p.Name, s.Op, s.Count, s.Throughput, fmtMicros(s.P50Us), fmtMicros(s.P95Us),
				fmtMicros(s.P99Us), fmtMicros(s.P999Us), fmtMicros(s.MaxUs), s.Errors, s.NotFound)
		}
	}
	return tw.Flush()
}

// writeCPULines says what CPU time each phase cost, in all and per op.
func writeCPULines(w io.Writer, phases []PhaseResult) {
	for _, p := range phases {
		client, servers := p.cpuPerOp()
		fmt.Fprintf(w, "%s cpu: kvbench %.2fs (%.0fµs/op)", p.Name, p.CPU.ClientSeconds, client)
		if p.CPU.ServerSeconds > 0 {
			fmt.Fprintf(w, ", servers %.2fs (%.0fµs/op), other processes %.2fs, steal %.2fs",
				p.CPU.ServerSeconds, servers, p.CPU.OtherSeconds, p.CPU.StealSeconds)
		}
		fmt.Fprintln(w)
	}
}

// writeOpenLoopLines says what the schedule of an open-loop phase did,
// and what the data directories held.
func writeOpenLoopLines(w io.Writer, phases []PhaseResult) {
	for _, p := range phases {
		if o := p.Open; o != nil {
			fmt.Fprintf(w, "%s open loop: target %.0f ops/s, achieved %.0f ops/s, %d due, %d late (sent > %s after due), %d dropped, %d workers\n",
				p.Name, o.TargetRate, p.throughput(), o.Scheduled, o.Late, fmtMicros(o.LateSlackUs), o.Dropped, o.Workers)
		}
		if p.DiskBytes > 0 {
			fmt.Fprintf(w, "%s data dirs: %s\n", p.Name, bytesText(p.DiskBytes))
		}
	}
}

// throughput is the phase's answered operations per second.
func (p PhaseResult) throughput() float64 {
	if p.Seconds <= 0 {
		return 0
	}
	return float64(p.succeeded()) / p.Seconds
}

// bytesText formats a byte count: 512 B, 1.5 KiB, 20.0 MiB, 1.20 GiB.
func bytesText(n uint64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
}

// fmtMicros formats a latency given in microseconds with three
// significant digits: 87.2µs, 1.23ms, 12.3ms, 1.20s.
func fmtMicros(us float64) string {
	switch {
	case us < 100:
		return fmt.Sprintf("%.1fµs", us)
	case us < 1000:
		return fmt.Sprintf("%.0fµs", us)
	case us < 10_000:
		return fmt.Sprintf("%.2fms", us/1000)
	case us < 100_000:
		return fmt.Sprintf("%.1fms", us/1000)
	case us < 1_000_000:
		return fmt.Sprintf("%.0fms", us/1000)
	}
	return fmt.Sprintf("%.2fs", us/1e6)
}
