package actors

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/storage"
)

// healEnv is what the handoff and repair actors use of their node: replica
// calls, storage, the cluster view and namespaces, and their budgets. They
// get this, not the Node.
type healEnv struct {
	self    string
	cfg     *Config
	db      *storage.DB
	router  *replicaRouter
	view    func() *clusterView
	ns      *namespaceTable
	metrics *metrics
	log     *slog.Logger
	quit    <-chan struct{}
	// spawn runs a goroutine that node shutdown waits for.
	spawn func(func())
}

// errStopping ends background work when the node shuts down.
var errStopping = errors.New("node is stopping")

// call makes one replica call and waits for its outcome, or for shutdown
// (a call to a partition actor that has stopped never completes). For the
// background work of healing only: coordinators never block.
func (e *healEnv) call(node string, c *replicaCall) replicaResult {
	ch := make(chan replicaResult, 1)
	c.done = func(r replicaResult) { ch <- r }
	e.router.call(node, c)
	select {
	case r := <-ch:
		return r
	case <-e.quit:
		return replicaResult{err: errStopping}
	}
}

// mode is a namespace's conflict mode (siblings for one not known here).
func (e *healEnv) mode(ns string) messages.ConflictMode {
	if def, ok := e.ns.get(ns); ok {
		return def.Mode
	}
	return messages.ConflictMode_CONFLICT_MODE_SIBLINGS
}

// pacer spaces work out to a rate in units per second: wait(n) returns
// once n more units fit the budget, or false on shutdown. Safe for
// concurrent use.
type pacer struct {
	rate int
	quit <-chan struct{}

	mu   sync.Mutex
	next time.Time // when the budget spent so far is paid off
}

func (p *pacer) wait(n int) bool {
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	p.next = p.next.Add(time.Duration(float64(n) / float64(p.rate) * float64(time.Second)))
	d := p.next.Sub(now)
	p.mu.Unlock()
	if d < time.Millisecond {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.quit:
		return false
	}
}
