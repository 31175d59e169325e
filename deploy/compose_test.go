package deploy_test

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// composeFile is the part of deploy/docker-compose.yml the checks read.
type composeFile struct {
	Services map[string]struct {
		Image           string            `json:"image"`
		Environment     map[string]string `json:"environment"`
		StopGracePeriod string            `json:"stop_grace_period"`
		Healthcheck     struct {
			Test []string `json:"test"`
		} `json:"healthcheck"`
		Command any `json:"command"`
	} `json:"services"`
}

// TestComposeAndImageConfig checks offline what TestComposeCluster can
// only check where Docker runs: the compose file and the Dockerfile
// configure kvnode through variables it knows, every node joins every
// other, each in its own zone, with a health check and a stop grace
// period.
func TestComposeAndImageConfig(t *testing.T) {
	data, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cf composeFile
	if err := yaml.Unmarshal(data, &cf); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	known := kvnodeFlags(t)
	checkVar := func(name, where string) {
		flag, ok := strings.CutPrefix(name, "KVNODE_")
		if ok && !known[strings.ReplaceAll(strings.ToLower(flag), "_", "-")] {
			t.Errorf("%s: %s names no kvnode flag", where, name)
		}
	}
	var names, routes, zones []string
	for name := range cf.Services {
		names = append(names, name)
		routes = append(routes, fmt.Sprintf("nats://%s:6222", name))
	}
	sort.Strings(names)
	sort.Strings(routes)
	for _, name := range names {
		s := cf.Services[name]
		for v := range s.Environment {
			checkVar(v, "service "+name)
		}
		env := s.Environment
		if env["KVNODE_NAME"] != name || env["KVNODE_CLUSTER_LISTEN"] != "0.0.0.0:6222" {
			t.Errorf("service %s: KVNODE_NAME %q, KVNODE_CLUSTER_LISTEN %q", name, env["KVNODE_NAME"], env["KVNODE_CLUSTER_LISTEN"])
		}
		if got := strings.Split(env["KVNODE_JOIN"], ","); !slices.Equal(got, routes) {
			t.Errorf("service %s: KVNODE_JOIN %v, want every node's routes %v", name, got, routes)
		}
		zones = append(zones, env["KVNODE_ZONE"])
		if s.Command != nil {
			t.Errorf("service %s: a command passes flags, which would override KVNODE_* variables; use environment", name)
		}
		if !slices.Equal(s.Healthcheck.Test, []string{"CMD", "/kvnode", "probe"}) || s.StopGracePeriod == "" {
			t.Errorf("service %s: healthcheck %v, stop_grace_period %q", name, s.Healthcheck.Test, s.StopGracePeriod)
		}
	}
	slices.Sort(zones)
	if len(names) != 3 || len(slices.Compact(slices.Clone(zones))) != 3 || zones[0] == "" {
		t.Errorf("services %v in zones %v: want three nodes in three zones", names, zones)
	}

	for _, v := range dockerfileEnv(t) {
		checkVar(v, "Dockerfile")
	}
}

// dockerfileEnv lists the variable names of the Dockerfile's ENV lines
// (with their continuations).
func dockerfileEnv(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	inEnv := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "ENV "); ok {
			inEnv, line = true, rest
		} else if !inEnv {
			continue
		}
		inEnv = strings.HasSuffix(line, "\\")
		for _, kv := range strings.Fields(strings.TrimSuffix(line, "\\")) {
			if name, _, ok := strings.Cut(kv, "="); ok {
				names = append(names, name)
			}
		}
	}
	if len(names) == 0 {
		t.Fatal("Dockerfile sets no ENV")
	}
	return names
}
