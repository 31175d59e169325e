package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sort"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/client"
)

// The examples run against a stand-in for a cluster (see fake_test.go);
// in real use the URL is that of any node or of the NATS cluster the
// nodes use.

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

// A read-modify-write: the Put sends back the Get's context, so it replaces
// exactly the value it read.
func ExampleClient_Put_update() {
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
	if _, err := c.Put(ctx, "visits", []byte("2"), client.WithContext(r.Context), client.WithW(2)); err != nil {
		log.Fatal(err)
	}
	r, err = c.Get(ctx, "visits", client.WithR(2))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(r.Values), string(r.Values[0].Data))
	// Output: 1 2
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
	if _, err := c.Put(ctx, "cart", merged, client.WithContext(r.Context)); err != nil {
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
// errors.As gives its code and counts.
func ExampleError() {
	url, stop := startExampleNode()
	defer stop()
	c, err := client.Connect(url)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// The stand-in cluster has two of the three replicas up.
	_, err = c.Put(context.Background(), "k", []byte("v"), client.WithW(3), client.Strict())
	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.Got, e.Needed)
	}
	fmt.Println(errors.Is(err, client.ErrQuorumUnavailable))
	fmt.Println(err)
	// Output:
	// ERROR_CODE_QUORUM_UNAVAILABLE 2 3
	// true
	// quorum unavailable (got 2, need 3): too few replicas up
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

	warning, err := c.CreateNamespace(ctx, client.Namespace{Name: "sessions", N: 3, R: 1, W: 1, Mode: client.ModeLWW})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("warning: %q\n", warning)

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
	// warning: ""
	// default 3 2 2 siblings
	// sessions 3 1 1 lww
}
