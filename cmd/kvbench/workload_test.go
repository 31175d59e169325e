package main

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestWorkloadMix(t *testing.T) {
	const draws = 100_000
	for name, wantRead := range map[string]float64{"a": 0.5, "b": 0.95, "c": 1, "w": 0} {
		w, err := parseWorkload(name)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 8))
		reads := 0
		for range draws {
			switch w.next(rng) {
			case opRead:
				reads++
			case opUpdate:
			default:
				t.Fatalf("workload %s drew an op other than read or update", name)
			}
		}
		if got := float64(reads) / draws; math.Abs(got-wantRead) > 0.01 {
			t.Errorf("workload %s: %.3f reads, want %.2f", name, got, wantRead)
		}
	}
	if _, err := parseWorkload("z"); err == nil {
		t.Error("unknown workload accepted")
	}
}

func TestConfigDefaultsAndErrors(t *testing.T) {
	cfg, err := parseConfig([]string{"--servers", "nats://a:1, nats://b:2", "--workload", "c"}, discard{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.duration != defaultDuration || cfg.conns != 2 || len(cfg.servers) != 2 || cfg.workload.name != "c" {
		t.Errorf("config = %+v", cfg)
	}
	cfg, err = parseConfig([]string{"--ops", "100"}, discard{})
	if err != nil || cfg.duration != 0 || cfg.ops != 100 {
		t.Errorf("--ops alone: duration %v ops %d err %v; want no duration", cfg.duration, cfg.ops, err)
	}
	for _, bad := range [][]string{
		{"--target", "redis"}, {"--concurrency", "0"}, {"--r", "4"}, {"--records", "0"},
		{"--distribution", "pareto"}, {"--mode", "crdt"}, {"--servers", ""}, {"extra"},
	} {
		if _, err := parseConfig(bad, discard{}); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
