package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/quorumkv/quorumkv/internal/testcluster"
)

// kvcli runs the real kvcli binary against node n and returns stdout,
// stderr and the exit status.
func kvcli(t *testing.T, n *testcluster.Node, stdin string, args ...string) (string, string, int) {
	t.Helper()
	_, bin, err := testcluster.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(cmd.Environ(), "KV_SERVER="+n.URL())
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

func TestKvcliEndToEnd(t *testing.T) {
	n := startSingle(t)
	run := func(stdin string, want int, args ...string) (string, string) {
		t.Helper()
		out, errOut, code := kvcli(t, n, stdin, args...)
		if code != want {
			t.Fatalf("kvcli %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, want, out, errOut)
		}
		return out, errOut
	}
	run("", 0, "put", "greeting", "hello")
	if out, _ := run("", 0, "get", "greeting"); out != "hello" {
		t.Fatalf("get: %q", out)
	}
	// Overwrite: put without --context replaces what it reads.
	run("", 0, "put", "greeting", "hi")
	if out, _ := run("", 0, "get", "greeting"); out != "hi" {
		t.Fatalf("overwrite: %q", out)
	}
	// Value from stdin, with a content type, read back as JSON.
	run(`{"a":1}`, 0, "put", "doc", "--content-type", "application/json")
	out, _ := run("", 0, "get", "doc", "--json")
	var got struct {
		Found  bool
		Values []struct {
			Value       []byte
			ContentType string
		}
		Context string
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("get --json output %q: %v", out, err)
	}
	if !got.Found || len(got.Values) != 1 || string(got.Values[0].Value) != `{"a":1}` ||
		got.Values[0].ContentType != "application/json" || got.Context == "" {
		t.Fatalf("get --json: %+v", got)
	}
	// Blind writes make siblings; a write with the context resolves them.
	run("", 0, "put", "s", "one", "--no-context")
	run("", 0, "put", "s", "two", "--no-context")
	out, errOut := run("", 0, "get", "s")
	if !strings.Contains(out, "one") || !strings.Contains(out, "two") || !strings.Contains(errOut, "2 siblings") {
		t.Fatalf("siblings: stdout %q stderr %q", out, errOut)
	}
	out, _ = run("", 0, "get", "s", "--json")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	run("", 0, "put", "s", "merged", "--context", got.Context)
	if out, _ := run("", 0, "get", "s"); out != "merged" {
		t.Fatalf("resolved: %q", out)
	}
	// Delete, not found, and exit codes.
	run("", 0, "delete", "greeting")
	if _, errOut := run("", 3, "get", "greeting"); !strings.Contains(errOut, "not found") {
		t.Fatalf("not found message: %q", errOut)
	}
	run("", 0, "delete", "never-existed")
	run("", 2, "get")
	run("", 2, "bogus")
	run("", 2, "get", "k", "--r", "0")
	run("", 2, "put", "k", "v", "--context", "x", "--no-context")
	if _, errOut := run("", 1, "get", "k", "--r", "4"); strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("want one line on stderr, got %q", errOut)
	}
	run("", 1, "put", "k", "v", "--context", "!!notatoken")
	run("", 1, "get", "k", "--namespace", "nope")
	run("", 1, "put", strings.Repeat("k", 1025), "v")
	// Errors name the key and speak of the configured limit, not NATS's.
	// 1.5 MiB reaches the node, which refuses it; 3 MiB is over the NATS
	// max payload, which kvcli turns back into the value limit.
	for _, size := range []int{3 << 19, 3 << 20} {
		if _, errOut := run(strings.Repeat("x", size), 1, "put", "big"); !strings.Contains(errOut, `put "big": value too large`) ||
			!strings.Contains(errOut, "1048576") || strings.Contains(errOut, "NATS") {
			t.Fatalf("put of %d bytes: %q", size, errOut)
		}
	}
	if _, errOut := run("", 1, "put", "k", "v", "--context", "AAAA"); strings.Contains(errOut, "vclock") ||
		!strings.Contains(errOut, `put "k": bad context`) {
		t.Fatalf("put with a bad context: %q", errOut)
	}
	// Namespaces and status.
	run("", 0, "ns", "create", "carts", "--n", "3", "--r", "2", "--w", "2", "--mode", "lww")
	if out, _ := run("", 0, "ns", "list"); !strings.Contains(out, "carts") || !strings.Contains(out, "lww") {
		t.Fatalf("ns list: %q", out)
	}
	// Without --n a namespace has N=3, as documented.
	out, _ = run("", 0, "ns", "create", "plain", "-o", "json")
	var created struct {
		Name    string
		N, R, W int
		Mode    string
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Name != "plain" || created.N != 3 ||
		created.R != 2 || created.W != 2 || created.Mode != "siblings" {
		t.Fatalf("ns create plain -o json = %q: %v", out, err)
	}
	out, _ = run("", 0, "ns", "list", "-o", "json")
	var list struct {
		Namespaces []struct {
			Name    string
			N       int
			Mode    string
			Created *string
		}
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	modes := map[string]string{}
	for _, ns := range list.Namespaces {
		modes[ns.Name] = fmt.Sprintf("%d %s %v", ns.N, ns.Mode, ns.Created != nil)
	}
	if modes["carts"] != "3 lww true" || modes["plain"] != "3 siblings true" {
		t.Fatalf("ns list -o json = %s", out)
	}
	if out, _ := run("", 0, "ns", "list", "-o", "value"); !strings.Contains(out, "\nplain\n") {
		t.Fatalf("ns list -o value = %q", out)
	}
	// Output formats of the key commands.
	out, _ = run("", 0, "put", "fmt", "text", "-o", "json")
	var written struct{ Key, Namespace, Context string }
	if err := json.Unmarshal([]byte(out), &written); err != nil || written.Key != "fmt" || written.Namespace != "default" ||
		written.Context == "" {
		t.Fatalf("put -o json = %q: %v", out, err)
	}
	if out, _ := run("", 0, "get", "fmt", "-o", "table"); !strings.Contains(out, `"text"`) {
		t.Fatalf("get -o table = %q", out)
	}
	out, _ = run("", 0, "get", "fmt", "-o", "json")
	var read struct {
		Found  bool
		Values []struct {
			Text  *string
			Bytes int
		}
	}
	if err := json.Unmarshal([]byte(out), &read); err != nil || !read.Found || len(read.Values) != 1 ||
		*read.Values[0].Text != "text" || read.Values[0].Bytes != 4 {
		t.Fatalf("get -o json = %q: %v", out, err)
	}
	// A flag a command does not take is a usage error.
	run("", 2, "ns", "list", "--node", "solo")
	run("", 2, "get", "fmt", "--w", "2")
	if out, _ := run("", 0, "status"); !strings.Contains(out, "solo") || !strings.Contains(out, "up") {
		t.Fatalf("status: %q", out)
	}
	// The server comes from --server as well as KV_SERVER.
	if out, _ := run("", 0, "--server", n.URL(), "get", "s"); out != "merged" {
		t.Fatalf("--server: %q", out)
	}
}
