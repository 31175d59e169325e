package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

const probeUsage = `kvnode probe asks a running node whether it is ready, for container
health checks in images that have no shell or curl.

Usage: kvnode probe [flags]

It GETs http://127.0.0.1:<port>/readyz, the port taken from
KVNODE_HTTP_LISTEN (the variable the node itself reads), or the URL given
by --url. Exit status 0 when the answer is 200, 1 otherwise, 2 on bad
usage; one line says why.

Flags:
`

// probe runs `kvnode probe`: one readiness request against a node, so that
// a FROM-scratch image can declare a HEALTHCHECK.
func probe(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kvnode probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), probeUsage)
		fs.PrintDefaults()
	}
	url := fs.String("url", "", "URL to GET (default: http://127.0.0.1:<port of KVNODE_HTTP_LISTEN>/readyz)")
	timeout := fs.Duration("timeout", 2*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kvnode probe: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	target := *url
	if target == "" {
		var err error
		if target, err = readyzURL(getenv("KVNODE_HTTP_LISTEN")); err != nil {
			fmt.Fprintln(stderr, "kvnode probe:", err)
			return 2
		}
	}
	if err := get(target, *timeout); err != nil {
		fmt.Fprintf(stderr, "kvnode probe: %s: %v\n", target, err)
		return 1
	}
	fmt.Fprintf(stdout, "kvnode probe: %s: ready\n", target)
	return 0
}

// readyzURL turns the node's --http-listen address into the loopback URL
// of its /readyz: the probe runs next to the node, whatever interface the
// node listens on.
func readyzURL(listen string) (string, error) {
	if listen == "" {
		return "", errors.New("no address: set KVNODE_HTTP_LISTEN (as the node has it) or --url")
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil || port == "" || port == "0" {
		return "", fmt.Errorf("KVNODE_HTTP_LISTEN=%q: want host:port with a fixed port", listen)
	}
	return "http://" + net.JoinHostPort("127.0.0.1", port) + "/readyz", nil
}

// get succeeds only on a 200; otherwise its error carries the status and
// the first line of the body, which says why the node is not ready.
func get(url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
		return fmt.Errorf("%s: %s", resp.Status, line)
	}
	return nil
}

// probeMain is the entry point main dispatches `kvnode probe` to.
func probeMain(args []string) int { return probe(args, os.Getenv, os.Stdout, os.Stderr) }
