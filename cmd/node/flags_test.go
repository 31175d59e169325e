package main

import (
	"testing"

	"github.com/quorumkv/quorumkv/storage"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFlagsAndEnvironment(t *testing.T) {
	cfg, _, err := parseFlags([]string{"--name", "a", "--sync", "none", "--join", "nats://h1:6222,nats://h2:6222",
		"--cluster-listen", "127.0.0.1:6222"}, env(map[string]string{"KVNODE_ZONE": "z1", "KVNODE_NAME": "ignored"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "a" || cfg.Zone != "z1" || cfg.Sync != storage.SyncNone || len(cfg.Join) != 2 {
		t.Fatalf("flags win over env, env fills the rest: %+v", cfg)
	}
	cfg, _, err = parseFlags(nil, env(map[string]string{"KVNODE_DATA_DIR": "/tmp/x", "KVNODE_WEIGHT": "3"}))
	if err != nil || cfg.DataDir != "/tmp/x" || cfg.Weight != 3 || cfg.Listen != "127.0.0.1:4222" {
		t.Fatalf("env: %+v %v", cfg, err)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--sync", "sometimes"},
		{"--weight", "0"},
		{"--partitions", "100"},
		{"--placement", "3"},
		{"--placement", "-1"},
		{"--name", "has.dot"},
		{"--join", "nats://h:6222"}, // join without cluster-listen
		{"--log-level", "loud"},
		{"stray"},
	} {
		if _, _, err := parseFlags(args, env(nil)); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if _, _, err := parseFlags(nil, env(map[string]string{"KVNODE_WEIGHT": "heavy"})); err == nil {
		t.Error("bad env value accepted")
	}
}

func TestVersionAndSecurityFlags(t *testing.T) {
	if _, _, err := parseFlags([]string{"--version"}, env(nil)); err != errVersion {
		t.Fatalf("--version: %v", err)
	}
	cfg, _, err := parseFlags([]string{"--nats-config", "/etc/kv/nats.conf", "--pprof"}, env(nil))
	if err != nil || cfg.NATSConfig != "/etc/kv/nats.conf" || !cfg.PProf {
		t.Fatalf("nats-config and pprof: %+v %v", cfg, err)
	}
	if _, _, err := parseFlags([]string{"--nats-config", "x.conf", "--nats-url", "nats://127.0.0.1:4222"}, env(nil)); err == nil {
		t.Fatal("nats-config with nats-url accepted")
	}
}
