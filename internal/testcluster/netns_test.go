package testcluster

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// netHelperEnv makes the test binary act as a tiny TCP peer inside a
// namespace instead of running tests: "listen ADDR" or "dial ADDR".
const netHelperEnv = "QUORUMKV_NET_HELPER"

// helperPort is the helpers' port; each namespace is fresh, so it is free.
const helperPort = "7000"

// TestNetHelperProcess is not a test: it is the peer process that
// TestNetCutAndHeal runs inside namespaces.
func TestNetHelperProcess(t *testing.T) {
	mode, addr, ok := strings.Cut(os.Getenv(netHelperEnv), " ")
	if !ok {
		return
	}
	switch mode {
	case "listen":
		l, err := net.Listen("tcp", addr)
		if err != nil {
			os.Exit(2)
		}
		for {
			c, err := l.Accept()
			if err != nil {
				os.Exit(2)
			}
			_, _ = c.Write([]byte("ok\n"))
			c.Close()
		}
	case "dial":
		// A cut shows as silence, so a dial that has not connected within
		// a second is taken as a failure.
		if greet(addr, time.Second) {
			os.Exit(0)
		}
		os.Exit(1)
	}
	os.Exit(2)
}

// greet connects to a helper listener and reads its greeting.
func greet(addr string, timeout time.Duration) bool {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "ok\n"
}

func helperCmd(ctx context.Context, nw *Net, node, mode, addr string) *exec.Cmd {
	argv := append(nw.Wrap(node), os.Args[0], "-test.run=^TestNetHelperProcess$")
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), netHelperEnv+"="+mode+" "+addr)
	return cmd
}

// dialsFrom reports whether node from reaches the helper listening in
// node to.
func dialsFrom(t *testing.T, nw *Net, from, to string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := helperCmd(ctx, nw, from, "dial", net.JoinHostPort(nw.IP(to), helperPort)).Run()
	if ctx.Err() != nil {
		t.Fatalf("dial helper %s -> %s did not finish", from, to)
	}
	return err == nil
}

// The cut drops exactly the traffic between the two nodes named, both
// ways, Heal restores it, and cleanup leaves nothing behind.
func TestNetCutAndHeal(t *testing.T) {
	var bridge string
	var namespaces []string
	t.Run("cut", func(t *testing.T) {
		nw := NewNet(t, "a", "b", "c")
		bridge = nw.Bridge
		for _, n := range []string{"a", "b", "c"} {
			namespaces = append(namespaces, nw.Namespace(n))
			cmd := helperCmd(context.Background(), nw, n, "listen", net.JoinHostPort(nw.IP(n), helperPort))
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Registered after NewNet's cleanups, so it runs before the
			// namespaces go.
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			})
			WaitFor(t, 10*time.Second, "host to reach the listener in "+n, func() bool {
				return greet(net.JoinHostPort(nw.IP(n), helperPort), time.Second)
			})
		}
		if !dialsFrom(t, nw, "a", "b") || !dialsFrom(t, nw, "b", "a") {
			t.Fatal("a and b cannot reach each other before any cut")
		}
		nw.Cut("a", "b")
		if dialsFrom(t, nw, "a", "b") || dialsFrom(t, nw, "b", "a") {
			t.Fatal("a and b still reach each other after the cut")
		}
		if !dialsFrom(t, nw, "c", "b") || !dialsFrom(t, nw, "a", "c") {
			t.Fatal("the cut between a and b also cut c off")
		}
		if !greet(net.JoinHostPort(nw.IP("b"), helperPort), time.Second) {
			t.Fatal("the cut between a and b also cut the host off from b")
		}
		nw.Heal()
		if !dialsFrom(t, nw, "a", "b") || !dialsFrom(t, nw, "b", "a") {
			t.Fatal("a and b cannot reach each other after the heal")
		}
	})
	if bridge == "" || len(namespaces) < 3 {
		t.Skip("no test network could be made here")
	}
	out, err := netCmd("ip", "netns", "list")
	if err != nil {
		t.Fatalf("ip netns list: %v: %s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && slices.Contains(namespaces, f[0]) {
			t.Errorf("namespace %s left behind", f[0])
		}
	}
	if out, err := netCmd("ip", "link", "show", bridge); err == nil {
		t.Errorf("bridge %s left behind: %s", bridge, out)
	}
	if out, err := netCmd("iptables", "-w", "5", "-S", "FORWARD"); err != nil {
		t.Errorf("iptables -S FORWARD: %v: %s", err, out)
	} else if strings.Contains(string(out), bridge) {
		t.Errorf("FORWARD rule for %s left behind:\n%s", bridge, out)
	}
}
