package deploy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dockerTestEnv=0 turns TestComposeCluster off. It runs by default where
// a Docker daemon answers: about 50 s with a warm build cache, under
// 3 minutes cold (building the static binaries dominates).
const dockerTestEnv = "QUORUMKV_DOCKER_TEST"

// TestComposeCluster builds the image as `make image` does, starts
// deploy/docker-compose.yml under a project name of its own, waits until
// Docker reports every node healthy (its HEALTHCHECK, kvnode probe), then
// writes through kvcli in one container and reads in another, and stops
// the nodes with SIGTERM.
func TestComposeCluster(t *testing.T) {
	if testing.Short() || os.Getenv(dockerTestEnv) == "0" {
		t.Skipf("builds the image and runs a compose cluster: not with -short or %s=0", dockerTestEnv)
	}
	if out, err := run(30*time.Second, "", nil, "docker", "info"); err != nil {
		t.Skipf("no Docker daemon answers `docker info` (%v): %s", err, firstLine(out))
	}
	compose := composeCommand(t)
	tag := randomTag(t)
	image := "quorumkv:test-" + tag
	root := moduleRoot(t)
	if out, err := run(8*time.Minute, root, nil, "make", "image", "IMAGE="+image); err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}
	t.Cleanup(func() { run(time.Minute, "", nil, "docker", "rmi", "-f", image) })
	checkImage(t, image)

	// Random host ports: other clusters on this machine may hold 4222.
	env := []string{"QUORUMKV_IMAGE=" + image}
	for _, n := range []string{"N1", "N2", "N3"} {
		env = append(env, "QUORUMKV_"+n+"_PORT=", "QUORUMKV_"+n+"_HTTP_PORT=")
	}
	dc := func(timeout time.Duration, args ...string) (string, error) {
		full := append(compose[1:], append([]string{"-p", "qkvtest" + tag, "-f", filepath.Join(root, "deploy", "docker-compose.yml")}, args...)...)
		return run(timeout, root, env, compose[0], full...)
	}
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := dc(time.Minute, "logs", "--no-color", "--tail", "40")
			t.Logf("compose logs:\n%s", logs)
		}
		if out, err := dc(2*time.Minute, "down", "-v", "--timeout", "30"); err != nil {
			t.Errorf("compose down: %v\n%s", err, out)
		}
	})
	if out, err := dc(3*time.Minute, "up", "-d"); err != nil {
		t.Fatalf("compose up: %v\n%s", err, out)
	}
	waitHealthy(t, dc, 3*time.Minute)

	if out, err := dc(time.Minute, "exec", "-T", "n1", "/kvcli", "put", "greeting", "hello from n1", "--w", "3"); err != nil {
		t.Fatalf("put in n1: %v\n%s", err, out)
	}
	out, err := dc(time.Minute, "exec", "-T", "n3", "/kvcli", "get", "greeting", "--r", "3")
	if err != nil || out != "hello from n1" {
		t.Fatalf("get in n3: %v %q", err, out)
	}
	out, err = dc(time.Minute, "exec", "-T", "n2", "/kvcli", "status")
	if err != nil {
		t.Fatalf("status in n2: %v\n%s", err, out)
	}
	for _, want := range []string{"n1", "n2", "n3"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks member %s (names come from KVNODE_NAME):\n%s", want, out)
		}
	}

	// kvnode is PID 1 in a scratch image: SIGTERM must still stop it
	// cleanly, within the grace period, with status 0.
	ids, err := dc(time.Minute, "ps", "-q")
	if err != nil {
		t.Fatalf("compose ps: %v", err)
	}
	if out, err := dc(2*time.Minute, "stop"); err != nil {
		t.Fatalf("compose stop: %v\n%s", err, out)
	}
	out, err = run(time.Minute, "", nil, "docker", append([]string{"inspect", "-f", "{{.Name}} exit {{.State.ExitCode}}"}, strings.Fields(ids)...)...)
	if err != nil || strings.Count(out, " exit 0") != 3 {
		t.Fatalf("after SIGTERM: %v\n%s", err, out)
	}
}

// checkImage asserts what the Dockerfile promises: a non-root user, a
// health check, the data volume and no flags in the entrypoint.
func checkImage(t *testing.T, image string) {
	t.Helper()
	out, err := run(time.Minute, "", nil, "docker", "image", "inspect", "-f",
		"{{.Config.User}}|{{json .Config.Entrypoint}}|{{json .Config.Healthcheck.Test}}|{{json .Config.Volumes}}|{{.Os}}", image)
	if err != nil {
		t.Fatalf("inspect %s: %v\n%s", image, err, out)
	}
	want := `65532:65532|["/kvnode"]|["CMD","/kvnode","probe"]|{"/data":{}}|linux`
	if out != want {
		t.Fatalf("image config\n got %s\nwant %s", out, want)
	}
}

// waitHealthy waits until every container of the project reports healthy.
func waitHealthy(t *testing.T, dc func(time.Duration, ...string) (string, error), timeout time.Duration) {
	t.Helper()
	ids, err := dc(time.Minute, "ps", "-q")
	if err != nil || len(strings.Fields(ids)) != 3 {
		t.Fatalf("compose ps: want 3 containers: %v %q", err, ids)
	}
	args := append([]string{"inspect", "-f", "{{.Name}}={{.State.Health.Status}}"}, strings.Fields(ids)...)
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		out, err := run(30*time.Second, "", nil, "docker", args...)
		if err == nil && strings.Count(out, "=healthy") == 3 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("containers not healthy after %v: %v %s", timeout, err, out)
		}
		<-tick.C
	}
}

// composeCommand is `docker compose` (v2) where the plugin exists, else
// the standalone docker-compose (v1, which this file also supports).
func composeCommand(t *testing.T) []string {
	if _, err := run(30*time.Second, "", nil, "docker", "compose", "version"); err == nil {
		return []string{"docker", "compose"}
	}
	if _, err := run(30*time.Second, "", nil, "docker-compose", "version"); err == nil {
		return []string{"docker-compose"}
	}
	t.Skip("neither `docker compose` nor docker-compose is installed")
	return nil
}

// run executes a command with a deadline and returns its trimmed stdout,
// or stdout and stderr together when it fails.
func run(timeout time.Duration, dir string, env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return strings.TrimSpace(stdout.String() + "\n" + stderr.String()), fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return strings.TrimSpace(stdout.String()), nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

func randomTag(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// moduleRoot is the directory above this package.
func moduleRoot(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}
