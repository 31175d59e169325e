package testcluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Net is a private network for nodes that must be cut apart for real: one
// Linux network namespace per node, each joined by a veth pair to a bridge
// on which the host has an address too, so that the test process reaches
// every node directly while Cut drops packets between two nodes. It is the
// one place where this package leaves loopback: a partition between
// processes that share 127.0.0.1 cannot be made without touching traffic
// that is not the test's.
//
// Everything it creates (namespaces, veth pairs, the bridge, the host
// FORWARD rule) is removed by t.Cleanup, after the nodes' own cleanups
// have killed their processes, whether the test passed or not. Every
// command it runs is bounded by netCmdTimeout.
type Net struct {
	t      testing.TB
	Bridge string // the bridge's interface name
	HostIP string // the host's address on the bridge
	subnet string // first three octets of the /24, with the trailing dot

	mu    sync.Mutex
	nodes map[string]netNode
	cuts  []netRule // rules added by Cut, for Heal to delete
}

// netRule is one iptables rule inside a namespace.
type netRule struct {
	ns   string
	spec []string // chain and match, as after -I or -D
}

type netNode struct {
	ns string // namespace name
	ip string
}

// netCmdTimeout bounds each ip or iptables command: they either answer in
// milliseconds or are stuck on a lock held by something else.
const netCmdTimeout = 10 * time.Second

// netPrefix starts every interface and namespace name Net makes (bridges
// and veths must fit the 15-byte interface name limit), so that leftovers
// are recognisable in `ip link` and `ip netns list`.
const netPrefix = "qkv"

// NewNet creates the bridge and one namespace per node name, or skips the
// test with the reason when that is impossible here: not Linux, not root,
// `ip` or `iptables` missing, or the kernel refusing a bridge, a namespace
// or netfilter rules inside one.
func NewNet(t testing.TB, names ...string) *Net {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skipf("network namespaces need Linux, not %s", runtime.GOOS)
	}
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root (CAP_NET_ADMIN); run this test as root")
	}
	for _, tool := range []string{"ip", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: %v", tool, err)
		}
	}
	tag := randomTag(t)
	nw := &Net{t: t, Bridge: netPrefix + tag + "br", nodes: map[string]netNode{}}
	third, err := freeSubnet()
	if err != nil {
		t.Skipf("no free 10.77.x.0/24 for a test network: %v", err)
	}
	nw.subnet = fmt.Sprintf("10.77.%d.", third)
	nw.HostIP = nw.subnet + "1"

	if out, err := netCmd("ip", "link", "add", nw.Bridge, "type", "bridge"); err != nil {
		t.Skipf("cannot create a bridge here: %v: %s", err, out)
	}
	t.Cleanup(func() { nw.cleanup("ip", "link", "del", nw.Bridge) })
	nw.must("ip", "addr", "add", nw.HostIP+"/24", "dev", nw.Bridge)
	nw.must("ip", "link", "set", nw.Bridge, "up")
	// Docker sets FORWARD's policy to DROP and, with br_netfilter loaded,
	// bridged frames pass through it: without this rule namespaces on the
	// bridge cannot reach each other at all.
	forward := []string{"FORWARD", "-i", nw.Bridge, "-o", nw.Bridge, "-j", "ACCEPT"}
	nw.must("iptables", append([]string{"-w", "5", "-I"}, forward...)...)
	t.Cleanup(func() { nw.cleanup("iptables", append([]string{"-w", "5", "-D"}, forward...)...) })

	for i, name := range names {
		nn := netNode{ns: fmt.Sprintf("%s%s-%s", netPrefix, tag, name), ip: fmt.Sprintf("%s%d", nw.subnet, 11+i)}
		if out, err := netCmd("ip", "netns", "add", nn.ns); err != nil {
			t.Skipf("cannot create a network namespace here: %v: %s", err, out)
		}
		hostEnd := fmt.Sprintf("%s%sv%d", netPrefix, tag, i+1)
		t.Cleanup(func() { nw.removeNamespace(nn.ns, hostEnd) })
		nw.must("ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", nn.ns)
		nw.must("ip", "link", "set", hostEnd, "master", nw.Bridge)
		nw.must("ip", "link", "set", hostEnd, "up")
		nw.must("ip", "-n", nn.ns, "addr", "add", nn.ip+"/24", "dev", "eth0")
		nw.must("ip", "-n", nn.ns, "link", "set", "eth0", "up")
		nw.must("ip", "-n", nn.ns, "link", "set", "lo", "up")
		// Cut needs netfilter inside the namespace; find out now rather
		// than in the middle of a test.
		if out, err := netCmd("ip", "netns", "exec", nn.ns, "iptables", "-w", "5", "-S", "INPUT"); err != nil {
			t.Skipf("iptables does not work inside a network namespace here: %v: %s", err, out)
		}
		nw.nodes[name] = nn
	}
	// Runs first among the network's cleanups, after the nodes were
	// killed: connections their sockets are still closing need the path
	// back to finish, or they hold their namespace for minutes.
	t.Cleanup(func() { nw.heal(nw.cleanup) })
	return nw
}

// Place makes the node o.Name run inside its namespace and listen (client,
// route and HTTP ports) on its namespace address; use it in NewCluster's
// modify so that --join gets namespace addresses too.
func (nw *Net) Place(o *NodeOptions) {
	nn := nw.node(o.Name)
	o.Host = nn.ip
	o.Wrap = nw.Wrap(o.Name)
}

// IP is the address of the namespace of node name.
func (nw *Net) IP(name string) string { return nw.node(name).ip }

// Namespace is the name of the namespace of node name.
func (nw *Net) Namespace(name string) string { return nw.node(name).ns }

// Wrap is the command prefix that runs a program inside the namespace of
// node name. `ip netns exec` execs the program in place, so the process
// started is the program itself and signals reach it.
func (nw *Net) Wrap(name string) []string {
	return []string{"ip", "netns", "exec", nw.node(name).ns}
}

func (nw *Net) node(name string) netNode {
	nw.t.Helper()
	nn, ok := nw.nodes[name]
	if !ok {
		nw.t.Fatalf("no namespace for node %q", name)
	}
	return nn
}

// Cut silently drops every packet between nodes a and b, both ways, as a
// failed link or switch would: each side's namespace drops what arrives
// from the other, so senders see no error, only silence. Traffic with the
// host and with other nodes is untouched.
func (nw *Net) Cut(a, b string) {
	nw.t.Helper()
	na, nb := nw.node(a), nw.node(b)
	nw.mu.Lock()
	defer nw.mu.Unlock()
	for _, side := range [][2]netNode{{na, nb}, {nb, na}} {
		r := netRule{ns: side[0].ns, spec: []string{"INPUT", "-s", side[1].ip, "-j", "DROP"}}
		nw.must("ip", append([]string{"netns", "exec", r.ns, "iptables", "-w", "5", "-I"}, r.spec...)...)
		nw.cuts = append(nw.cuts, r)
	}
}

// Heal removes every cut. Connections that were stalled resume at their
// next TCP retransmission, which may be seconds later.
func (nw *Net) Heal() {
	nw.t.Helper()
	nw.heal(nw.must)
}

// heal deletes the cut rules with run.
func (nw *Net) heal(run func(name string, args ...string)) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	for _, r := range nw.cuts {
		run("ip", append([]string{"netns", "exec", r.ns, "iptables", "-w", "5", "-D"}, r.spec...)...)
	}
	nw.cuts = nil
}

// removeNamespace deletes a namespace and its veth pair. `ip netns del`
// only unnames a namespace: the kernel frees it, and the veth pair with
// it, once its last socket is gone, and sockets of killed nodes still
// closing their connections keep it alive for minutes when they cannot
// finish (a cut, or the bridge gone). So they get a moment to finish while
// the network is still up and healed, and the veth pair is deleted
// explicitly in case some did not.
func (nw *Net) removeNamespace(ns, hostEnd string) {
	var left []byte
	settled := poll(5*time.Second, func() bool {
		out, err := netCmd("ip", "netns", "exec", ns, "ss", "-Htan", "exclude", "time-wait")
		left = out
		return err != nil || len(strings.TrimSpace(string(out))) == 0
	})
	if !settled {
		nw.t.Logf("cleanup: sockets still open in %s:\n%s", ns, left)
	}
	nw.cleanup("ip", "netns", "del", ns)
	// The kernel may free the namespace, veth pair included, at any
	// moment: only a veth that outlives a failed delete is a leak.
	if out, err := netCmd("ip", "link", "del", hostEnd); err != nil {
		if _, still := netCmd("ip", "link", "show", hostEnd); still == nil {
			nw.t.Errorf("cleanup: ip link del %s: %v: %s", hostEnd, err, out)
		}
	}
}

// poll is WaitFor for cleanups, which must not stop at a failure: it
// reports whether cond held before the timeout.
func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// must runs a command and fails the test if it fails.
func (nw *Net) must(name string, args ...string) {
	nw.t.Helper()
	if out, err := netCmd(name, args...); err != nil {
		nw.t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}

// cleanup runs a removal command; a failure is reported, since it leaves
// something behind on the machine, but does not stop the other removals.
func (nw *Net) cleanup(name string, args ...string) {
	if out, err := netCmd(name, args...); err != nil {
		nw.t.Errorf("cleanup: %s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}

// netCmd runs one command bounded by netCmdTimeout.
func netCmd(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), netCmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v", netCmdTimeout)
	}
	return out, err
}

// randomTag makes names unique per Net, so that two test processes on one
// machine never share a bridge or namespace.
func randomTag(t testing.TB) string {
	b := make([]byte, 2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// freeSubnet picks x for 10.77.x.0/24 such that no address or route on
// the host (other test networks included) overlaps it. It starts at a
// random x so that concurrent test processes rarely race for the same one.
func freeSubnet() (int, error) {
	taken, err := hostNetworks()
	if err != nil {
		return 0, err
	}
	b := make([]byte, 1)
	if _, err := rand.Read(b); err != nil {
		return 0, err
	}
	for i := range 256 {
		x := (int(b[0]) + i) % 256
		_, candidate, _ := net.ParseCIDR(fmt.Sprintf("10.77.%d.0/24", x))
		if !slices.ContainsFunc(taken, func(n *net.IPNet) bool {
			return n.Contains(candidate.IP) || candidate.Contains(n.IP)
		}) {
			return x, nil
		}
	}
	return 0, fmt.Errorf("all 256 overlap an existing address or route")
}

// hostNetworks lists the IPv4 networks of the host's addresses and routes
// (all tables), leaving out default routes, which overlap everything.
func hostNetworks() ([]*net.IPNet, error) {
	var nets []*net.IPNet
	addrs, err := netCmd("ip", "-4", "-o", "addr", "show")
	if err != nil {
		return nil, fmt.Errorf("ip addr: %v: %s", err, addrs)
	}
	for _, line := range strings.Split(string(addrs), "\n") {
		f := strings.Fields(line)
		if i := slices.Index(f, "inet"); i >= 0 && i+1 < len(f) {
			if _, n, err := net.ParseCIDR(f[i+1]); err == nil {
				nets = append(nets, n)
			}
		}
	}
	routes, err := netCmd("ip", "-4", "route", "show", "table", "all")
	if err != nil {
		return nil, fmt.Errorf("ip route: %v: %s", err, routes)
	}
	routeTypes := []string{"unicast", "local", "broadcast", "multicast", "throw", "unreachable", "prohibit", "blackhole", "nat", "anycast"}
	for _, line := range strings.Split(string(routes), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && slices.Contains(routeTypes, f[0]) {
			f = f[1:]
		}
		if len(f) == 0 || f[0] == "default" {
			continue
		}
		dst := f[0]
		if !strings.Contains(dst, "/") {
			dst += "/32"
		}
		if _, n, err := net.ParseCIDR(dst); err == nil {
			nets = append(nets, n)
		}
	}
	return nets, nil
}
