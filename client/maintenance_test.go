package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/messages"
)

// fakeClock is the wall-clock time of every timestamp the fake's admin
// answers carry.
var fakeClock = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// The fake's admin nodes. n1 and n2 answer like the up members of the
// fake's status; slow answers after adminDelay, hang never, and broken
// with ERROR_CODE_INTERNAL.
const adminDelay = 300 * time.Millisecond

var adminNodes = []string{"n1", "n2", "slow", "hang", "broken"}

// fakeHints is what each fake holder keeps: hints for n3, which is down.
var fakeHints = map[string]*messages.HintsResponse{
	"n1": {Node: "n1", Delivered: 40, Dropped: 1, Targets: []*messages.HintTargetStatus{
		{Target: "n3", Count: 12, Bytes: 3456, OldestUnixNano: fakeClock.UnixNano()},
	}},
	"n2": {Node: "n2", Delivered: 7, Targets: []*messages.HintTargetStatus{
		{Target: "n3", Count: 8, Bytes: 2048, OldestUnixNano: fakeClock.Add(time.Minute).UnixNano()},
		{Target: "n4", Count: 1, Bytes: 100, TargetUp: true},
	}},
}

// serveAdmin subscribes the fake's admin nodes to their admin subjects.
func (f *fakeNode) serveAdmin() error {
	for _, node := range adminNodes {
		handlers := map[string]nats.MsgHandler{
			messages.AdminHints:       func(m *nats.Msg) { f.onHints(node, m) },
			messages.AdminHintsDrain:  func(m *nats.Msg) { f.onHintsDrain(node, m) },
			messages.AdminRepairState: func(m *nats.Msg) { f.onRepairStatus(node, m) },
			messages.AdminRepairNow:   func(m *nats.Msg) { f.onRepairNow(node, m) },
		}
		for op, h := range handlers {
			if _, err := f.nc.Subscribe(messages.AdminNodeSubject(node, op), h); err != nil {
				return err
			}
		}
	}
	return nil
}

// adminSteer handles the steering nodes; it reports true when it has dealt
// with the request. slow answers from a goroutine, so that it holds up no
// other request.
func adminSteer(node string, m *nats.Msg, resp func(*messages.Error) proto.Message, answer func()) bool {
	switch node {
	case "hang":
		return true
	case "broken":
		respond(m, resp(&messages.Error{Code: messages.ErrorCode_ERROR_CODE_INTERNAL, Message: "disk on fire"}))
		return true
	case "slow":
		time.AfterFunc(adminDelay, answer)
		return true
	}
	return false
}

func (f *fakeNode) onHints(node string, m *nats.Msg) {
	errResp := func(e *messages.Error) proto.Message { return &messages.HintsResponse{Error: e} }
	if !f.take(m, new(messages.HintsRequest), errResp) {
		return
	}
	answer := func() {
		resp, ok := fakeHints[node]
		if !ok {
			resp = &messages.HintsResponse{Node: node}
		}
		respond(m, resp)
	}
	if !adminSteer(node, m, errResp, answer) {
		answer()
	}
}

func (f *fakeNode) onHintsDrain(node string, m *nats.Msg) {
	errResp := func(e *messages.Error) proto.Message { return &messages.HintsDrainResponse{Error: e} }
	req := new(messages.HintsDrainRequest)
	if !f.take(m, req, errResp) {
		return
	}
	answer := func() {
		// Everything for the target is delivered but what is for n4, which
		// stays: a target that is down in this story.
		resp := &messages.HintsDrainResponse{}
		for _, t := range fakeHints[node].GetTargets() {
			if req.Target == "" || req.Target == t.Target {
				if t.Target == "n4" {
					resp.Remaining += t.Count
				} else {
					resp.Delivered += t.Count
				}
			}
		}
		respond(m, resp)
	}
	if !adminSteer(node, m, errResp, answer) {
		answer()
	}
}

func (f *fakeNode) onRepairStatus(node string, m *nats.Msg) {
	errResp := func(e *messages.Error) proto.Message { return &messages.RepairStatusResponse{Error: e} }
	if !f.take(m, new(messages.RepairStatusRequest), errResp) {
		return
	}
	answer := func() {
		respond(m, &messages.RepairStatusResponse{
			Node: node, Exchanges: 512, KeysRepaired: 3, TombstonesReaped: 2,
			Partitions: []*messages.PartitionRepair{
				{Partition: 0, Namespace: "default", LastExchangeUnixNano: fakeClock.UnixNano(), LastPeer: "n2",
					KeysRepaired: 3, TreeBuiltUnixNano: fakeClock.Add(-time.Minute).UnixNano(), Records: 120},
				{Partition: 1, Namespace: "default", LastError: "n3: no responders"},
			},
		})
	}
	if !adminSteer(node, m, errResp, answer) {
		answer()
	}
}

func (f *fakeNode) onRepairNow(node string, m *nats.Msg) {
	errResp := func(e *messages.Error) proto.Message { return &messages.RepairNowResponse{Error: e} }
	req := new(messages.RepairNowRequest)
	if !f.take(m, req, errResp) {
		return
	}
	answer := func() {
		// Two peers per tree, one namespace: two exchanges a partition.
		resp := &messages.RepairNowResponse{Exchanges: 2, KeysRepaired: 1}
		if req.All {
			resp.Exchanges, resp.KeysRepaired = 512, 5
		}
		respond(m, resp)
	}
	if !adminSteer(node, m, errResp, answer) {
		answer()
	}
}

func TestHints(t *testing.T) {
	c := connect(t, newFake(t))
	r, err := c.Hints(context.Background(), "n2")
	if err != nil {
		t.Fatal(err)
	}
	want := client.HintsReport{Node: "n2", Delivered: 7, Targets: []client.HintTarget{
		{Target: "n3", Count: 8, Bytes: 2048, Oldest: fakeClock.Add(time.Minute)},
		{Target: "n4", Count: 1, Bytes: 100, TargetUp: true},
	}}
	if r.Node != want.Node || r.Delivered != want.Delivered || r.Dropped != 0 || len(r.Targets) != 2 {
		t.Fatalf("Hints = %+v, want %+v", r, want)
	}
	for i, tg := range r.Targets {
		w := want.Targets[i]
		if tg.Target != w.Target || tg.Count != w.Count || tg.Bytes != w.Bytes || !tg.Oldest.Equal(w.Oldest) ||
			tg.Oldest.IsZero() != w.Oldest.IsZero() || tg.TargetUp != w.TargetUp {
			t.Errorf("target %d = %+v, want %+v", i, tg, w)
		}
	}
	// A holder with nothing answers an empty list, not an error.
	r, err = c.Hints(context.Background(), "slow")
	if err != nil || r.Node != "slow" || len(r.Targets) != 0 {
		t.Fatalf("Hints(slow) = %+v, %v", r, err)
	}
}

func TestDrainHints(t *testing.T) {
	f := newFake(t)
	c := connect(t, f)
	for _, tt := range []struct {
		target               string
		delivered, remaining uint64
	}{{"n3", 8, 0}, {"n4", 0, 1}, {"", 8, 1}} {
		delivered, remaining, err := c.DrainHints(context.Background(), "n2", tt.target)
		if err != nil || delivered != tt.delivered || remaining != tt.remaining {
			t.Errorf("DrainHints(n2, %q) = %d, %d, %v; want %d, %d", tt.target, delivered, remaining, err,
				tt.delivered, tt.remaining)
		}
		req := lastRequest[*messages.HintsDrainRequest](f, messages.AdminNodeSubject("n2", messages.AdminHintsDrain))
		if req.GetTarget() != tt.target {
			t.Errorf("request target = %q, want %q", req.GetTarget(), tt.target)
		}
	}
}

func TestRepairStatus(t *testing.T) {
	c := connect(t, newFake(t))
	r, err := c.RepairStatus(context.Background(), "n1")
	if err != nil {
		t.Fatal(err)
	}
	if r.Node != "n1" || r.Exchanges != 512 || r.KeysRepaired != 3 || r.TombstonesReaped != 2 || len(r.Partitions) != 2 {
		t.Fatalf("RepairStatus = %+v", r)
	}
	p := r.Partitions[0]
	if p.Partition != 0 || p.Namespace != "default" || !p.LastExchange.Equal(fakeClock) || p.LastPeer != "n2" ||
		p.KeysRepaired != 3 || !p.TreeBuilt.Equal(fakeClock.Add(-time.Minute)) || p.Records != 120 || p.LastError != "" {
		t.Errorf("partition 0 = %+v", p)
	}
	if p := r.Partitions[1]; p.Partition != 1 || !p.LastExchange.IsZero() || !p.TreeBuilt.IsZero() ||
		p.LastError != "n3: no responders" {
		t.Errorf("partition 1 = %+v; want zero times for zero timestamps", p)
	}
}

func TestRepairNow(t *testing.T) {
	f := newFake(t)
	c := connect(t, f)
	subject := messages.AdminNodeSubject("n1", messages.AdminRepairNow)
	for _, tt := range []struct {
		partition int
		req       *messages.RepairNowRequest
		exchanges int
		keys      uint64
	}{
		{7, &messages.RepairNowRequest{Partition: 7}, 2, 1},
		{0, &messages.RepairNowRequest{Partition: 0}, 2, 1},
		{-1, &messages.RepairNowRequest{All: true}, 512, 5},
	} {
		exchanges, keys, err := c.RepairNow(context.Background(), "n1", tt.partition)
		if err != nil || exchanges != tt.exchanges || keys != tt.keys {
			t.Errorf("RepairNow(n1, %d) = %d, %d, %v; want %d, %d", tt.partition, exchanges, keys, err, tt.exchanges, tt.keys)
		}
		if req := lastRequest[*messages.RepairNowRequest](f, subject); !proto.Equal(req, tt.req) {
			t.Errorf("RepairNow(n1, %d) sent %v, want %v", tt.partition, req, tt.req)
		}
	}
}

func TestMaintenanceInvalidWithoutNetwork(t *testing.T) {
	f := newFake(t)
	c := connect(t, f)
	bg := context.Background()
	tests := map[string]func() error{
		"empty node":         func() error { _, err := c.Hints(bg, ""); return err },
		"wildcard node":      func() error { _, err := c.RepairStatus(bg, "*"); return err },
		"dotted node":        func() error { _, _, err := c.RepairNow(bg, "n1.x", 0); return err },
		"full wildcard":      func() error { _, _, err := c.DrainHints(bg, ">", "n3"); return err },
		"bad target":         func() error { _, _, err := c.DrainHints(bg, "n1", "n3.>"); return err },
		"partition below -1": func() error { _, _, err := c.RepairNow(bg, "n1", -2); return err },
	}
	for name, call := range tests {
		t.Run(name, func(t *testing.T) {
			err := call()
			var e *client.Error
			if !errors.Is(err, client.ErrInvalidArgument) || !errors.As(err, &e) ||
				e.Code != messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT {
				t.Fatalf("err = %v, want ErrInvalidArgument", err)
			}
		})
	}
	var nilCtx context.Context
	if _, err := c.Hints(nilCtx, "n1"); !errors.Is(err, client.ErrInvalidArgument) {
		t.Errorf("nil ctx: err = %v", err)
	}
	if n := f.requestCount(); n != 0 {
		t.Fatalf("the fake saw %d requests, want none", n)
	}
}

func TestMaintenanceErrors(t *testing.T) {
	c := connect(t, newFake(t))
	bg := context.Background()

	// A node that is down (or runs no node at all) serves no admin subject.
	_, err := c.Hints(bg, "n3")
	if !errors.Is(err, client.ErrNoServers) || !strings.Contains(err.Error(), "kv.admin.node.n3.hints") {
		t.Fatalf("Hints(n3) err = %v, want ErrNoServers naming the subject", err)
	}
	// The node's own failure keeps its code and message.
	_, _, err = c.RepairNow(bg, "broken", -1)
	var e *client.Error
	if !errors.Is(err, client.ErrInternal) || !errors.As(err, &e) || e.Message != "disk on fire" {
		t.Fatalf("RepairNow(broken) err = %v, want the node's ERROR_CODE_INTERNAL", err)
	}
	if _, err := c.RepairStatus(bg, "broken"); !errors.Is(err, client.ErrInternal) {
		t.Fatalf("RepairStatus(broken) err = %v", err)
	}
	if _, _, err := c.DrainHints(bg, "broken", ""); !errors.Is(err, client.ErrInternal) {
		t.Fatalf("DrainHints(broken) err = %v", err)
	}
	cancelled, cancel := context.WithCancel(bg)
	cancel()
	if _, err := c.Hints(cancelled, "n1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hints with a cancelled ctx: err = %v", err)
	}
}

// DrainHints and RepairNow wait for the work, not for the client's default
// timeout; reads do not.
func TestMaintenanceWorkOutlastsTheDefaultTimeout(t *testing.T) {
	c := connect(t, newFake(t), client.WithDefaultTimeout(50*time.Millisecond))
	bg := context.Background()
	if _, err := c.Hints(bg, "slow"); !errors.Is(err, client.ErrTimeout) {
		t.Fatalf("Hints(slow) err = %v, want ErrTimeout after the default timeout", err)
	}
	if _, _, err := c.DrainHints(bg, "slow", "n3"); err != nil {
		t.Fatalf("DrainHints(slow): %v", err)
	}
	if n, _, err := c.RepairNow(bg, "slow", 3); err != nil || n != 2 {
		t.Fatalf("RepairNow(slow) = %d, %v", n, err)
	}
}

func TestMaintenanceWorkBoundedByCtx(t *testing.T) {
	c := connect(t, newFake(t))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := c.RepairNow(ctx, "hang", -1)
	if !errors.Is(err, client.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrTimeout and DeadlineExceeded", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("waited %v for a 100ms ctx", waited)
	}
}

// Hints is asked of each member in turn: every node answers for itself.
