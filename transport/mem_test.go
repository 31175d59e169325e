package transport

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// subjectMatches is what routing does with a subscription and a subject.
func subjectMatches(t *testing.T, pattern, subject string) bool {
	t.Helper()
	p, err := parsePattern(pattern)
	if err != nil {
		t.Fatalf("pattern %q: %v", pattern, err)
	}
	tokens, ok := literalTokens(subject)
	return ok && matchTokens(p, tokens)
}

func TestSubjectMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, subject string
		want             bool
	}{
		{"a", "a", true},
		{"a", "b", false},
		{"a", "a.b", false},
		{"a.b", "a", false},
		{"a", "A", false},
		{"a.>", "a", false}, // ">" needs one token or more
		{"a.>", "a.b", true},
		{"a.>", "a.b.c", true},
		{"a.>", "b.a", false},
		{">", "a", true},
		{">", "a.b.c", true},
		{"*", "a", true},
		{"*", "a.b", false},
		{"*.b", "a.b", true},
		{"*.b", "b", false},
		{"*.b", "a.b.c", false},
		{"*.b", "a.c", false},
		{"a.*", "a", false},
		{"a.*", "a.b.c", false},
		{"*.*", "a.b", true},
		{"a.*.>", "a.b", false},
		{"a.*.>", "a.b.c", true},
		{"a.*.c", "a.b.c", true},
		{"a.*.c", "a.b.b.c", false},
		{"a*", "ab", false}, // a wildcard only as a whole token
		{"a*", "a*", true},
		{"b>", "b.c", false},
		{"a.b", "a.*", false}, // a published subject is literal
		{"a.*", "a.*", true},
		{"a.>", "a.>", true},
		{">", "a..b", false}, // an empty token reaches nobody
		{">", ".a", false},
		{">", "a.", false},
		{"*", "", false},
	} {
		if got := subjectMatches(t, tc.pattern, tc.subject); got != tc.want {
			t.Errorf("%q matches %q: got %v, want %v", tc.pattern, tc.subject, got, tc.want)
		}
	}
}

func TestParsePattern(t *testing.T) {
	for _, tc := range []struct {
		subject string
		want    error
	}{
		{"a", nil},
		{"a.b.c", nil},
		{"*", nil},
		{">", nil},
		{"a.*.>", nil},
		{"a*.b>", nil},
		{"_INBOX.abc.*", nil},
		{"", errEmptySubject},
		{"a b", nats.ErrBadSubject},
		{"a\tb", nats.ErrBadSubject},
		{"a..b", nats.ErrBadSubject},
		{".a", nats.ErrBadSubject},
		{"a.", nats.ErrBadSubject},
		{"a.>.b", nats.ErrBadSubject}, // ">" only last
		{">.a", nats.ErrBadSubject},
	} {
		if _, err := parsePattern(tc.subject); !errors.Is(err, tc.want) {
			t.Errorf("%q: got %v, want %v", tc.subject, err, tc.want)
		}
	}
}

// counter counts handled messages and lets a test wait for a count.
type counter struct {
	mu   sync.Mutex
	n    uint64
	bump chan struct{}
}

func newCounter() *counter { return &counter{bump: make(chan struct{})} }

func (c *counter) handle(*Msg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	close(c.bump)
	c.bump = make(chan struct{})
}

// reach waits until the count equals want(), which may change meanwhile.
func (c *counter) reach(t *testing.T, want func() uint64) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		n, bump := c.n, c.bump
		c.mu.Unlock()
		w := want()
		if n == w {
			return
		}
		select {
		case <-bump:
		case <-deadline.C:
			t.Fatalf("count %d, want %d", n, w)
		}
	}
}

// endpoints makes named endpoints of net, closed at the test's end.
func endpoints(t *testing.T, net *MemNet, names ...string) []*MemConn {
	out := make([]*MemConn, len(names))
	for i, name := range names {
		out[i] = net.Endpoint(name)
		t.Cleanup(out[i].Close)
	}
	return out
}

// queueAssignment sends n messages to a group of members and returns
// which member got each.
func queueAssignment(t *testing.T, seed uint64, n, members int) []int {
	net := NewMemNet(seed)
	pub := endpoints(t, net, "pub")[0]
	k := newCatcher()
	for i := range members {
		c := endpoints(t, net, fmt.Sprint("m", i))[0]
		subscribe(t, c, "q", "g", memberTag(k, i))
	}
	for i := range n {
		must(t, pub.Publish("q", []byte(strconv.Itoa(i))))
	}
	got := k.count(t, n)
	out := make([]int, n)
	for _, m := range got {
		i, _ := strconv.Atoi(string(m.Data))
		out[i], _ = strconv.Atoi(m.Header.Get("Member"))
	}
	return out
}

func TestMemQueueSpreadIsSeeded(t *testing.T) {
	const n, members = 3000, 3
	first := queueAssignment(t, 7, n, members)
	if again := queueAssignment(t, 7, n, members); !slices.Equal(first, again) {
		t.Error("the same seed spread the messages differently")
	}
	if other := queueAssignment(t, 8, n, members); slices.Equal(first, other) {
		t.Error("another seed spread the messages the same way")
	}
	per := make([]int, members)
	for _, m := range first {
		per[m]++
	}
	for i, c := range per {
		if c < n/members*8/10 || c > n/members*12/10 {
			t.Errorf("member %d got %d of %d: %v", i, c, n, per)
		}
	}
}

// reaches reports whether a message from "from" to "to" arrives. A
// marker the receiver sends itself (never faulted) follows the probe:
// with no delay, messages are queued in publish order, so the marker's
// arrival settles whether the probe came.
func reaches(t *testing.T, net *MemNet, from, to string) bool {
	t.Helper()
	src, dst := net.Endpoint(from), net.Endpoint(to)
	defer src.Close()
	defer dst.Close()
	k := newCatcher()
	subscribe(t, dst, "probe", "", k.handle)
	must(t, src.Publish("probe", []byte("probe")))
	must(t, dst.Publish("probe", []byte("end")))
	return len(k.upTo(t, "end")) == 1
}

func TestMemCuts(t *testing.T) {
	type link struct {
		from, to string
		want     bool
	}
	for _, tc := range []struct {
		name  string
		fault func(*MemNet)
		links []link
	}{
		{"none", func(*MemNet) {}, []link{{"a", "b", true}}},
		{"cut", func(n *MemNet) { n.Cut("a", "b") },
			[]link{{"a", "b", false}, {"b", "a", false}, {"a", "c", true}, {"c", "b", true}, {"a", "a", true}}},
		{"heal either way round", func(n *MemNet) { n.Cut("a", "b"); n.Heal("b", "a") },
			[]link{{"a", "b", true}, {"b", "a", true}}},
		{"isolate", func(n *MemNet) { n.Isolate("a") },
			[]link{{"a", "b", false}, {"c", "a", false}, {"b", "c", true}, {"a", "a", true}, {"later", "a", false}}},
		{"heal does not undo isolate", func(n *MemNet) { n.Isolate("a"); n.Heal("a", "b") },
			[]link{{"a", "b", false}}},
		{"rejoin keeps cuts", func(n *MemNet) { n.Cut("a", "b"); n.Isolate("a"); n.Rejoin("a") },
			[]link{{"a", "b", false}, {"a", "c", true}}},
		{"partition", func(n *MemNet) { n.Partition([]string{"a", "b"}, []string{"c"}, []string{"d"}) },
			[]link{{"a", "b", true}, {"a", "c", false}, {"c", "b", false}, {"d", "c", false}, {"e", "a", true}}},
		{"heal all", func(n *MemNet) { n.Partition([]string{"a"}, []string{"b"}); n.Isolate("c"); n.HealAll() },
			[]link{{"a", "b", true}, {"c", "a", true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			net := NewMemNet(1)
			tc.fault(net)
			var cut uint64
			for _, l := range tc.links {
				if got := reaches(t, net, l.from, l.to); got != l.want {
					t.Errorf("%s -> %s: arrived %v, want %v", l.from, l.to, got, l.want)
				}
				if !l.want {
					cut++
				}
			}
			if s := net.Stats(); s.Cut != cut || s.Dropped != 0 {
				t.Errorf("stats %+v, want %d cut", s, cut)
			}
		})
	}
}

// TestMemCutIsSilent: a subscriber behind a cut still counts, so a
// request to it times out; only a closed endpoint means no responders.
func TestMemCutIsSilent(t *testing.T) {
	net := NewMemNet(1)
	eps := endpoints(t, net, "cli", "svc")
	cli, svc := eps[0], eps[1]
	subscribe(t, svc, "svc", "", func(m *Msg) { _ = svc.Publish(m.Reply, []byte("ok")) })

	net.Cut("cli", "svc")
	_, err := cli.Request("svc", nil, 50*time.Millisecond)
	wantErr(t, "request across a cut", err, ErrTimeout)

	net.Heal("cli", "svc")
	_, err = cli.Request("svc", nil, waitLimit)
	must(t, err)

	net.Cut("cli", "svc")
	svc.Close()
	_, err = cli.Request("svc", nil, waitLimit)
	wantErr(t, "request to a closed endpoint across a cut", err, ErrNoResponders)
	if s := net.Stats(); s.Cut != 1 || s.NoResponders != 1 {
		t.Errorf("stats %+v", s)
	}
}

// received sends n numbered messages from a to b and returns the numbers
// b got, in order.
func received(t *testing.T, net *MemNet, n int) []int {
	t.Helper()
	eps := endpoints(t, net, "a", "b")
	a, b := eps[0], eps[1]
	k := newCatcher()
	subscribe(t, b, "x", "", k.handle)
	for i := range n {
		must(t, a.Publish("x", []byte(strconv.Itoa(i))))
	}
	must(t, b.Publish("x", []byte("end")))
	var out []int
	for _, m := range k.upTo(t, "end") {
		i, _ := strconv.Atoi(string(m.Data))
		out = append(out, i)
	}
	return out
}

// within fails unless got is within 5 standard deviations of a binomial
// count of n trials with probability p.
func within(t *testing.T, what string, got uint64, n int, p float64) {
	t.Helper()
	mean := float64(n) * p
	slack := 5*math.Sqrt(mean*(1-p)) + 1
	if math.Abs(float64(got)-mean) > slack {
		t.Errorf("%s: %d, want %.0f ± %.0f", what, got, mean, slack)
	}
}

func TestMemDropAndDuplicate(t *testing.T) {
	const n = 2000
	for _, tc := range []struct{ drop, dup float64 }{
		{0.2, 0}, {0, 0.3}, {0.3, 0.3}, {1, 0}, {0, 1}, {0.05, 0.05},
	} {
		t.Run(fmt.Sprintf("drop %v dup %v", tc.drop, tc.dup), func(t *testing.T) {
			run := func() ([]int, MemStats) {
				net := NewMemNet(42)
				net.SetDrop(tc.drop)
				net.SetDuplicate(tc.dup)
				return received(t, net, n), net.Stats()
			}
			got, stats := run()
			if again, _ := run(); !slices.Equal(got, again) {
				t.Error("the same seed gave another run")
			}
			copies := map[int]int{}
			for i, v := range got {
				copies[v]++
				if i > 0 && v < got[i-1] {
					t.Fatalf("order broken at %d: %d after %d", i, v, got[i-1])
				}
				if copies[v] > 2 {
					t.Fatalf("%d came %d times", v, copies[v])
				}
			}
			lost, extra := uint64(n-len(copies)), uint64(len(got)-len(copies))
			if lost != stats.Dropped || extra != stats.Duplicated {
				t.Errorf("lost %d extra %d, stats %+v", lost, extra, stats)
			}
			within(t, "dropped", stats.Dropped, n, tc.drop)
			within(t, "duplicated", stats.Duplicated, n-int(stats.Dropped), tc.dup)
		})
	}
}

// TestMemSelfNeverFaulted: neither an endpoint's messages to itself nor
// those between endpoints sharing a name cross the faulty network; a
// cut applies to every endpoint of a name.
func TestMemSelfNeverFaulted(t *testing.T) {
	net := NewMemNet(1)
	net.SetDrop(1)
	net.SetDuplicate(1)
	net.SetDelay(time.Hour)
	eps := endpoints(t, net, "a", "a")
	a1, a2 := eps[0], eps[1]
	k := newCatcher()
	subscribe(t, a1, "x", "", k.handle)
	must(t, a1.Publish("x", []byte("self")))
	must(t, a2.Publish("x", []byte("same name")))
	must(t, a1.Publish("x", []byte("end")))
	if got := datas(k.upTo(t, "end")); !slices.Equal(got, []string{"self", "same name"}) {
		t.Errorf("got %q", got)
	}
	if s := net.Stats(); s.Dropped != 0 || s.Duplicated != 0 {
		t.Errorf("stats %+v", s)
	}

	net.SetDrop(0)
	net.SetDuplicate(0)
	net.SetDelay(0)
	net.Cut("a", "b")
	if reaches(t, net, "b", "a") {
		t.Error("a cut let a message reach another endpoint of the name")
	}
}

// TestMemDelay: delayed messages all land; Flush waits for the sender's;
// without delay the order comes back.
func TestMemDelay(t *testing.T) {
	const n = 200
	net := NewMemNet(3)
	eps := endpoints(t, net, "a", "b")
	a, b := eps[0], eps[1]
	k := newCatcher()
	subscribe(t, b, "x", "", k.handle)
	subscribe(t, b, "svc", "", func(m *Msg) { _ = b.Publish(m.Reply, []byte("ok")) })
	net.SetDelay(20 * time.Millisecond)
	for i := range n {
		must(t, a.Publish("x", []byte(strconv.Itoa(i))))
	}
	must(t, a.Flush())
	if s := net.Stats(); s.Delivered != n {
		t.Errorf("after Flush %d of %d delivered", s.Delivered, n)
	}
	got := k.count(t, n)
	seen := map[string]bool{}
	for _, m := range got {
		seen[string(m.Data)] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct of %d", len(seen), n)
	}
	resp, err := a.Request("svc", nil, waitLimit)
	if err != nil || string(resp.Data) != "ok" {
		t.Errorf("request under delay: %v", err)
	}

	net.SetDelay(0)
	must(t, b.Flush()) // b's delayed reply has landed
	k2 := newCatcher()
	subscribe(t, b, "y", "", k2.handle)
	for i := range n {
		must(t, a.Publish("y", []byte(strconv.Itoa(i))))
	}
	inOrder(t, "undelayed", k2.count(t, n))
}

// TestMemUnsubscribeDropsQueued: Unsubscribe lets the handler call under
// way finish and drops what is queued behind it.
func TestMemUnsubscribeDropsQueued(t *testing.T) {
	net := NewMemNet(1)
	c := endpoints(t, net, "c")[0]
	gate, started := make(chan struct{}), make(chan struct{})
	k := newCatcher()
	s, err := c.Subscribe("x", "", func(m *Msg) {
		if string(m.Data) == "0" {
			close(started)
			<-gate
		}
		k.handle(m)
	})
	must(t, err)
	for i := range 5 {
		must(t, c.Publish("x", []byte(strconv.Itoa(i))))
	}
	wait(t, "first handler call", started)
	must(t, s.Unsubscribe())
	close(gate)
	wait(t, "subscription goroutine", s.(*memSub).done)
	if got, _ := k.snapshot(); len(got) != 1 {
		t.Errorf("handled %d messages, want only the one under way", len(got))
	}
}

// TestMemRequestFailsOnClose: a Request waiting when its endpoint closes
// returns ErrClosed.
func TestMemRequestFailsOnClose(t *testing.T) {
	net := NewMemNet(1)
	eps := endpoints(t, net, "cli", "silent")
	cli, silent := eps[0], eps[1]
	k := newCatcher()
	subscribe(t, silent, "svc", "", k.handle)
	errc := make(chan error, 1)
	go func() {
		_, err := cli.Request("svc", nil, time.Hour)
		errc <- err
	}()
	k.count(t, 1) // the request is out, so Request is waiting
	cli.Close()
	select {
	case err := <-errc:
		wantErr(t, "request", err, ErrClosed)
	case <-time.After(waitLimit):
		t.Fatal("Request still waiting after Close")
	}
}

// TestMemCloseLetsHandlersReply: while Close drains, a handler can still
// answer the request it is handling, as during a NATS drain.
func TestMemCloseLetsHandlersReply(t *testing.T) {
	net := NewMemNet(1)
	eps := endpoints(t, net, "cli", "svc")
	cli, svc := eps[0], eps[1]
	gate, started := make(chan struct{}), make(chan struct{})
	subscribe(t, svc, "svc", "", func(m *Msg) {
		close(started)
		<-gate
		_ = svc.Publish(m.Reply, []byte("late"))
	})
	resp := make(chan *Msg, 1)
	go func() {
		m, _ := cli.Request("svc", nil, waitLimit)
		resp <- m
	}()
	wait(t, "handler", started)
	closed := make(chan struct{})
	go func() { svc.Close(); close(closed) }()
	close(gate)
	wait(t, "close", closed)
	if m := <-resp; m == nil || string(m.Data) != "late" {
		t.Errorf("got %v", m)
	}
}

// TestMemTrafficUnderChangingFaults runs publishers, requests and their
// replies, fault changes and a Close at once (for the race detector),
// then checks that every delivered message was handled. Replies go to
// plain subscriptions (PublishRequest) so that all deliveries are counted.
func TestMemTrafficUnderChangingFaults(t *testing.T) {
	const senders, perSender = 4, 300
	net := NewMemNet(9)
	handled := newCounter()
	var conns []*MemConn
	for i := range senders {
		c := endpoints(t, net, fmt.Sprint("n", i))[0]
		subscribe(t, c, "load.*", "", handled.handle)
		subscribe(t, c, fmt.Sprint("reply.", i), "", handled.handle)
		subscribe(t, c, "svc", "workers", func(m *Msg) {
			_ = c.Publish(m.Reply, nil)
			handled.handle(m)
		})
		conns = append(conns, c)
	}
	victim := endpoints(t, net, "victim")[0]
	subscribe(t, victim, "load.*", "", handled.handle)

	var stop atomic.Bool
	var faults, load sync.WaitGroup
	faults.Go(func() { changeFaults(net, &stop) })
	for i, c := range conns {
		load.Go(func() {
			for j := range perSender {
				if i == 0 && j == perSender/2 {
					victim.Close() // under traffic: its queue drains, nothing is lost
				}
				_ = c.Publish(fmt.Sprint("load.", i), []byte(strconv.Itoa(j)))
				if j%10 == 0 {
					_ = c.PublishRequest("svc", fmt.Sprint("reply.", i), nil)
				}
			}
		})
	}
	load.Wait()
	stop.Store(true)
	faults.Wait()
	for _, c := range conns {
		must(t, c.Flush())
	}
	handled.reach(t, func() uint64 { return net.Stats().Delivered })
}

// changeFaults keeps changing the faults until stop, going at least
// twice through them all.
func changeFaults(net *MemNet, stop *atomic.Bool) {
	for i := 0; i < 12 || !stop.Load(); i++ {
		switch i % 6 {
		case 0:
			net.Cut("n0", "n1")
		case 1:
			net.SetDrop(0.1)
			net.SetDuplicate(0.1)
		case 2:
			net.Isolate("n2")
			net.SetDelay(time.Millisecond)
		case 3:
			net.Heal("n0", "n1")
			net.Rejoin("n2")
		case 4:
			net.Partition([]string{"n0", "n2"}, []string{"n1", "n3"})
			net.SetDelay(0)
		case 5:
			net.HealAll()
			net.SetDrop(0)
			net.SetDuplicate(0)
		}
		_ = net.Stats()
	}
	net.HealAll()
	net.SetDelay(0)
}
