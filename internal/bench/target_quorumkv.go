package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/quorumkv/quorumkv/client"
)

// quorumKV loads a quorumkv cluster through the Go SDK, over a few
// connections shared by every worker.
type quorumKV struct {
	clients []*client.Client
	rr      roundRobin
	getOpts []client.Option
	putOpts []client.Option
}

func openQuorumKV(ctx context.Context, cfg *Config, progress io.Writer) (target, []string, error) {
	q := &quorumKV{}
	for _, url := range connURLs(cfg.Servers, cfg.Conns) {
		c, err := client.Connect(url)
		if err != nil {
			q.Close()
			return nil, nil, err
		}
		q.clients = append(q.clients, c)
	}
	common := []client.Option{client.WithNamespace(cfg.Namespace), client.WithTimeout(cfg.Timeout)}
	if cfg.Strict {
		common = append(common, client.Strict())
	}
	q.getOpts = append(append([]client.Option{}, common...), client.WithR(cfg.R))
	q.putOpts = append(append([]client.Option{}, common...), client.WithW(cfg.W))

	nsNote, err := q.ensureNamespace(ctx, cfg, progress)
	if err != nil {
		q.Close()
		return nil, nil, err
	}
	writes := "blind writes (no read before write)"
	if cfg.ReadModifyWrite {
		writes = "read-modify-write updates (get, then put with its context)"
	}
	notes := []string{
		fmt.Sprintf("quorumkv through the Go SDK: %d connections over %d servers", len(q.clients), len(cfg.Servers)),
		nsNote,
		fmt.Sprintf("per request: R=%s W=%s, %s quorum, timeout %v; %s",
			quorumText(cfg.R), quorumText(cfg.W), map[bool]string{true: "strict", false: "sloppy"}[cfg.Strict],
			cfg.Timeout, writes),
	}
	return q, notes, nil
}

func quorumText(n int) string {
	if n == 0 {
		return "namespace default"
	}
	return fmt.Sprint(n)
}

// ensureNamespace creates cfg's namespace unless it exists, then waits
// until every node it can reach knows it, and describes it. It tells
// progress (nil for none) whether it created the namespace.
func (q *quorumKV) ensureNamespace(ctx context.Context, cfg *Config, progress io.Writer) (string, error) {
	if cfg.Namespace == "default" {
		return "namespace default (N=3 R=2 W=2, siblings)", nil
	}
	c := q.clients[0]
	setup, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ns, found, err := findNamespace(setup, c, cfg.Namespace)
	if err != nil {
		return "", fmt.Errorf("list namespaces: %w", err)
	}
	verb := "using existing"
	if !found {
		want := wantNamespace(cfg)
		if _, err := c.CreateNamespace(setup, want); err != nil {
			return "", fmt.Errorf("create namespace %s: %w", cfg.Namespace, err)
		}
		ns, verb = want, "created"
	}
	if err := q.awaitNamespace(setup); err != nil {
		return "", err
	}
	if progress != nil {
		fmt.Fprintf(progress, "kvbench: %s namespace %s\n", verb, ns.Name)
	}
	note := fmt.Sprintf("namespace %s: N=%d R=%d W=%d, mode %s", ns.Name, ns.N, ns.R, ns.W, ns.Mode)
	switch {
	case ns.Mode == client.ModeLWW:
		note += " (blind writes replace the stored value instead of piling up siblings)"
	case !cfg.ReadModifyWrite:
		note += " (WARNING: blind writes to one key pile up siblings in this mode)"
	}
	return note, nil
}

// wantNamespace is the namespace a run creates: cfg's N, R, W and mode,
// with R and W 2 (at most N) where cfg leaves them to the namespace.
func wantNamespace(cfg *Config) client.Namespace {
	want := client.Namespace{Name: cfg.Namespace, N: cfg.N, R: cfg.R, W: cfg.W, Mode: cfg.Mode}
	if want.R == 0 {
		want.R = min(2, cfg.N)
	}
	if want.W == 0 {
		want.W = min(2, cfg.N)
	}
	return want
}

func findNamespace(ctx context.Context, c *client.Client, name string) (client.Namespace, bool, error) {
	list, err := c.ListNamespaces(ctx)
	if err != nil {
		return client.Namespace{}, false, err
	}
	for _, ns := range list {
		if ns.Name == name {
			return ns, true, nil
		}
	}
	return client.Namespace{}, false, nil
}

// awaitNamespace waits until a run of reads on every connection meets no
// "unknown namespace": a new namespace reaches the other nodes
// asynchronously, and requests go to any node.
func (q *quorumKV) awaitNamespace(ctx context.Context) error {
	const wantClean = 20
	for _, c := range q.clients {
		clean := 0
		for clean < wantClean {
			_, err := c.Get(ctx, "kvbench-probe", q.getOpts...)
			switch {
			case err == nil, errors.Is(err, client.ErrNotFound):
				clean++
			case errors.Is(err, client.ErrUnknownNamespace), errors.Is(err, client.ErrNoServers):
				clean = 0
				select {
				case <-ctx.Done():
					return fmt.Errorf("namespace not known on every node: %w", err)
				case <-time.After(50 * time.Millisecond):
				}
			default:
				return fmt.Errorf("probe read: %w", err)
			}
		}
	}
	return nil
}

func (q *quorumKV) client() *client.Client { return q.clients[q.rr.pick(len(q.clients))] }

func (q *quorumKV) Put(ctx context.Context, key string, val []byte) error {
	_, err := q.client().Put(ctx, key, val, q.putOpts...)
	return err
}

func (q *quorumKV) Get(ctx context.Context, key string) error {
	_, err := q.client().Get(ctx, key, q.getOpts...)
	if errors.Is(err, client.ErrNotFound) {
		return errNotFound
	}
	return err
}

// Update reads key and writes val back with the read's context, so that it
// supersedes what it read. Both requests go over the same connection.
func (q *quorumKV) Update(ctx context.Context, key string, val []byte) error {
	c := q.client()
	res, err := c.Get(ctx, key, q.getOpts...)
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		return err
	}
	opts := q.putOpts
	if res != nil && res.Context != "" {
		opts = append(opts[:len(opts):len(opts)], client.WithCausalContext(res.Context))
	}
	_, err = c.Put(ctx, key, val, opts...)
	return err
}

func (q *quorumKV) Close() {
	for _, c := range q.clients {
		c.Close()
	}
}
