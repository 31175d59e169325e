package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/messages"
)

func connect(t testing.TB, f *fakeNode, opts ...client.ConnectOption) *client.Client {
	t.Helper()
	c, err := client.Connect(f.url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestPutGetDelete(t *testing.T) {
	f := newFake(t)
	c := connect(t, f)
	ctx := context.Background()

	written, err := c.Put(ctx, "k", []byte("v1"), client.WithContentType("text/plain"))
	if err != nil || written.Context == "" {
		t.Fatalf("Put = %+v, %v; want a context", written, err)
	}
	r, err := c.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Values) != 1 || string(r.Values[0].Data) != "v1" || r.Values[0].ContentType != "text/plain" || r.Siblings() {
		t.Fatalf("Get = %+v", r)
	}
	if err := c.Delete(ctx, "k", client.WithCausalContext(r.Context)); err != nil {
		t.Fatal(err)
	}
	r, err = c.Get(ctx, "k")
	if !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("Get after delete: err = %v, want ErrNotFound", err)
	}
	if r == nil || len(r.Values) != 0 || r.Context == "" {
		t.Fatalf("Get after delete = %+v, want no values and the tombstone's context", r)
	}
	if err := c.Delete(ctx, "never-written"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
}

func TestNotFound(t *testing.T) {
	c := connect(t, newFake(t))
	r, err := c.Get(context.Background(), "missing")
	if !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	var e *client.Error
	if errors.As(err, &e) {
		t.Fatalf("not found is an answer, not a node error: %v", e)
	}
	if r == nil || r.Siblings() || len(r.Values) != 0 {
		t.Fatalf("result = %+v, want an empty Result", r)
	}
}

func TestSiblings(t *testing.T) {
	c := connect(t, newFake(t))
	ctx := context.Background()
	for _, v := range []string{"a", "b"} {
		if _, err := c.Put(ctx, "k", []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := c.Get(ctx, "k")
	if err != nil || !r.Siblings() || len(r.Values) != 2 {
		t.Fatalf("Get = %+v, %v; want two siblings", r, err)
	}
	if _, err := c.Put(ctx, "k", []byte("ab"), client.WithCausalContext(r.Context)); err != nil {
		t.Fatal(err)
	}
	r, err = c.Get(ctx, "k")
	if err != nil || r.Siblings() || string(r.Values[0].Data) != "ab" {
		t.Fatalf("Get after resolving = %+v, %v", r, err)
	}
}

func TestOptionsReachTheWire(t *testing.T) {
	f := newFake(t)
	c := connect(t, f)
	ctx := context.Background()
	if _, err := c.CreateNamespace(ctx, client.Namespace{Name: "ns", N: 3, R: 2, W: 2}); err != nil {
		t.Fatal(err)
	}

	if _, err := c.Get(ctx, "k", client.WithNamespace("ns"), client.WithR(1), client.WithW(2),
		client.WithTimeout(1500*time.Microsecond+time.Second), client.Strict(),
		client.WithCausalContext("ignored"), client.WithContentType("ignored")); !errors.Is(err, client.ErrNotFound) {
		t.Fatal(err)
	}
	get := lastRequest[*messages.GetRequest](f, messages.SubjectGet)
	want := &messages.RequestOptions{R: 1, TimeoutMs: 1002, Quorum: messages.Quorum_QUORUM_STRICT}
	if get.Namespace != "ns" || get.Key != "k" || !equalOptions(get.Options, want) {
		t.Errorf("GetRequest = %v, want namespace ns, key k, options %v", get, want)
	}

	if _, err := c.Put(ctx, "k", []byte("v"), client.WithNamespace("ns"), client.WithR(1), client.WithW(1),
		client.WithCausalContext(fakeToken7), client.WithContentType("text/plain"), client.Sloppy(),
		client.WithTimeout(250*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	put := lastRequest[*messages.PutRequest](f, messages.SubjectPut)
	want = &messages.RequestOptions{W: 1, TimeoutMs: 250, Quorum: messages.Quorum_QUORUM_SLOPPY}
	if put.Namespace != "ns" || put.Key != "k" || string(put.Value) != "v" || put.Context != fakeToken7 ||
		put.ContentType != "text/plain" || !equalOptions(put.Options, want) {
		t.Errorf("PutRequest = %v, want options %v", put, want)
	}

	if err := c.Delete(ctx, "k", client.WithNamespace("ns"), client.WithW(2), client.WithCausalContext(fakeToken8)); err != nil {
		t.Fatal(err)
	}
	del := lastRequest[*messages.DeleteRequest](f, messages.SubjectDelete)
	want = &messages.RequestOptions{W: 2, TimeoutMs: 5000}
	if del.Namespace != "ns" || del.Key != "k" || del.Context != fakeToken8 || !equalOptions(del.Options, want) {
		t.Errorf("DeleteRequest = %v, want options %v", del, want)
	}
}

var (
	fakeToken7 = token([]uint64{7})
	fakeToken8 = token([]uint64{8})
)

func equalOptions(a, b *messages.RequestOptions) bool {
	return a.GetR() == b.GetR() && a.GetW() == b.GetW() && a.GetTimeoutMs() == b.GetTimeoutMs() &&
		a.GetQuorum() == b.GetQuorum()
}

func TestTimeoutSentToTheNode(t *testing.T) {
	f := newFake(t)
	plain := connect(t, f)
	custom := connect(t, f, client.WithDefaultTimeout(2*time.Second))

	sent := func(c *client.Client, ctx context.Context, opts ...client.Option) uint32 {
		t.Helper()
		if _, err := c.Put(ctx, "k", nil, opts...); err != nil {
			t.Fatal(err)
		}
		return lastRequest[*messages.PutRequest](f, messages.SubjectPut).GetOptions().GetTimeoutMs()
	}
	bg := context.Background()
	if got := sent(plain, bg); got != 5000 {
		t.Errorf("default: timeout_ms = %d, want 5000", got)
	}
	if got := sent(custom, bg); got != 2000 {
		t.Errorf("WithDefaultTimeout(2s): timeout_ms = %d, want 2000", got)
	}
	if got := sent(plain, bg, client.WithTimeout(300*time.Millisecond)); got != 300 {
		t.Errorf("WithTimeout(300ms): timeout_ms = %d, want 300", got)
	}
	cancellable, cancel := context.WithCancel(bg)
	defer cancel()
	if got := sent(plain, cancellable); got != 5000 {
		t.Errorf("cancellable ctx without deadline: timeout_ms = %d, want 5000", got)
	}
	// With a deadline the node gets the time left, less a margin for the
	// answer to travel back.
	dl, cancel := context.WithTimeout(bg, 3*time.Second)
	defer cancel()
	if got := sent(plain, dl); got < 2500 || got >= 3000 {
		t.Errorf("ctx deadline in 3s: timeout_ms = %d, want in [2500, 3000)", got)
	}
	if got := sent(plain, dl, client.WithTimeout(time.Second)); got != 1000 {
		t.Errorf("ctx deadline in 3s and WithTimeout(1s): timeout_ms = %d, want 1000", got)
	}
	if got := sent(plain, dl, client.WithTimeout(10*time.Second)); got < 2500 || got >= 3000 {
		t.Errorf("ctx deadline in 3s and WithTimeout(10s): timeout_ms = %d, want in [2500, 3000)", got)
	}
}

func TestErrorCodes(t *testing.T) {
	c := connect(t, newFake(t))
	sentinels := []error{client.ErrNotFound, client.ErrQuorumUnavailable, client.ErrTimeout,
		client.ErrInvalidArgument, client.ErrUnknownNamespace, client.ErrCorrupt, client.ErrNoServers,
		client.ErrInternal}
	tests := []struct {
		code messages.ErrorCode
		is   []error
	}{
		{messages.ErrorCode_ERROR_CODE_INVALID_KEY, []error{client.ErrInvalidArgument}},
		{messages.ErrorCode_ERROR_CODE_VALUE_TOO_LARGE, []error{client.ErrInvalidArgument}},
		{messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, []error{client.ErrInvalidArgument}},
		{messages.ErrorCode_ERROR_CODE_BAD_CONTEXT, []error{client.ErrInvalidArgument}},
		{messages.ErrorCode_ERROR_CODE_UNKNOWN_NAMESPACE, []error{client.ErrInvalidArgument, client.ErrUnknownNamespace}},
		{messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE, []error{client.ErrQuorumUnavailable}},
		{messages.ErrorCode_ERROR_CODE_TIMEOUT, []error{client.ErrTimeout}},
		{messages.ErrorCode_ERROR_CODE_MALFORMED_REQUEST, []error{client.ErrInvalidArgument}},
		{messages.ErrorCode_ERROR_CODE_CORRUPT, []error{client.ErrCorrupt}},
		{messages.ErrorCode_ERROR_CODE_INTERNAL, []error{client.ErrInternal}},
		{messages.ErrorCode(42), nil},
	}
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			key := fmt.Sprintf("fail:%d", tt.code)
			_, err := c.Get(context.Background(), key)
			var e *client.Error
			if !errors.As(err, &e) || e.Code != tt.code || e.Message != "injected by the fake" {
				t.Fatalf("err = %#v, want *Error with code %v", err, tt.code)
			}
			quorum := tt.code == messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE || tt.code == messages.ErrorCode_ERROR_CODE_TIMEOUT
			if quorum && (e.Got != 1 || e.Needed != 2) {
				t.Errorf("got/needed = %d/%d, want 1/2", e.Got, e.Needed)
			}
			for _, s := range sentinels {
				want := false
				for _, w := range tt.is {
					want = want || w == s
				}
				if errors.Is(err, s) != want {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, !want, want)
				}
			}
			// Put and Delete map the same way.
			if _, err := c.Put(context.Background(), key, nil); !errors.As(err, &e) || e.Code != tt.code {
				t.Errorf("Put: err = %v", err)
			}
			if err := c.Delete(context.Background(), key); !errors.As(err, &e) || e.Code != tt.code {
				t.Errorf("Delete: err = %v", err)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *client.Error
		want string
	}{
		{&client.Error{Code: messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE, Message: "2 of 3 down", Got: 1, Needed: 2},
			"quorum unavailable (got 1, need 2): 2 of 3 down"},
		{&client.Error{Code: messages.ErrorCode_ERROR_CODE_INVALID_KEY, Message: "empty key"}, "invalid key: empty key"},
		{&client.Error{Code: messages.ErrorCode_ERROR_CODE_CORRUPT}, "corrupt record"},
		{&client.Error{Code: 99, Message: "new"}, "error code 99: new"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestUnknownNamespace(t *testing.T) {
	c := connect(t, newFake(t))
	_, err := c.Get(context.Background(), "k", client.WithNamespace("nope"))
	if !errors.Is(err, client.ErrUnknownNamespace) || !errors.Is(err, client.ErrInvalidArgument) {
		t.Fatalf("err = %v, want ErrUnknownNamespace and ErrInvalidArgument", err)
	}
}

func TestInvalidWithoutNetwork(t *testing.T) {
	f := newFake(t)
	c := connect(t, f)
	var nilCtx context.Context
	bg := context.Background()
	tests := map[string]struct {
		call func() error
		code messages.ErrorCode
	}{
		"nil ctx get":     {func() error { _, err := c.Get(nilCtx, "k"); return err }, messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		"nil ctx put":     {func() error { _, err := c.Put(nilCtx, "k", nil); return err }, messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		"nil ctx delete":  {func() error { return c.Delete(nilCtx, "k") }, messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		"nil ctx status":  {func() error { _, err := c.Status(nilCtx); return err }, messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		"nil ctx list":    {func() error { _, err := c.ListNamespaces(nilCtx); return err }, messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		"negative R":      {func() error { _, err := c.Get(bg, "k", client.WithR(-1)); return err }, messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		"negative W":      {func() error { _, err := c.Put(bg, "k", nil, client.WithW(-2)); return err }, messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		"negative W del":  {func() error { return c.Delete(bg, "k", client.WithW(-1)) }, messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		"negative time":   {func() error { _, err := c.Get(bg, "k", client.WithTimeout(-time.Second)); return err }, messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		"empty key get":   {func() error { _, err := c.Get(bg, ""); return err }, messages.ErrorCode_ERROR_CODE_INVALID_KEY},
		"empty key put":   {func() error { _, err := c.Put(bg, "", []byte("v")); return err }, messages.ErrorCode_ERROR_CODE_INVALID_KEY},
		"empty ns name":   {func() error { _, err := c.CreateNamespace(bg, client.Namespace{}); return err }, messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		"negative ns N":   {func() error { _, err := c.CreateNamespace(bg, client.Namespace{Name: "x", N: -1}); return err }, messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
		"unknown ns mode": {func() error { _, err := c.CreateNamespace(bg, client.Namespace{Name: "x", Mode: "crdt"}); return err }, messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := tt.call()
			var e *client.Error
			if !errors.Is(err, client.ErrInvalidArgument) || !errors.As(err, &e) || e.Code != tt.code {
				t.Fatalf("err = %v, want ErrInvalidArgument with code %v", err, tt.code)
			}
		})
	}
	if n := f.requestCount(); n != 0 {
		t.Fatalf("the fake saw %d requests, want none", n)
	}
}

func TestNoResponders(t *testing.T) {
	s, err := startNATS(0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	c, err := client.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Get(context.Background(), "k")
	if !errors.Is(err, client.ErrNoServers) || !errors.Is(err, nats.ErrNoResponders) {
		t.Fatalf("err = %v, want ErrNoServers", err)
	}
	if want := "no servers: no node serves kv.api.get"; err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
	if _, err := c.Status(context.Background()); !errors.Is(err, client.ErrNoServers) {
		t.Fatalf("Status: err = %v, want ErrNoServers", err)
	}
}

func TestClosed(t *testing.T) {
	f := newFake(t)
	c, err := client.Connect(f.url)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := c.Put(context.Background(), "k", nil); !errors.Is(err, client.ErrNoServers) {
		t.Fatalf("after Close: err = %v, want ErrNoServers", err)
	}
}

func TestConnect(t *testing.T) {
	_, err := client.Connect("nats://127.0.0.1:1", client.WithNATSOptions(nats.Timeout(time.Second)))
	if !errors.Is(err, client.ErrNoServers) || err.Error() != "no servers: cannot connect to nats://127.0.0.1:1" {
		t.Fatalf("Connect to nothing: err = %v, want ErrNoServers", err)
	}

	f := newFake(t)
	nc, err := nats.Connect(f.url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := client.New(nc)
	if _, err := c.Put(context.Background(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if nc.IsClosed() {
		t.Fatal("Close closed a connection the caller owns")
	}
}

func TestContextDoneBeforeCall(t *testing.T) {
	f := newFake(t)
	c := connect(t, f)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Get(cancelled, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v, want context.Canceled", err)
	}
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := c.Put(expired, "k", nil)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, client.ErrTimeout) {
		t.Fatalf("expired: err = %v, want DeadlineExceeded and ErrTimeout", err)
	}
	if n := f.requestCount(); n != 0 {
		t.Fatalf("the fake saw %d requests, want none", n)
	}
}

func TestContextCancelledDuringCall(t *testing.T) {
	c := connect(t, newFake(t))
	ctx, cancel := context.WithCancel(context.Background())
	timer := time.AfterFunc(50*time.Millisecond, cancel)
	defer timer.Stop()
	start := time.Now()
	_, err := c.Get(ctx, "hang")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cancel took %v to end the call", d)
	}
}

func TestContextDeadlineDuringCall(t *testing.T) {
	c := connect(t, newFake(t))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Get(ctx, "hang")
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, client.ErrTimeout) {
		t.Fatalf("err = %v, want DeadlineExceeded and ErrTimeout", err)
	}
}

// The client waits a little longer than the timeout it sends, so the
// node's own TIMEOUT answer, with its counts, is what the caller sees.
func TestNodeTimeoutArrivesBeforeTheClientGivesUp(t *testing.T) {
	c := connect(t, newFake(t))
	cases := map[string]func() (context.Context, context.CancelFunc, []client.Option){
		"WithTimeout": func() (context.Context, context.CancelFunc, []client.Option) {
			return context.Background(), func() {}, []client.Option{client.WithTimeout(200 * time.Millisecond)}
		},
		"ctx deadline": func() (context.Context, context.CancelFunc, []client.Option) {
			ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
			return ctx, cancel, nil
		},
		"default timeout": func() (context.Context, context.CancelFunc, []client.Option) {
			return context.Background(), func() {}, nil
		},
	}
	short := connect(t, newFake(t), client.WithDefaultTimeout(200*time.Millisecond))
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			ctx, cancel, opts := setup()
			defer cancel()
			cl := c
			if name == "default timeout" {
				cl = short
			}
			_, err := cl.Get(ctx, "slow", opts...)
			var e *client.Error
			if !errors.As(err, &e) || e.Code != messages.ErrorCode_ERROR_CODE_TIMEOUT || e.Needed != 2 {
				t.Fatalf("err = %v, want the node's TIMEOUT answer", err)
			}
			if !errors.Is(err, client.ErrTimeout) {
				t.Fatalf("err = %v, want ErrTimeout", err)
			}
		})
	}
}

func TestClientSideTimeout(t *testing.T) {
	c := connect(t, newFake(t))
	start := time.Now()
	_, err := c.Get(context.Background(), "hang", client.WithTimeout(50*time.Millisecond))
	var e *client.Error
	if !errors.Is(err, client.ErrTimeout) || errors.As(err, &e) || errors.Is(err, client.ErrNoServers) {
		t.Fatalf("err = %v, want a client-side ErrTimeout", err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("gave up after %v, before the server-side timeout", d)
	}
}

func TestGarbageResponse(t *testing.T) {
	c := connect(t, newFake(t))
	for key, says := range map[string]string{"garbage": "undecodable", "status": "NATS status 429 slow down"} {
		_, err := c.Get(context.Background(), key)
		if !errors.Is(err, client.ErrInternal) || !strings.Contains(err.Error(), says) {
			t.Errorf("%s: err = %v, want ErrInternal saying %q", key, err, says)
		}
	}
}

func TestValueAboveNATSMaxPayload(t *testing.T) {
	s, err := startNATS(64 << 10)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	c, err := client.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Put(context.Background(), "k", bytes.Repeat([]byte("x"), 100<<10))
	var e *client.Error
	if !errors.As(err, &e) || e.Code != messages.ErrorCode_ERROR_CODE_VALUE_TOO_LARGE || !errors.Is(err, client.ErrInvalidArgument) {
		t.Fatalf("err = %v, want VALUE_TOO_LARGE", err)
	}
}

func TestNamespaces(t *testing.T) {
	f := newFake(t)
	c := connect(t, f)
	ctx := context.Background()
	warning, err := c.CreateNamespace(ctx, client.Namespace{Name: "wide", N: 5, Mode: "LWW"})
	if err != nil || warning == "" {
		t.Fatalf("CreateNamespace(N=5) = %q, %v; want a warning", warning, err)
	}
	sent := lastRequest[*messages.NamespaceCreateRequest](f, messages.SubjectNamespaceCreate).GetNamespace()
	if sent.GetName() != "wide" || sent.GetN() != 5 || sent.GetR() != 0 || sent.GetMode() != messages.ConflictMode_CONFLICT_MODE_LWW {
		t.Fatalf("NamespaceCreateRequest carried %v", sent)
	}
	if _, err := c.CreateNamespace(ctx, client.Namespace{Name: "bad", N: 1, R: 2}); !errors.Is(err, client.ErrInvalidArgument) {
		t.Fatalf("CreateNamespace(R>N): err = %v, want ErrInvalidArgument", err)
	}
	list, err := c.ListNamespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("ListNamespaces = %+v, want default and wide", list)
	}
	wide := list[1]
	if wide.Name != "wide" || wide.N != 5 || wide.R != 3 || wide.W != 3 || wide.Mode != client.ModeLWW ||
		wide.CreatedBy != "fake-1" || wide.Created.Year() != 2026 {
		t.Fatalf("wide = %+v", wide)
	}
}

func TestStatus(t *testing.T) {
	c := connect(t, newFake(t))
	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := &client.Status{
		Node: "n1", Partitions: 256, Version: "v1.2.3", Commit: "abc1234", Records: 1000, DiskBytes: 1 << 20,
		PartitionsHeld: 256,
		Members: []client.Member{
			{ID: "n1", Zone: "a", Weight: 1, Addr: "nats://127.0.0.1:4222", Up: true, Phi: 0.2,
				PrimaryPartitions: 128, ReplicaPartitions: 256, State: "active", Ownership: 0.5},
			{ID: "n2", Zone: "b", Weight: 1, Up: true, Phi: 0.4, LastHeard: 800 * time.Millisecond, Heartbeat: 42,
				Incarnation: 2, PrimaryPartitions: 128, ReplicaPartitions: 256, State: "joining", Ownership: 0.5},
			{ID: "n3", Zone: "c", Weight: 1, Phi: 14.1, LastHeard: 31 * time.Second, ReplicaPartitions: 256, State: "leaving"},
		},
		Namespaces: []client.NamespaceStatus{{
			Namespace:       client.Namespace{Name: "wide", N: 5, R: 3, W: 3, Mode: client.ModeSiblings},
			UnderReplicated: true, Note: "5 replicas wanted, 3 members",
		}},
	}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("Status = %+v\nwant     %+v", st, want)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := connect(t, newFake(t))
	ctx := context.Background()
	const workers = 100
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("key-%d", i)
			want := fmt.Sprintf("value-%d", i)
			if _, err := c.Put(ctx, key, []byte(want)); err != nil {
				errs <- err
				return
			}
			r, err := c.Get(ctx, key, client.WithR(1))
			if err != nil {
				errs <- err
				return
			}
			if got := string(r.Values[0].Data); got != want {
				errs <- fmt.Errorf("%s = %q, want %q", key, got, want)
				return
			}
			if _, err := c.Put(ctx, "shared", []byte(want)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	r, err := c.Get(ctx, "shared")
	if err != nil || len(r.Values) != workers {
		t.Fatalf("shared: %d siblings, %v; want %d blind writes as siblings", len(r.Values), err, workers)
	}
}
