package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/quorumkv/quorumkv/actors"
	"github.com/quorumkv/quorumkv/client"
)

// The SDK's unit tests run against the fake in fake_test.go. So that the
// fake cannot drift from the node it imitates, this test sends the same
// calls to the fake and to a real node and wants the same answers: values,
// siblings, error codes and messages, and the defaults the node fills in.
// What the fake imitates on purpose and a node of one cannot show (a
// member down, a quorum failure) stays out.

// parityCase is one scenario; it returns what a caller would observe.
type parityCase struct {
	name string
	run  func(ctx context.Context, c *client.Client) string
}

var parityCases = []parityCase{
	{"get missing", func(ctx context.Context, c *client.Client) string {
		r, err := c.Get(ctx, "missing")
		return describe(r, err)
	}},
	{"put then get", func(ctx context.Context, c *client.Client) string {
		p, err := c.Put(ctx, "k1", []byte("v1"), client.WithContentType("text/plain"))
		r, err2 := c.Get(ctx, "k1")
		return fmt.Sprintf("put context set=%v %v; %s", p != nil && p.Context != "", err, describe(r, err2))
	}},
	{"blind writes become siblings", func(ctx context.Context, c *client.Client) string {
		for _, v := range []string{"a", "b"} {
			if _, err := c.Put(ctx, "k2", []byte(v)); err != nil {
				return err.Error()
			}
		}
		r, err := c.Get(ctx, "k2")
		return describe(r, err)
	}},
	{"a put with the context replaces what it saw", func(ctx context.Context, c *client.Client) string {
		for _, v := range []string{"a", "b"} {
			if _, err := c.Put(ctx, "k3", []byte(v)); err != nil {
				return err.Error()
			}
		}
		r, _ := c.Get(ctx, "k3")
		_, err := c.Put(ctx, "k3", []byte("ab"), client.WithCausalContext(r.Context))
		r, err2 := c.Get(ctx, "k3")
		return fmt.Sprintf("%v; %s", err, describe(r, err2))
	}},
	{"a put with its own result's context replaces it", func(ctx context.Context, c *client.Client) string {
		p, err := c.Put(ctx, "k4", []byte("one"))
		if err != nil {
			return err.Error()
		}
		_, err = c.Put(ctx, "k4", []byte("two"), client.WithCausalContext(p.Context))
		r, err2 := c.Get(ctx, "k4")
		return fmt.Sprintf("%v; %s", err, describe(r, err2))
	}},
	{"delete with context, then get", func(ctx context.Context, c *client.Client) string {
		if _, err := c.Put(ctx, "k5", []byte("v")); err != nil {
			return err.Error()
		}
		r, _ := c.Get(ctx, "k5")
		err := c.Delete(ctx, "k5", client.WithCausalContext(r.Context))
		r, err2 := c.Get(ctx, "k5")
		return fmt.Sprintf("%v; %s; tombstone context set=%v", err, describe(r, err2), r != nil && r.Context != "")
	}},
	{"delete a missing key", func(ctx context.Context, c *client.Client) string {
		return fmt.Sprint(c.Delete(ctx, "never-written"))
	}},
	{"unknown namespace", func(ctx context.Context, c *client.Client) string {
		_, err := c.Get(ctx, "k", client.WithNamespace("nope"))
		return describe(nil, err)
	}},
	{"R above N", func(ctx context.Context, c *client.Client) string {
		_, err := c.Get(ctx, "k", client.WithR(4))
		return describe(nil, err)
	}},
	{"W above N", func(ctx context.Context, c *client.Client) string {
		_, err := c.Put(ctx, "k", []byte("v"), client.WithW(4))
		return describe(nil, err)
	}},
	{"undecodable context", func(ctx context.Context, c *client.Client) string {
		_, err := c.Put(ctx, "k", []byte("v"), client.WithCausalContext("not a token!"))
		return describe(nil, err)
	}},
	{"value over the limit", func(ctx context.Context, c *client.Client) string {
		_, err := c.Put(ctx, "big", bytes.Repeat([]byte("x"), 1<<20+10))
		return describe(nil, err)
	}},
	{"value over the NATS max payload", func(ctx context.Context, c *client.Client) string {
		_, err := c.Put(ctx, "bigger", bytes.Repeat([]byte("x"), 2<<20))
		return describe(nil, err)
	}},
	{"key over the limit", func(ctx context.Context, c *client.Client) string {
		_, err := c.Get(ctx, strings.Repeat("k", 1025))
		return describe(nil, err)
	}},
	{"namespace defaults", func(ctx context.Context, c *client.Client) string {
		_, err := c.CreateNamespace(ctx, client.Namespace{Name: "plain"})
		return fmt.Sprintf("%v; %s", err, namespaces(ctx, c))
	}},
	{"namespace with R above N", func(ctx context.Context, c *client.Client) string {
		_, err := c.CreateNamespace(ctx, client.Namespace{Name: "bad", N: 1, R: 2})
		return describe(nil, err)
	}},
	{"namespace created again differently", func(ctx context.Context, c *client.Client) string {
		_, err := c.CreateNamespace(ctx, client.Namespace{Name: "twice", N: 2})
		_, err2 := c.CreateNamespace(ctx, client.Namespace{Name: "twice", N: 2})
		_, err3 := c.CreateNamespace(ctx, client.Namespace{Name: "twice", N: 3})
		return fmt.Sprintf("%v; %v; %s", err, err2, describe(nil, err3))
	}},
	{"lww keeps the last write", func(ctx context.Context, c *client.Client) string {
		if _, err := c.CreateNamespace(ctx, client.Namespace{Name: "last", Mode: client.ModeLWW}); err != nil {
			return err.Error()
		}
		for _, v := range []string{"first", "second"} {
			if _, err := c.Put(ctx, "k", []byte(v), client.WithNamespace("last")); err != nil {
				return err.Error()
			}
		}
		r, err := c.Get(ctx, "k", client.WithNamespace("last"))
		return fmt.Sprintf("%s; %s", describe(r, err), namespaces(ctx, c))
	}},
	{"update of a missing key", func(ctx context.Context, c *client.Client) string {
		var saw string
		_, err := c.Update(ctx, "u", func(cur *client.Result) ([]byte, error) {
			saw = describe(cur, nil)
			return []byte("1"), nil
		})
		r, err2 := c.Get(ctx, "u")
		return fmt.Sprintf("fn saw %s; %v; %s", saw, err, describe(r, err2))
	}},
}

func TestFakeAnswersAsARealNode(t *testing.T) {
	fake := connectURL(t, newFake(t).url)
	real := connectURL(t, newNode(t, actors.Config{}).ClientURL())
	for _, tc := range parityCases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			want := tc.run(ctx, real)
			if got := tc.run(ctx, fake); got != want {
				t.Errorf("fake:      %s\nreal node: %s", got, want)
			}
		})
	}
}

// describe is what a caller sees of a Get (or Put) answer: the values,
// sorted, and the error with its code, counts and message.
func describe(r *client.Result, err error) string {
	var b strings.Builder
	if r != nil {
		vals := make([]string, len(r.Values))
		for i, v := range r.Values {
			vals[i] = fmt.Sprintf("%q(%s)", v.Data, v.ContentType)
		}
		sort.Strings(vals)
		fmt.Fprintf(&b, "values %v ", vals)
	}
	var e *client.Error
	switch {
	case err == nil:
		b.WriteString("ok")
	case errors.As(err, &e):
		fmt.Fprintf(&b, "%v got=%d needed=%d: %s", e.Code, e.Got, e.Needed, err)
	default:
		fmt.Fprintf(&b, "error: %s", err)
	}
	return b.String()
}

func namespaces(ctx context.Context, c *client.Client) string {
	list, err := c.ListNamespaces(ctx)
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, ns := range list {
		out = append(out, fmt.Sprintf("%s n=%d r=%d w=%d %s", ns.Name, ns.N, ns.R, ns.W, ns.Mode))
	}
	return strings.Join(out, ", ")
}
