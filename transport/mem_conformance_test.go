package transport

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// The conformance test runs one table of contract checks against a real
// NATS server (through transport.NATS) and against MemNet, so that the
// fake is held to what the real thing does. A check uses only the Conn
// interface, and does what a careful caller of NATS must: it flushes a
// connection after subscribing before another connection relies on the
// subscription.

// waitLimit bounds every wait on a condition; a check that hits it fails.
const waitLimit = 10 * time.Second

// dialer makes a named connection for one check; the check's cleanup
// closes it.
type dialer func(name string) Conn

// world is one transport under test.
type world struct {
	name string
	open func(t *testing.T) dialer
	// skip names the checks this transport is known to fail, and why.
	skip map[string]string
}

var worlds = []world{
	{name: "nats", open: openNATS},
	{name: "mem", open: openMem},
}

// openNATS starts an in-process NATS server for one check.
func openNATS(t *testing.T) dialer {
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(waitLimit) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return func(name string) Conn {
		nc, err := nats.Connect(s.ClientURL(), nats.Name(name), nats.NoReconnect())
		if err != nil {
			t.Fatal(err)
		}
		c := OverNATS(nc)
		t.Cleanup(c.Close) // before the server's shutdown: cleanups run last first
		return c
	}
}

// openMem makes a fault-free MemNet for one check.
func openMem(t *testing.T) dialer {
	net := NewMemNet(1)
	return func(name string) Conn {
		c := net.Endpoint(name)
		t.Cleanup(c.Close)
		return c
	}
}

// conformance is the table of contract checks.
var conformance = []struct {
	name string
	run  func(t *testing.T, dial dialer)
}{
	{"delivery carries subject, reply, header and data", checkDeliveryFields},
	{"wildcards match as in NATS", checkWildcards},
	{"a connection receives its own messages", checkEcho},
	{"request and reply with headers", checkRequestReply},
	{"request with no responders", checkRequestNoResponders},
	{"publish request with no responders", checkPublishRequestNoResponders},
	{"request times out when nobody answers", checkRequestTimeout},
	{"queue group gives each message to one member", checkQueueGroup},
	{"queue groups are keyed by name across patterns", checkQueueGroupAcrossPatterns},
	{"subscriptions are ordered, independent and unbounded", checkOrderAndIndependence},
	{"each subscriber gets its own copy", checkCopies},
	{"a subscription is in place once flushed", checkFlushPlacesSubscriptions},
	{"unsubscribe stops delivery", checkUnsubscribe},
	{"close", checkClose},
	{"close handles what was queued", checkCloseDrains},
	{"bad subjects are refused", checkBadSubjects},
}

func TestConformance(t *testing.T) {
	for _, w := range worlds {
		t.Run(w.name, func(t *testing.T) {
			for _, c := range conformance {
				t.Run(c.name, func(t *testing.T) {
					if why, ok := w.skip[c.name]; ok {
						t.Skip("known divergence: " + why)
					}
					c.run(t, w.open(t))
				})
			}
		})
	}
}

// catcher records the messages a handler gets and lets a test wait for a
// condition on them, with a deadline and without sleeping.
type catcher struct {
	mu   sync.Mutex
	msgs []*Msg
	bump chan struct{} // closed and replaced at each message
}

func newCatcher() *catcher { return &catcher{bump: make(chan struct{})} }

// handle is a Handler.
func (k *catcher) handle(m *Msg) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.msgs = append(k.msgs, m)
	close(k.bump)
	k.bump = make(chan struct{})
}

func (k *catcher) snapshot() ([]*Msg, <-chan struct{}) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.msgs), k.bump
}

// until waits until ok holds for the messages so far and returns them.
func (k *catcher) until(t *testing.T, what string, ok func([]*Msg) bool) []*Msg {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		msgs, bump := k.snapshot()
		if ok(msgs) {
			return msgs
		}
		select {
		case <-bump:
		case <-deadline.C:
			t.Fatalf("waiting for %s: %d messages so far", what, len(msgs))
		}
	}
}

// count waits for at least n messages and returns all so far.
func (k *catcher) count(t *testing.T, n int) []*Msg {
	t.Helper()
	return k.until(t, fmt.Sprintf("%d messages", n), func(m []*Msg) bool { return len(m) >= n })
}

// upTo waits for a message whose data is marker and returns the ones
// before it. Published after the others by the same connection, the
// marker proves that those the subscription was to get have come.
func (k *catcher) upTo(t *testing.T, marker string) []*Msg {
	t.Helper()
	msgs := k.until(t, "marker "+marker, func(m []*Msg) bool {
		return slices.ContainsFunc(m, func(m *Msg) bool { return string(m.Data) == marker })
	})
	return msgs[:slices.IndexFunc(msgs, func(m *Msg) bool { return string(m.Data) == marker })]
}

// subscribe subscribes and flushes, so that other connections' messages
// find the subscription.
func subscribe(t *testing.T, c Conn, subject, queue string, h Handler) Subscription {
	t.Helper()
	s, err := c.Subscribe(subject, queue, h)
	if err != nil {
		t.Fatalf("subscribe %q: %v", subject, err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func datas(msgs []*Msg) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Data)
	}
	return out
}

// wait waits for ch to close, failing the test at the deadline.
func wait(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitLimit):
		t.Fatalf("waiting for %s", what)
	}
}

func checkDeliveryFields(t *testing.T, dial dialer) {
	sub, pub := dial("sub"), dial("pub")
	k := newCatcher()
	subscribe(t, sub, "t.fields", "", k.handle)
	must(t, pub.PublishMsg(&Msg{Subject: "t.fields", Reply: "t.reply",
		Header: nats.Header{"K": {"v1", "v2"}}, Data: []byte("payload")}))
	must(t, pub.PublishMsg(nats.NewMsg("t.fields"))) // empty header, no data
	got := k.count(t, 2)
	m := got[0]
	if m.Subject != "t.fields" || m.Reply != "t.reply" || string(m.Data) != "payload" ||
		!slices.Equal(m.Header.Values("K"), []string{"v1", "v2"}) {
		t.Errorf("got subject %q reply %q data %q header %v", m.Subject, m.Reply, m.Data, m.Header)
	}
	if m := got[1]; len(m.Header) != 0 || len(m.Data) != 0 || m.Reply != "" {
		t.Errorf("empty message came as header %v data %q reply %q", m.Header, m.Data, m.Reply)
	}
}

// wildcardCases lists, per subscription subject, subjects published and
// those it must get. Subjects with an empty token reach nobody.
var wildcardCases = []struct {
	pattern string
	publish []string
	want    []string
}{
	{"a", []string{"a", "a.b", "A", "b"}, []string{"a"}},
	{"a.*", []string{"a", "a.b", "a.b.c", "b.a", "a.*", "a.>"}, []string{"a.b", "a.*", "a.>"}},
	{"a.>", []string{"a", "a.b", "a.b.c", "ab.c", "b.a", "a.>"}, []string{"a.b", "a.b.c", "a.>"}},
	{"*.b", []string{"b", "a.b", "x.b", "a.b.c", "a.c", "b.b.b"}, []string{"a.b", "x.b"}},
	{"*", []string{"a", "a.b", "*", ">"}, []string{"a", "*", ">"}},
	{">", []string{"a", "a.b.c", "a..b", ".a", "a."}, []string{"a", "a.b.c"}},
	{"a.*.c", []string{"a.b.c", "a.c", "a.b.d.c", "a.b.c.d"}, []string{"a.b.c"}},
	{"*.*.>", []string{"a.b", "a.b.c", "a.b.c.d"}, []string{"a.b.c", "a.b.c.d"}},
	{"a*.b>", []string{"a*.b>", "ab.bc", "a.b"}, []string{"a*.b>"}}, // not wildcards inside a token
}

// literalFor returns a subject pattern matches, for its end marker.
func literalFor(pattern string) string {
	tokens := strings.Split(pattern, ".")
	for i, tok := range tokens {
		if tok == "*" || tok == ">" {
			tokens[i] = "end"
		}
	}
	return strings.Join(tokens, ".")
}

func checkWildcards(t *testing.T, dial dialer) {
	sub, pub := dial("sub"), dial("pub")
	for _, tc := range wildcardCases {
		k := newCatcher()
		s := subscribe(t, sub, tc.pattern, "", k.handle)
		for _, subj := range tc.publish {
			must(t, pub.Publish(subj, []byte(subj)))
		}
		must(t, pub.Publish(literalFor(tc.pattern), []byte("end")))
		if got := datas(k.upTo(t, "end")); !slices.Equal(got, tc.want) {
			t.Errorf("%q got %q, want %q", tc.pattern, got, tc.want)
		}
		must(t, s.Unsubscribe())
	}
}

func checkEcho(t *testing.T, dial dialer) {
	c := dial("self")
	k := newCatcher()
	subscribe(t, c, "t.echo", "", k.handle)
	must(t, c.Publish("t.echo", []byte("me")))
	if got := datas(k.count(t, 1)); got[0] != "me" {
		t.Errorf("got %q", got)
	}
}

func checkRequestReply(t *testing.T, dial dialer) {
	svc, cli := dial("svc"), dial("cli")
	subscribe(t, svc, "t.svc", "", func(m *Msg) {
		reply := &Msg{Subject: m.Reply, Header: nats.Header{"Echo": {string(m.Data)}},
			Data: []byte(strings.ToUpper(string(m.Data)))}
		_ = svc.PublishMsg(reply)
	})
	resp, err := cli.Request("t.svc", []byte("abc"), waitLimit)
	must(t, err)
	if string(resp.Data) != "ABC" || resp.Header.Get("Echo") != "abc" {
		t.Errorf("got data %q header %v", resp.Data, resp.Header)
	}
}

func checkRequestNoResponders(t *testing.T, dial dialer) {
	c := dial("cli")
	for _, subj := range []string{"t.nobody", "t..empty.token"} {
		start := time.Now()
		_, err := c.Request(subj, []byte("x"), waitLimit)
		wantErr(t, subj, err, ErrNoResponders)
		if waited := time.Since(start); waited > waitLimit/2 {
			t.Errorf("%s: no-responders took %v, as long as a timeout", subj, waited)
		}
	}
}

// checkPublishRequestNoResponders checks that the status goes to the
// publisher's subscription on the reply subject, and only to it.
func checkPublishRequestNoResponders(t *testing.T, dial dialer) {
	p, other := dial("pub"), dial("other")
	mine, theirs := newCatcher(), newCatcher()
	reply := NewInbox()
	subscribe(t, p, reply, "", mine.handle)
	subscribe(t, other, reply, "", theirs.handle)
	must(t, p.PublishRequest("t.nobody", reply, []byte("x")))
	must(t, p.Publish(reply, []byte("end")))

	got := mine.upTo(t, "end")
	if len(got) != 1 || !IsNoResponders(got[0]) || got[0].Subject != reply {
		t.Fatalf("publisher got %d messages before its marker, first %+v", len(got), got)
	}
	want := nats.Header{"Status": {"503"}, "Nats-Subject": {"t.nobody"}}
	if !maps.EqualFunc(got[0].Header, want, slices.Equal) || len(got[0].Data) != 0 {
		t.Errorf("status has header %v data %q, want header %v", got[0].Header, got[0].Data, want)
	}
	if got := theirs.upTo(t, "end"); len(got) != 0 {
		t.Errorf("another subscriber of the reply subject got %d messages: %+v", len(got), got[0])
	}
}

func checkRequestTimeout(t *testing.T, dial dialer) {
	silent, cli := dial("silent"), dial("cli")
	k := newCatcher()
	subscribe(t, silent, "t.silent", "", k.handle)
	const timeout = 100 * time.Millisecond
	start := time.Now()
	_, err := cli.Request("t.silent", []byte("x"), timeout)
	wantErr(t, "request", err, ErrTimeout)
	if waited := time.Since(start); waited < timeout {
		t.Errorf("timed out after %v, before %v", waited, timeout)
	}
	k.count(t, 1) // the request did reach the subscriber
}

// memberTag marks a message with the queue member that got it.
func memberTag(k *catcher, member int) Handler {
	return func(m *Msg) {
		m.Header = nats.Header{"Member": {strconv.Itoa(member)}}
		k.handle(m)
	}
}

func checkQueueGroup(t *testing.T, dial dialer) {
	const n, members = 300, 3
	pub := dial("pub")
	all, group := newCatcher(), newCatcher()
	subscribe(t, dial("plain"), "t.q", "", all.handle)
	for i := range members {
		subscribe(t, dial(fmt.Sprint("member-", i)), "t.q", "workers", memberTag(group, i))
	}
	for i := range n {
		must(t, pub.Publish("t.q", []byte(strconv.Itoa(i))))
	}
	all.count(t, n)
	got := group.count(t, n)
	if len(got) != n {
		t.Fatalf("the group got %d messages for %d sent", len(got), n)
	}
	seen := map[string]bool{}
	perMember := make([]int, members)
	for _, m := range got {
		if seen[string(m.Data)] {
			t.Errorf("message %s went to two members", m.Data)
		}
		seen[string(m.Data)] = true
		i, _ := strconv.Atoi(m.Header.Get("Member"))
		perMember[i]++
	}
	for i, c := range perMember {
		if c < n/members/3 {
			t.Errorf("member %d got %d of %d: %v", i, c, n, perMember)
		}
	}
}

// checkQueueGroupAcrossPatterns: members of one queue group share each
// message even when subscribed to different patterns; another group
// gets its own copy.
func checkQueueGroupAcrossPatterns(t *testing.T, dial dialer) {
	const n = 100
	pub := dial("pub")
	plain, g, h := newCatcher(), newCatcher(), newCatcher()
	subscribe(t, dial("plain"), "t.g.a", "", plain.handle)
	subscribe(t, dial("g-wild"), "t.g.*", "g", memberTag(g, 0))
	subscribe(t, dial("g-lit"), "t.g.a", "g", memberTag(g, 1))
	subscribe(t, dial("h"), "t.g.a", "h", h.handle)
	for i := range n {
		must(t, pub.Publish("t.g.a", []byte(strconv.Itoa(i))))
	}
	plain.count(t, n)
	h.count(t, n)
	if got := g.count(t, n); len(got) != n {
		t.Errorf("group g got %d messages for %d sent", len(got), n)
	}
}

// checkOrderAndIndependence: a subscription blocked in its handler holds
// up neither the publisher nor another subscription of the same
// connection, and loses nothing; each gets the messages in order, one
// handler call at a time.
func checkOrderAndIndependence(t *testing.T, dial dialer) {
	const n = 2000
	sub, pub := dial("sub"), dial("pub")
	gate := make(chan struct{})
	release := sync.OnceFunc(func() { close(gate) })
	t.Cleanup(release) // runs before the connections close
	slow, fast := newCatcher(), newCatcher()
	var running, most atomic.Int32
	subscribe(t, sub, "t.order", "", func(m *Msg) {
		r := running.Add(1)
		if r > most.Load() {
			most.Store(r)
		}
		<-gate
		slow.handle(m)
		running.Add(-1)
	})
	subscribe(t, sub, "t.order", "", fast.handle)
	for i := range n {
		must(t, pub.Publish("t.order", []byte(strconv.Itoa(i))))
	}
	inOrder(t, "fast", fast.count(t, n))
	release()
	inOrder(t, "slow", slow.count(t, n))
	if m := most.Load(); m != 1 {
		t.Errorf("%d handler calls ran at once", m)
	}
}

func inOrder(t *testing.T, who string, msgs []*Msg) {
	t.Helper()
	for i, m := range msgs {
		if string(m.Data) != strconv.Itoa(i) {
			t.Fatalf("%s: message %d is %q", who, i, m.Data)
		}
	}
}

// checkCopies: a handler that mutates its message changes no other
// subscriber's, nor does the publisher reusing its buffer.
func checkCopies(t *testing.T, dial dialer) {
	a, b, pub := dial("a"), dial("b"), dial("pub")
	mutated := make(chan struct{})
	done := sync.OnceFunc(func() { close(mutated) })
	t.Cleanup(done)
	others := newCatcher()
	subscribe(t, a, "t.copy", "", func(m *Msg) {
		m.Data[0] = 'X'
		m.Header.Set("K", "changed")
		done()
	})
	later := func(m *Msg) { <-mutated; others.handle(m) }
	subscribe(t, a, "t.copy", "", later) // same connection
	subscribe(t, b, "t.copy", "", later)
	buf := []byte("hello")
	must(t, pub.PublishMsg(&Msg{Subject: "t.copy", Header: nats.Header{"K": {"orig"}}, Data: buf}))
	buf[0] = 'J'
	for _, m := range others.count(t, 2) {
		if string(m.Data) != "hello" || m.Header.Get("K") != "orig" {
			t.Errorf("got data %q header %v", m.Data, m.Header)
		}
	}
}

// checkFlushPlacesSubscriptions: a request from another connection right
// after Subscribe and Flush finds the subscriber (no no-responders).
func checkFlushPlacesSubscriptions(t *testing.T, dial dialer) {
	svc, cli := dial("svc"), dial("cli")
	for i := range 20 {
		subj := fmt.Sprint("t.flush.", i)
		subscribe(t, svc, subj, "", func(m *Msg) { _ = svc.Publish(m.Reply, []byte("ok")) })
		resp, err := cli.Request(subj, nil, waitLimit)
		must(t, err)
		if string(resp.Data) != "ok" {
			t.Fatalf("got %q", resp.Data)
		}
	}
}

func checkUnsubscribe(t *testing.T, dial dialer) {
	c := dial("c")
	k := newCatcher()
	s := subscribe(t, c, "t.unsub", "", k.handle)
	must(t, c.Publish("t.unsub", []byte("1")))
	k.count(t, 1)
	must(t, s.Unsubscribe())
	// The same connection's request comes after the unsubscribe.
	_, err := c.Request("t.unsub", []byte("2"), waitLimit)
	wantErr(t, "request after unsubscribe", err, ErrNoResponders)
	wantErr(t, "second unsubscribe", s.Unsubscribe(), nats.ErrBadSubscription)
	if got, _ := k.snapshot(); len(got) != 1 {
		t.Errorf("got %d messages", len(got))
	}
}

func checkClose(t *testing.T, dial dialer) {
	svc, cli := dial("svc"), dial("cli")
	s := subscribe(t, svc, "t.closing", "", func(m *Msg) { _ = svc.Publish(m.Reply, []byte("ok")) })
	_, err := cli.Request("t.closing", nil, waitLimit)
	must(t, err)

	svc.Close()
	if svc.Connected() || !cli.Connected() {
		t.Errorf("connected: closed %v, other %v", svc.Connected(), cli.Connected())
	}
	wantErr(t, "publish", svc.Publish("t.x", nil), ErrClosed)
	wantErr(t, "publish request", svc.PublishRequest("t.x", "t.r", nil), ErrClosed)
	wantErr(t, "publish msg", svc.PublishMsg(nats.NewMsg("t.x")), ErrClosed)
	_, err = svc.Subscribe("t.x", "", func(*Msg) {})
	wantErr(t, "subscribe", err, ErrClosed)
	_, err = svc.Request("t.x", nil, time.Second)
	wantErr(t, "request", err, ErrClosed)
	wantErr(t, "flush", svc.Flush(), ErrClosed)
	wantErr(t, "unsubscribe", s.Unsubscribe(), ErrClosed)
	svc.Close() // a second Close is harmless

	waitNoResponders(t, cli, "t.closing")
}

// waitNoResponders sends requests to subject until one gets
// no-responders. A NATS server forgets a closed connection's
// subscriptions only when it notices the close; until then, requests to
// them are answered or time out.
func waitNoResponders(t *testing.T, c Conn, subject string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		_, err := c.Request(subject, nil, 100*time.Millisecond)
		if errors.Is(err, ErrNoResponders) {
			return
		}
		if (err != nil && !errors.Is(err, ErrTimeout)) || time.Now().After(deadline) {
			t.Fatalf("request to %s: %v", subject, err)
		}
	}
}

// checkCloseDrains: what a subscription had received when Close was
// called is handled before Close is done.
func checkCloseDrains(t *testing.T, dial dialer) {
	const n = 10
	c, pub := dial("c"), dial("pub")
	gate := make(chan struct{})
	release := sync.OnceFunc(func() { close(gate) })
	t.Cleanup(release)
	started := make(chan struct{})
	start := sync.OnceFunc(func() { close(started) })
	handled, marker := newCatcher(), newCatcher()
	subscribe(t, c, "t.drain", "", func(m *Msg) { start(); <-gate; handled.handle(m) })
	subscribe(t, c, "t.drain-end", "", marker.handle)
	for i := range n {
		must(t, pub.Publish("t.drain", []byte(strconv.Itoa(i))))
	}
	must(t, pub.Publish("t.drain-end", nil))
	marker.count(t, 1) // so c holds all n: one publisher's messages come in order
	wait(t, "first handler call", started)

	// Release the handler only once Close has begun, which shows as the
	// probe subscription being gone.
	subscribe(t, c, "t.drain-probe", "", func(m *Msg) { _ = c.Publish(m.Reply, nil) })
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	waitNoResponders(t, pub, "t.drain-probe")
	release()
	wait(t, "close", closed)
	got, _ := handled.snapshot()
	inOrder(t, "drained", got)
	if len(got) != n {
		t.Errorf("handled %d of %d queued messages", len(got), n)
	}
}

func checkBadSubjects(t *testing.T, dial dialer) {
	c := dial("c")
	h := func(*Msg) {}
	wantErr(t, "publish empty", c.Publish("", nil), nats.ErrBadSubject)
	wantErr(t, "publish space", c.Publish("a b", nil), nats.ErrBadSubject)
	wantErr(t, "publish bad reply", c.PublishRequest("a", "r r", nil), nats.ErrBadSubject)
	for _, subj := range []string{"", "a b", "a..b", ".a", "a."} {
		if _, err := c.Subscribe(subj, "", h); err == nil {
			t.Errorf("subscribe %q: no error", subj)
		}
	}
	_, err := c.Subscribe("a", "q q", h)
	wantErr(t, "queue name with space", err, nats.ErrBadQueueName)
	_, err = c.Subscribe("a", "", nil)
	wantErr(t, "nil handler", err, nats.ErrBadSubscription)
}
