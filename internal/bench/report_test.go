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
		row(rowQKVNonePut, "quorumkv", "update", 64, 12_000, 5000, 15_000), // 1.2x of 10000: met; p99 met
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
		"| put, --sync none / JetStream KV R3 put (lazy fsync) | 12000 | 10000 | 1.20x | >= 1.0x | met |",
		"| put, --sync always / JetStream KV R3 put (sync always) | 3000 | 6000 | 0.50x | >= 1.0x | **missed** |",
		"| get R=2 (--sync none nodes) / JetStream KV R3 get | - | - | - | >= 0.9x | not measured |",
		"| put, --sync none / echo (1 KiB request and reply) | 12000 | 30000 | 0.40x | - | - |",
		"| 1 in flight: put p50, --sync none | qkv-none-put-c1 | 250µs | < 200µs | **missed** |",
		"| 1 in flight: put p99, --sync none | qkv-none-put-c1 | 800µs | < 1.00ms | met |",
		"| 64 in flight: put p99, --sync always | qkv-always-put-c64 | 25.0ms | < 20.0ms | **missed** |",
		"| 64 in flight: put p99, --sync none | qkv-none-put-c64 | 15.0ms | < 20.0ms | met |",
		"| qkv-none-put-c64 | quorumkv | put | test durability | N=3 W=2 | 64 | 12000 | 5.00ms |",
		"| put `--sync none` / JetStream KV R3 put (lazy) | >= 1.0x | 1.20x | met |",
		"| put `--sync always` / JetStream KV R3 put (sync always) | >= 1.0x | 0.50x | **missed** |",
		"| 64 in flight, `--sync none`: put p99 / get R=2 p99 | < 20.0ms / < 10.0ms | - | not measured |",
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

// TestMarkdownRunsAndNewRows: a row run three times shows its median run
// and the spread; the open-loop, seed and beyond-the-cache rows reach
// their tables and the targets.
func TestMarkdownRunsAndNewRows(t *testing.T) {
	results := []*Result{
		row(rowQKVNoneGet, "quorumkv", "read", 64, 9000, 1000, 4000),
		row(rowQKVNoneGet, "quorumkv", "read", 64, 12_000, 1000, 6000),
		row(rowQKVNoneGet, "quorumkv", "read", 64, 10_000, 1000, 5000),
		row("qkv-none-put-open50", "quorumkv", "update", 256, 4990, 800, 3000),
		row(rowBigGet, "quorumkv", "read", 64, 8000, 2000, 8000),
		row(rowSeedAOpen50, "quorumkv", "read", 64, 900, 1000, 8000),
	}
	open := results[3]
	open.Rate, open.RateBase, open.RateFraction = 5000, 10_000, 0.5
	open.Phases[0].Open = &OpenLoop{TargetRate: 5000, Scheduled: 50_000, Late: 3, Dropped: 1, Workers: 256}
	big := results[4]
	big.Records = 1000
	big.Phases = append([]PhaseResult{{Name: "load", Seconds: 10, Ops: []OpSummary{{Op: "insert", Count: 1000}}}}, big.Phases...)
	big.Phases[1].DiskBytes = 6_000_000
	big.ValueSize = 1024
	seed := results[5]
	seed.Phases[0].Ops = append(seed.Phases[0].Ops, OpSummary{Op: "update", Count: 100, P99Us: 25_000})
	var b bytes.Buffer
	RenderMarkdown(&b, ReportMeta{Command: "make bench", Date: time.Now()}, results)
	md := b.String()
	for _, want := range []string{
		"| qkv-none-get-r2-c64 | quorumkv | get | test durability | N=3 R=2 | 64 | 10000 | 1.00ms | 2.50ms | 5.00ms |",
		"| 3 | ±15% (9000-12000) |",
		"| qkv-none-put-open50 | quorumkv | put | 5000 | 50% of 10000 | 4990 | 800µs | 3.00ms | 6.00ms | 9.00ms | 3 | 1 |",
		"| 256, open loop 5000/s |",
		"| load rate (puts/s) | 100 |",
		"| get p99 / cached get p99 (qkv-none-get-r2-c64) | 8.00ms / 5.00ms = 1.60x (target <= 2x: met) |",
		"| on disk per record per replica / raw key+value | 2000 B / 1031 B = 1.94x |",
		"| get p99 beyond the caches / cached get p99 (R=2, `--sync none`) | <= 2.0x | 1.60x (8.00ms / 5.00ms) | met |",
		"| seed workload a (50/50) at half its max: update p99 / read p99 | < 20.0ms / < 10.0ms | 25.0ms / 8.00ms | **missed** |",
		"| seed workload a (50/50) at half its max: read p99 | seed-a-open50 | 8.00ms | < 10.0ms | met |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if strings.Count(md, "| qkv-none-get-r2-c64 | quorumkv |") != 1 {
		t.Error("a row run three times is listed more than once")
	}
	if t.Failed() {
		t.Log(md)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2}} {
		if got := median(c.xs); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
}
