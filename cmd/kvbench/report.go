package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// result is everything one run measured, with the settings that produced
// it: the --json output, and the input of kvbench report.
type result struct {
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
	N            int      `json:"n"`
	R            int      `json:"r"`
	W            int      `json:"w"`
	Namespace    string   `json:"namespace,omitempty"`
	Strict       bool     `json:"strict,omitempty"`
	ReadModify   bool     `json:"read_modify_write,omitempty"`
	Notes        []string `json:"notes"`
	Start        string   `json:"start"`
	// Phases are load (when run) then run.
	Phases []phaseResult `json:"phases"`
}

func newResult(cfg *config, start time.Time) *result {
	res := &result{
		Label:        cfg.label,
		Durability:   cfg.durability,
		Target:       cfg.target,
		Workload:     cfg.workload.name,
		WorkloadDesc: cfg.workload.describe,
		Distribution: cfg.distribution,
		Servers:      cfg.servers,
		Conns:        cfg.conns,
		Concurrency:  cfg.concurrency,
		Records:      cfg.records,
		ValueSize:    cfg.valueSize,
		N:            cfg.n,
		R:            cfg.r,
		W:            cfg.w,
		Strict:       cfg.strict,
		ReadModify:   cfg.readModifyWrite,
		Start:        start.UTC().Format(time.RFC3339),
	}
	if cfg.target == "quorumkv" {
		res.Namespace = cfg.namespace
	}
	return res
}

// phase returns the named phase, if it ran.
func (res *result) phase(name string) (phaseResult, bool) {
	for _, p := range res.Phases {
		if p.Name == name {
			return p, true
		}
	}
	return phaseResult{}, false
}

// op returns the summary of op in the run phase.
func (res *result) op(op string) (opSummary, bool) {
	p, ok := res.phase("run")
	if !ok {
		return opSummary{}, false
	}
	for _, s := range p.Ops {
		if s.Op == op {
			return s, true
		}
	}
	return opSummary{}, false
}

func writeJSON(w io.Writer, res *result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// writeText prints the settings, the notes and a table of every
// operation of every phase.
func writeText(w io.Writer, res *result) error {
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
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\top\tcount\tops/s\tp50\tp95\tp99\tp99.9\tmax\terrors\tnot found\t")
	for _, p := range res.Phases {
		for _, s := range p.Ops {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t\n",
				p.Name, s.Op, s.Count, s.Throughput, fmtMicros(s.P50Us), fmtMicros(s.P95Us),
				fmtMicros(s.P99Us), fmtMicros(s.P999Us), fmtMicros(s.MaxUs), s.Errors, s.NotFound)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range res.Phases {
		client, servers := p.cpuPerOp()
		fmt.Fprintf(&b, "%s cpu: kvbench %.2fs (%.0fµs/op)", p.Name, p.CPU.ClientSeconds, client)
		if p.CPU.ServerSeconds > 0 {
			fmt.Fprintf(&b, ", servers %.2fs (%.0fµs/op), other processes %.2fs, steal %.2fs",
				p.CPU.ServerSeconds, servers, p.CPU.OtherSeconds, p.CPU.StealSeconds)
		}
		b.WriteString("\n")
	}
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
