package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"
)

// echoResponders is the number of subscriptions in the responder's queue
// group: each has its own delivery goroutine, so replies are not
// serialized behind one callback.
const echoResponders = 4

// echo is plain NATS request-reply with a value-sized reply: the ceiling
// any service on these NATS servers can reach. kvbench answers the
// requests itself, on a connection to a different server than the
// requesters use (when there are several), so that every request crosses
// a route as most quorumkv requests do.
type echo struct {
	responder *nats.Conn
	conns     []*nats.Conn
	rr        roundRobin
	subject   string
	timeout   time.Duration
}

func openEcho(ctx context.Context, cfg *Config) (target, []string, error) {
	respURL, reqServers := cfg.Servers[0], cfg.Servers
	if len(cfg.Servers) > 1 {
		respURL = cfg.Servers[1]
		reqServers = append([]string{cfg.Servers[0]}, cfg.Servers[2:]...)
	}
	e := &echo{subject: "kvbench.echo." + nuid.Next(), timeout: cfg.Timeout}
	if err := e.startResponders(respURL, cfg.ValueSize); err != nil {
		e.Close()
		return nil, nil, err
	}
	conns := cfg.Conns
	if conns == len(cfg.Servers) {
		conns = len(reqServers)
	}
	var err error
	if e.conns, err = dialAll(connURLs(reqServers, conns)); err != nil {
		e.Close()
		return nil, nil, err
	}
	if err := e.awaitInterest(ctx); err != nil {
		e.Close()
		return nil, nil, err
	}
	notes := []string{
		fmt.Sprintf("echo: plain NATS request-reply; %d responders (queue group) on %s, %d requester connections over %s",
			echoResponders, respURL, len(e.conns), strings.Join(reqServers, ",")),
		fmt.Sprintf("request: the value (update) or the key (read); reply: %d bytes", cfg.ValueSize),
	}
	return e, notes, nil
}

// startResponders connects the responder to url and subscribes its queue
// group, which answers every request with valueSize bytes.
func (e *echo) startResponders(url string, valueSize int) error {
	var err error
	if e.responder, err = nats.Connect(url, nats.Name("kvbench-echo-responder")); err != nil {
		return fmt.Errorf("connect to %s: %w", url, err)
	}
	reply := make([]byte, valueSize)
	for range echoResponders {
		_, err := e.responder.QueueSubscribe(e.subject, "kvbench-echo", func(m *nats.Msg) {
			_ = m.Respond(reply)
		})
		if err != nil {
			return err
		}
	}
	return e.responder.Flush()
}

// awaitInterest waits until the responders' subscription has reached the
// requesters' servers: until then requests fail with "no responders".
func (e *echo) awaitInterest(ctx context.Context) error {
	deadline := time.Now().Add(10 * time.Second)
	for _, nc := range e.conns {
		for {
			_, err := nc.Request(e.subject, nil, time.Second)
			if err == nil {
				break
			}
			if !errors.Is(err, nats.ErrNoResponders) || time.Now().After(deadline) {
				return fmt.Errorf("echo responder unreachable from %s: %w", nc.ConnectedUrl(), err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	return nil
}

func (e *echo) conn() *nats.Conn { return e.conns[e.rr.pick(len(e.conns))] }

func (e *echo) Put(_ context.Context, _ string, val []byte) error {
	_, err := e.conn().Request(e.subject, val, e.timeout)
	return err
}

func (e *echo) Get(_ context.Context, key string) error {
	_, err := e.conn().Request(e.subject, []byte(key), e.timeout)
	return err
}

func (e *echo) Close() {
	for _, nc := range e.conns {
		nc.Close()
	}
	if e.responder != nil {
		e.responder.Close()
	}
}
