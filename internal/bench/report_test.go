package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestFmtMicros(t *testing.T) {
	for us, want := range map[float64]string{
		0: "0.0µs", 87.24: "87.2µs", 512.4: "512µs", 1234: "1.23ms", 12_345: "12.3ms",
		123_456: "123ms", 1_200_000: "1.20s",
	} {
		if got := fmtMicros(us); got != want {
			t.Errorf("fmtMicros(%v) = %q, want %q", us, got, want)
		}
	}
	if got := micros(1234567 * time.Nanosecond); got != 1234.5 {
		t.Errorf("micros = %v, want 1234.5", got)
	}
}

// row builds a result with one run-phase operation.
func row(label, tgt, op string, conc int, opsPerSec, p50, p99 float64) *Result {
	return &Result{
		Label: label, Target: tgt, Concurrency: conc, N: 3, R: 2, W: 2,
		Durability: "test durability",
		Notes:      []string{"note of " + tgt},
		Phases: []PhaseResult{{Name: "run", Seconds: 10, Ops: []OpSummary{{
			Op: op, Count: uint64(opsPerSec * 10), Throughput: opsPerSec, P50Us: p50, P95Us: p99 / 2,
			P99Us: p99, P999Us: p99 * 2, MaxUs: p99 * 3,
		}}}},
	}
}

func TestWriteTextAndJSON(t *testing.T) {
	res := row("x", "quorumkv", "update", 64, 1234, 150, 900)
	res.Phases[0].Ops[0].Errors = 3
	res.Phases[0].Ops[0].ErrorKinds = map[string]uint64{"timeout": 2, "quorum unavailable": 1}
	var b bytes.Buffer
	if err := WriteText(&b, res); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"target quorumkv", "note of quorumkv", "durability: test durability",
		"update", "1234", "150µs", "900µs", "1.80ms", "2 timeout", "1 quorum unavailable"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if s, ok := back.op("update"); !ok || s.P99Us != 900 || s.Errors != 3 || back.Label != "x" {
		t.Errorf("JSON round trip = %+v", back)
	}
	var fields map[string]any
	_ = json.Unmarshal(b.Bytes(), &fields)
	ops := fields["phases"].([]any)[0].(map[string]any)["ops"].([]any)[0].(map[string]any)
	for _, k := range []string{"count", "ops_per_sec", "p50_us", "p95_us", "p99_us", "p999_us", "max_us", "errors"} {
		if _, ok := ops[k]; !ok {
			t.Errorf("JSON op lacks %q: %v", k, ops)
		}
	}
}

func TestMarkdownGoals(t *testing.T) {
	results := []*Result{
		row(rowQKVNonePut, "quorumkv", "update", 64, 6000, 5000, 15_000),   // 0.6x of 10000: met; p99 met
		row(rowQKVAlwaysPut, "quorumkv", "update", 64, 3000, 9000, 25_000), // 0.5x of 6000: missed; p99 missed
		row(rowJSLazyPut, "jetstream", "update", 64, 10_000, 3000, 9000),
		row(rowJSAlwaysPut, "jetstream", "update", 64, 6000, 6000, 12_000),
		row(rowQKVNonePut1, "quorumkv", "update", 1, 4000, 250, 800), // p50 250µs: missed; p99 met
		row(rowEchoPut, "echo", "update", 64, 30_000, 1000, 4000),
	}
	results[0].Phases[0].CPU = CPUUsage{ClientSeconds: 1, ServerSeconds: 10, OtherSeconds: 5}
	var b bytes.Buffer
	RenderMarkdown(&b, ReportMeta{Command: "make bench", Date: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		Machine: Machine{CPUModel: "Test CPU", CPUs: 2, MemBytes: 4 << 30, Go: "go1.26"},
		Setup:   []string{"three kvnode processes"}}, results)
	md := b.String()
	wantLines := []string{
		"| CPU | Test CPU |", "| memory | 4.0 GiB |", "| command | `make bench` |",
		"- three kvnode processes", "- note of jetstream",
		"| put, --sync none / JetStream KV R3 put (lazy fsync) | 6000 | 10000 | 0.60x | >= 0.6x | met |",
		"| put, --sync always / JetStream KV R3 put (sync always) | 3000 | 6000 | 0.50x | >= 0.7x | **missed** |",
		"| get R=2 (--sync none nodes) / JetStream KV R3 get | - | - | - | >= 0.8x | not measured |",
		"| put, --sync none / echo (1 KiB request and reply) | 6000 | 30000 | 0.20x | - | - |",
		"| 1 in flight: put p50, --sync none | qkv-none-put-c1 | 250µs | < 200µs | **missed** |",
		"| 1 in flight: put p99, --sync none | qkv-none-put-c1 | 800µs | < 1.00ms | met |",
		"| 64 in flight: put p99, --sync always | qkv-always-put-c64 | 25.0ms | < 20.0ms | **missed** |",
		"| 64 in flight: put p99, --sync none | qkv-none-put-c64 | 15.0ms | < 20.0ms | met |",
		"| qkv-none-put-c64 | quorumkv | put | test durability | N=3 W=2 | 64 | 6000 | 5.00ms |",
		"| js-lazy-put-c64 | JetStream KV R3 | put | test durability | majority ack | 64 | 10000 |",
		"No operation failed",
		"| qkv-none-put-c64 | 25% | 0% |",
	}
	for _, want := range wantLines {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(md)
	}
}

func TestPhaseSucceeded(t *testing.T) {
	p := PhaseResult{Ops: []OpSummary{{Op: "read", Errors: 5}, {Op: "update", NotFound: 0}}}
	if p.succeeded() != 0 {
		t.Error("a phase of errors succeeded")
	}
	p.Ops[1].Count = 1
	if p.succeeded() != 1 {
		t.Error("a successful op not counted")
	}
}
