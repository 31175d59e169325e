package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/client"
)

// The examples run against a real node of one, started in this process
// (see node_test.go); their output is what that node answers. In real use
// the URL is that of any node, or of the NATS cluster the nodes use.

func Example() {
	url, stop := startExampleNode()
	defer stop()

	c, err := client.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	if _, err := c.Put(ctx, "greeting", []byte("hello, world")); err != nil {
		log.Fatal(err)
	}
	r, err := c.Get(ctx, "greeting")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(r.Values[0].Data))
	// Output: hello, world
}

func ExampleNew() {
	url, stop := startExampleNode()
	defer stop()

	// An application that already has a NATS connection shares it.
	nc, err := nats.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	c := client.New(nc, client.WithDefaultTimeout(2*time.Second))
	defer c.Close() // leaves nc open

	ctx := context.Background()
	if _, err := c.Put(ctx, "config", []byte(`{"debug":true}`), client.WithContentType("application/json")); err != nil {
		log.Fatal(err)
	}
	r, err := c.Get(ctx, "config")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Values[0].ContentType, string(r.Values[0].Data))
	// Output: application/json {"debug":true}
}

// Credentials and TLS for a cluster whose NATS configuration requires
// them; any argument may be empty, so flags can be passed straight on.
func ExampleConnect_credentials() {
	c, err := client.Connect("tls://kv.example.com:4222",
		client.WithUserPassword("app", "s3cret"),
		client.WithTLSFiles("ca.pem", "", ""))
	switch {
	case errors.Is(err, client.ErrAuthFailed):
		// the server refused the user or password
	case errors.Is(err, client.ErrTLS):
		// err reads "tls: ..."; here: ca.pem does not exist
		fmt.Println(err)
	case err == nil:
		c.Close()
	}
	// Output: tls: CA file: open ca.pem: no such file or directory
}

func ExampleClient_Get_notFound() {
	url, stop := startExampleNode()
	defer stop()
	c, err := client.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.Get(context.Background(), "nobody-wrote-this")
	fmt.Println(errors.Is(err, client.ErrNotFound))
	fmt.Println(err)
	// Output:
	// true
	// key "nobody-wrote-this": not found
}

// A read-modify-write by hand: the Put sends back the Get's causal
// context, so it replaces exactly the value it read.
func ExampleWithCausalContext() {
	url, stop := startExampleNode()
	defer stop()
	c, err := client.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	if _, err := c.Put(ctx, "visits", []byte("1")); err != nil {
		log.Fatal(err)
	}
	r, err := c.Get(ctx, "visits")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Put(ctx, "visits", []byte("2"), client.WithCausalContext(r.Context)); err != nil {
		log.Fatal(err)
	}
	r, err = c.Get(ctx, "visits")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(r.Values), string(r.Values[0].Data))
	// Output: 1 2
}

// Update does the read, the write with the read's context, and the
// retries when a concurrent write raced it. Its function merges siblings:
// here the value is a set of words, and the merge is their union.
func ExampleClient_Update() {
	url, stop := startExampleNode()
	defer stop()
	c, err := client.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	add := func(word string) func(*client.Result) ([]byte, error) {
		return func(cur *client.Result) ([]byte, error) {
			set := map[string]bool{word: true}
			for _, v := range cur.Values { // every sibling, merged
				for _, w := range splitWords(v.Data) {
					set[w] = true
				}
			}
			return joinWords(set), nil
		}
	}
	for _, w := range []string{"milk", "eggs", "milk"} {
		if _, err := c.Update(ctx, "cart", add(w)); err != nil {
			log.Fatal(err)
		}
	}
	r, err := c.Get(ctx, "cart")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(r.Values[0].Data))
	// Output: eggs,milk
}

// Two blind writes are concurrent, so a Get returns both as siblings. The
// application merges them and writes the merge back with the Get's context.
func ExampleResult_Siblings() {
	url, stop := startExampleNode()
	defer stop()
	c, err := client.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	for _, v := range []string{"milk", "eggs"} {
		if _, err := c.Put(ctx, "cart", []byte(v)); err != nil {
			log.Fatal(err)
		}
	}
	r, err := c.Get(ctx, "cart")
	if err != nil {
		log.Fatal(err)
	}
	var items []string
	for _, v := range r.Values {
		items = append(items, string(v.Data))
	}
	sort.Strings(items)
	fmt.Println(r.Siblings(), items)

	merged := []byte(items[0] + "," + items[1])
	if _, err := c.Put(ctx, "cart", merged, client.WithCausalContext(r.Context)); err != nil {
		log.Fatal(err)
	}
	r, err = c.Get(ctx, "cart")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Siblings(), string(r.Values[0].Data))
	// Output:
	// true [eggs milk]
	// false eggs,milk
}

// A failure reported by a node is an *Error: errors.Is tells its kind,
// errors.As gives its code and message.
func ExampleError() {
	url, stop := startExampleNode()
	defer stop()
	c, err := client.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.Get(context.Background(), "k", client.WithNamespace("orders"))
	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code)
	}
	fmt.Println(errors.Is(err, client.ErrUnknownNamespace), errors.Is(err, client.ErrInvalidArgument))
	fmt.Println(err)
	// Output:
	// ERROR_CODE_UNKNOWN_NAMESPACE
	// true true
	// unknown namespace: namespace "orders" does not exist
}

func ExampleClient_CreateNamespace() {
	url, stop := startExampleNode()
	defer stop()
	c, err := client.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	// N defaults to 3: more than this cluster of one has, so the node
	// warns.
	warning, err := c.CreateNamespace(ctx, client.Namespace{Name: "sessions", R: 1, W: 1, Mode: client.ModeLWW})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("warning:", warning)

	if _, err := c.Put(ctx, "s1", []byte("token"), client.WithNamespace("sessions")); err != nil {
		log.Fatal(err)
	}
	list, err := c.ListNamespaces(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, ns := range list {
		fmt.Println(ns.Name, ns.N, ns.R, ns.W, ns.Mode)
	}
	// Output:
	// warning: namespace "sessions" has n=3 but the cluster has 1 node(s): it is under-replicated until the cluster grows
	// default 3 2 2 siblings
	// sessions 3 1 1 lww
}

func ExampleClient_Status() {
	url, stop := startExampleNode()
	defer stop()
	c, err := client.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	st, err := c.Status(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("answered by", st.Node, "of a cluster of", len(st.Members), "with", st.Partitions, "partitions")
	for _, m := range st.Members {
		fmt.Println(m.ID, m.Up, m.State, m.PrimaryPartitions, strconv.FormatFloat(m.Ownership, 'f', 2, 64))
	}
	// Output:
	// answered by n1 of a cluster of 1 with 256 partitions
	// n1 true active 256 1.00
}

// The maintenance calls go to the node they name; Status gives the ids.
func ExampleClient_Hints() {
	url, stop := startExampleNode()
	defer stop()
	c, err := client.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	st, err := c.Status(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range st.Members {
		r, err := c.Hints(ctx, m.ID)
		if errors.Is(err, client.ErrNoServers) {
			fmt.Printf("%s does not answer\n", m.ID)
			continue
		} else if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s holds hints for %d nodes; delivered %d\n", r.Node, len(r.Targets), r.Delivered)
	}
	// Output: n1 holds hints for 0 nodes; delivered 0
}

func splitWords(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), ",")
}

func joinWords(set map[string]bool) []byte {
	words := make([]string, 0, len(set))
	for w := range set {
		words = append(words, w)
	}
	sort.Strings(words)
	return []byte(strings.Join(words, ","))
}
