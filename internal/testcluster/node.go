package testcluster

import (
	"fmt"

	"github.com/quorumkv/quorumkv/client"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// NodeOptions configure one kvnode process.
type NodeOptions struct {
	Name       string
	Zone       string
	Weight     int
	Partitions int
	Sync       string   // "always" (default) or "none"
	Join       []string // route URLs; set by Cluster
	Clustered  bool     // open a route port
	NATSURL    string   // use this NATS server instead of embedding one
	Extra      []string // more flags
	// Dial are the SDK's connect options for this node (credentials,
	// TLS), used by Connect and the cluster's waits.
	Dial []client.ConnectOption
	// Host is the address the node listens on and is reached at (all of
	// its ports); empty means 127.0.0.1.
	Host string
	// Wrap is a command prefix the node runs under, such as
	// `ip netns exec NS`; it must exec kvnode in place so that signals
	// reach it.
	Wrap []string
}

// Node is one kvnode process and the ports and data dir it keeps across
// restarts.
type Node struct {
	Opts        NodeOptions
	DataDir     string
	ClientPort  int
	ClusterPort int
	HTTPPort    int
	LogPath     string

	t    testing.TB
	bin  string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// NewNode allocates ports and a data dir; Start launches the process.
func NewNode(t testing.TB, opts NodeOptions) *Node {
	t.Helper()
	bin, _, err := Binaries()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	n := &Node{Opts: opts, DataDir: filepath.Join(dir, "data"), LogPath: filepath.Join(dir, "kvnode.log"),
		ClientPort: FreePort(t), HTTPPort: FreePort(t), t: t, bin: bin}
	if opts.Clustered {
		n.ClusterPort = FreePort(t)
	}
	t.Cleanup(func() {
		n.Kill()
		if log := n.Log(); strings.Contains(log, "WARNING: DATA RACE") {
			t.Errorf("data race in %s:\n%s", n.Opts.Name, log[strings.Index(log, "WARNING: DATA RACE"):])
		}
		if t.Failed() && os.Getenv("KV_TEST_LOGS") != "" {
			t.Logf("--- log of %s ---\n%s", n.Opts.Name, n.Log())
		}
	})
	return n
}

// URL is the node's NATS client URL.
func (n *Node) URL() string {
	if n.Opts.NATSURL != "" {
		return n.Opts.NATSURL
	}
	return fmt.Sprintf("nats://%s", n.addr(n.ClientPort))
}

// RouteURL is the node's NATS route URL, for other nodes' --join.
func (n *Node) RouteURL() string { return fmt.Sprintf("nats://%s", n.addr(n.ClusterPort)) }

// HTTPURL is the base URL of the node's probes and /metrics.
func (n *Node) HTTPURL() string { return "http://" + n.addr(n.HTTPPort) }

// addr is host:port on the node's listen host.
func (n *Node) addr(port int) string {
	host := n.Opts.Host
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, fmt.Sprint(port))
}

// Args are the kvnode flags of this node.
func (n *Node) Args() []string {
	o := n.Opts
	args := []string{"--name", o.Name, "--data-dir", n.DataDir,
		"--listen", n.addr(n.ClientPort),
		"--http-listen", n.addr(n.HTTPPort), "--log-level", "debug"}
	if o.Zone != "" {
		args = append(args, "--zone", o.Zone)
	}
	if o.Weight > 0 {
		args = append(args, "--weight", fmt.Sprint(o.Weight))
	}
	if o.Partitions > 0 {
		args = append(args, "--partitions", fmt.Sprint(o.Partitions))
	}
	if o.Sync != "" {
		args = append(args, "--sync", o.Sync)
	}
	if n.ClusterPort > 0 {
		args = append(args, "--cluster-listen", n.addr(n.ClusterPort))
	}
	if o.NATSURL != "" {
		args = append(args, "--nats-url", o.NATSURL)
	}
	if len(o.Join) > 0 {
		args = append(args, "--join", strings.Join(o.Join, ","))
	}
	return append(args, o.Extra...)
}

// Start launches the process and waits until it serves requests (or
// exits).
func (n *Node) Start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		return fmt.Errorf("node %s already running", n.Opts.Name)
	}
	logf, err := os.OpenFile(n.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	argv := append(append(append([]string{}, n.Opts.Wrap...), n.bin), n.Args()...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	n.cmd, n.done = cmd, make(chan struct{})
	go func(done chan struct{}) {
		n.err = cmd.Wait()
		logf.Close()
		close(done)
	}(n.done)
	return n.waitListening(15 * time.Second)
}

// MustStart is Start that fails the test.
func (n *Node) MustStart() {
	n.t.Helper()
	if err := n.Start(); err != nil {
		n.t.Fatalf("start %s: %v\n%s", n.Opts.Name, err, n.Log())
	}
}

func (n *Node) waitListening(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-n.done:
			return fmt.Errorf("kvnode exited: %v", n.err)
		default:
		}
		if n.healthy() {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("kvnode did not listen on %d within %v", n.ClientPort, timeout)
}

// healthy reports whether the node's /livez answers 200, which it does
// only once the node serves requests: the HTTP server starts last. (Not
// /readyz: a joining node serves long before it is ready.)
func (n *Node) healthy() bool {
	c := http.Client{Timeout: 200 * time.Millisecond}
	resp, err := c.Get(n.HTTPURL() + "/livez")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Kill sends SIGKILL and waits for the process to be gone.
func (n *Node) Kill() { n.signal(syscall.SIGKILL) }

// Stop sends SIGTERM and waits for a clean exit; it returns the exit error.
func (n *Node) Stop() error { return n.signal(syscall.SIGTERM) }

func (n *Node) signal(sig syscall.Signal) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return nil
	}
	_ = n.cmd.Process.Signal(sig)
	select {
	case <-n.done:
	case <-time.After(30 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
	n.cmd = nil
	return n.err
}

// Exited reports whether the process has ended on its own, and how.
func (n *Node) Exited() (bool, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return true, n.err
	}
	select {
	case <-n.done:
		return true, n.err
	default:
		return false, nil
	}
}

// Restart is Kill (if running) then Start on the same data dir and ports.
func (n *Node) Restart() error {
	n.Kill()
	return n.Start()
}

// Log returns what the process has written so far.
func (n *Node) Log() string {
	b, _ := os.ReadFile(n.LogPath)
	return string(b)
}

var (
	portsMu sync.Mutex
	// handedOut remembers every port returned, so that two nodes prepared
	// before either starts never get the same one.
	handedOut = map[int]bool{}
)

// FreePort returns a loopback TCP port that was free a moment ago and that
// this process has not handed out before.
func FreePort(t testing.TB) int {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !handedOut[port] {
			handedOut[port] = true
			return port
		}
	}
}

// WaitFor polls cond until it holds or the timeout passes, then fails the
// test with msg.
func WaitFor(t testing.TB, timeout time.Duration, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, msg)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
