package deploy_test

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/internal/testcluster"
)

// TestProbeRealNode runs `kvnode probe`, the image's HEALTHCHECK, against
// a real node: ready while it serves, failing with a reason once it is
// gone.
func TestProbeRealNode(t *testing.T) {
	kvnode, _, err := testcluster.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	n := testcluster.NewNode(t, testcluster.NodeOptions{Name: "p1"})
	n.MustStart()
	probe := func() (int, string) {
		cmd := exec.Command(kvnode, "probe", "--timeout", "2s")
		cmd.Env = []string{fmt.Sprintf("KVNODE_HTTP_LISTEN=0.0.0.0:%d", n.HTTPPort)}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatalf("kvnode probe: %v", err)
		}
		return 0, string(out)
	}
	// MustStart returns once /healthz answers; /readyz follows at once for
	// a node that joins nobody, but wait for it rather than assume.
	testcluster.WaitFor(t, 30*time.Second, "kvnode probe to pass", func() bool {
		code, _ := probe()
		return code == 0
	})
	n.Kill()
	code, out := probe()
	if code != 1 || !strings.Contains(out, "/readyz") || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("probe of a dead node: exit %d, want 1 and one line naming the URL: %q", code, out)
	}
}
