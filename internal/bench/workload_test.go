package bench

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
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

func TestValidateDefaultsAndErrors(t *testing.T) {
	valid := func() *Config {
		return &Config{Target: "quorumkv", Servers: []string{"nats://a:1", "nats://b:2"}, Workload: "c",
			Distribution: "uniform", Records: 10, Concurrency: 1, Timeout: time.Second, N: 3, Namespace: "bench", Mode: "lww"}
	}
	cfg := valid()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Duration != DefaultDuration || cfg.Conns != 2 {
		t.Errorf("config = %+v, want the default duration and a connection per server", cfg)
	}
	cfg = valid()
	cfg.Ops = 100
	if err := cfg.Validate(); err != nil || cfg.Duration != 0 {
		t.Errorf("Ops alone: duration %v err %v; want no duration", cfg.Duration, err)
	}
	for name, spoil := range map[string]func(*Config){
		"target":       func(c *Config) { c.Target = "redis" },
		"workload":     func(c *Config) { c.Workload = "z" },
		"concurrency":  func(c *Config) { c.Concurrency = 0 },
		"r":            func(c *Config) { c.R = 4 },
		"records":      func(c *Config) { c.Records = 0 },
		"distribution": func(c *Config) { c.Distribution = "pareto" },
		"mode":         func(c *Config) { c.Mode = "crdt" },
		"servers":      func(c *Config) { c.Servers = nil },
	} {
		cfg := valid()
		spoil(cfg)
		if err := cfg.Validate(); err == nil {
			t.Errorf("bad %s accepted", name)
		}
	}
}

func TestPaddedKeyName(t *testing.T) {
	for _, c := range []struct {
		i    uint64
		size int
		want string
	}{{7, 0, "user7"}, {7, 3, "user7"}, {7, 8, "user0007"}, {1234, 8, "user1234"}} {
		if got := paddedKeyName(c.i, c.size); got != c.want {
			t.Errorf("paddedKeyName(%d, %d) = %q, want %q", c.i, c.size, got, c.want)
		}
	}
	if k := paddedKeyName(123, 256); len(k) != 256 {
		t.Errorf("key of %d bytes, want 256", len(k))
	}
	cfg := &Config{Target: "echo", Servers: []string{"nats://x"}, Workload: "a", Distribution: "uniform",
		Records: 100000, KeySize: 8, Concurrency: 1, Timeout: time.Second, N: 3, Namespace: "b", Mode: "lww"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--key-size") {
		t.Errorf("Validate of 8-byte keys for 100000 records = %v, want a --key-size error", err)
	}
}
