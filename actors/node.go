package actors

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/quorumkv/quorumkv/members"
	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/ring"
	"github.com/quorumkv/quorumkv/storage"
	"github.com/quorumkv/quorumkv/transport"
)

// Node is one quorumkv node: storage, NATS, the actor system and the
// subscriptions that connect them.
type Node struct {
	cfg        Config
	id         string
	incarn     uint64
	actor      string // the id this node's dots are issued under (identity.Actor)
	log        *slog.Logger
	db         *storage.DB
	ns         *namespaceTable
	natsSrv    *server.Server
	natsUser   *internalUser
	dispatch   *warmDispatcher
	coordHosts *coordHosts    // the node's own credential on natsSrv (nil: open server)
	conn       transport.Conn // every message in or out: NATS, or memory in tests
	system     *actor.ActorSystem
	parts      []*actor.PID
	placement  ring.Placement    // how keys map to partitions, from the data dir
	partActors []*partitionActor // the actors behind parts, for cachedRead
	router     *replicaRouter
	clock      hybridClock
	metrics    *metrics
	view       atomic.Pointer[clusterView]
	hints      atomic.Pointer[hintIndex] // undelivered hints across the cluster, from gossip
	// ownHints is this node's hint summary, which its gossip carries;
	// hintSummary keeps it.
	ownHints    atomic.Pointer[[]*messages.HintSummary]
	hintSummary *hintSummary
	members     *actor.PID
	coord       *coordEnv  // what coordinators use of the node
	handoff     *actor.PID // delivers the hints this node holds
	repair      *actor.PID // anti-entropy and tombstone reaping
	httpSrv     *http.Server
	ready       atomic.Bool // set once the node serves requests; /healthz reports it
	// ringState is this node's state in the ring at start; the membership
	// actor owns it from then on, and keeps state current for readers.
	ringState ringState
	state     atomic.Uint32 // members.State
	// viewChanged is signalled (without blocking) on every new view.
	viewChanged chan struct{}
	transfers   *transferManager

	subs      []transport.Subscription
	stopOnce  sync.Once
	quit      chan struct{}
	wg        sync.WaitGroup
	writes    sync.WaitGroup // partition writes waiting for their fsync
	fatal     chan error
	warnedMu  sync.Mutex
	warnedFew map[string]bool
}

// Start opens the data dir, starts NATS (embedded or external), spawns the
// actors and begins serving. On error everything started is stopped again.
func Start(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: cfg.Logger, metrics: newMetrics(), quit: make(chan struct{}), clock: hybridClock{wall: cfg.WallClock},
		fatal: make(chan error, 1), warnedFew: map[string]bool{}, viewChanged: make(chan struct{}, 1)}
	if err := n.start(); err != nil {
		n.shutdown()
		return nil, err
	}
	n.ready.Store(true)
	n.log.Info("node started", "incarnation", n.incarn, "partitions", cfg.Partitions,
		"nats", n.ClientURL(), "data", cfg.DataDir, "sync", cfg.Sync.String())
	return n, nil
}

func (n *Node) start() error {
	if err := n.openStorage(); err != nil {
		return err
	}
	if err := n.startNATS(); err != nil {
		return err
	}
	n.startActors()
	if err := n.subscribe(); err != nil {
		return err
	}
	return n.startHTTP()
}

func (n *Node) openStorage() error {
	db, err := storage.Open(n.cfg.DataDir, storage.Options{Partitions: n.cfg.Partitions, Placement: n.cfg.Placement, Sync: n.cfg.Sync, FS: n.cfg.FS,
		Logger: n.log.With("lib", "pebble")})
	if err != nil {
		return fmt.Errorf("open data dir %s: %w", n.cfg.DataDir, err)
	}
	n.db = db
	n.placement = ring.Placement(db.Placement())
	n.metrics.registry.MustRegister(newEngineCollector(db.Metrics))
	ident, err := loadIdentity(db, n.cfg.Name)
	if err != nil {
		return err
	}
	n.id, n.incarn, n.actor, n.cfg.Name = ident.ID, ident.Incarnation, ident.Actor, ident.ID
	n.log = n.log.With("node", n.id)
	if n.ringState, err = loadRingState(db, ident.Incarnation == 1, len(n.cfg.Join) > 0); err != nil {
		return err
	}
	n.state.Store(uint32(n.ringState.State))
	n.ns, err = loadNamespaces(db)
	return err
}

func (n *Node) startNATS() error {
	if n.cfg.Transport != nil {
		n.conn = n.cfg.Transport
		return nil
	}
	if n.cfg.NATSURL == "" {
		s, self, err := startEmbeddedNATS(&n.cfg)
		if err != nil {
			return err
		}
		n.natsSrv, n.natsUser = s, self
	}
	nc, err := connectNATS(&n.cfg, n.natsSrv, n.natsUser)
	if err != nil {
		return fmt.Errorf("connect to nats: %w", err)
	}
	n.conn = transport.OverNATS(nc)
	return nil
}

func (n *Node) startActors() {
	actorLog := n.log.With("lib", "protoactor")
	n.dispatch = newWarmDispatcher(dispatchWorkers, dispatchThroughput)
	n.system = actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return actorLog }),
		actor.WithDeadLetterRequestLogging(false))
	n.hintSummary = &hintSummary{publish: func(s []*messages.HintSummary) { n.ownHints.Store(&s); n.setHints(n.id, s) }}
	n.parts = make([]*actor.PID, n.cfg.Partitions)
	n.partActors = make([]*partitionActor, n.cfg.Partitions)
	var started sync.WaitGroup
	started.Add(n.cfg.Partitions)
	servePace := &pacer{rate: n.cfg.HandoffRate, quit: n.quit}
	for p := range n.parts {
		pa := &partitionActor{id: p, actor: n.actor, db: n.db, clock: &n.clock, maxContext: n.cfg.MaxContextEntries,
			log: n.log, metrics: n.metrics, writes: &n.writes,
			durable: n.cfg.Sync == storage.SyncAlways, fatal: n.failFatal, noteHint: n.hintSummary.note,
			started: started.Done, scanPace: servePace}
		if n.cfg.RecordCacheBytes > 0 {
			pa.cache = newRecordCache(n.cfg.RecordCacheBytes / n.cfg.Partitions)
		}
		n.partActors[p] = pa
		n.parts[p] = n.system.Root.Spawn(n.props(func() actor.Actor { return pa }))
	}
	// Serve only once every partition has built its Merkle trees and
	// counted its hints: the record and hint gauges are right from the
	// first scrape, and anti-entropy never compares a tree half built.
	started.Wait()
	n.router = newReplicaRouter(n.id, n.system.Root, n.parts, n.conn, n.cfg.ReplicaTimeout, int(n.cfg.maxPayload()), n.quit, n.goTracked, n.metrics.links)
	self := n.selfInfo()
	self.State, self.Ready = n.ringState.State, n.ringState.Ready
	n.setView(newClusterView(n.cfg.Partitions, []members.Member{self}, nil, n.ns.maxN()))
	n.members = n.system.Root.Spawn(n.props(func() actor.Actor { return newMembershipActor(n) }))
	n.coordHosts = newCoordHosts(n.system.Root, n.props)
	n.coord = &coordEnv{self: n.id, router: n.router, targets: n.targets,
		hintHolders: n.hintHolders, respond: n.respond, metrics: n.metrics, log: n.log,
		readCached: func(p int, ns, key string) (replicaResult, bool) { return n.partActors[p].cachedRead(ns, key) }}
	n.spawnHealing()
	n.transfers = newTransferManager(n.healEnv(), n.viewChanged,
		func(p int) { n.system.Root.Send(n.members, &readyNote{partition: p}) })
	n.goTracked(n.transfers.run)
	n.goTracked(n.expireLoop)
}

// goTracked runs f on a goroutine that Stop waits for.
func (n *Node) goTracked(f func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
}

// expireLoop fails remote replica calls whose reply never came.
func (n *Node) expireLoop() {
	t := time.NewTicker(n.cfg.ReplicaTimeout / 4)
	defer t.Stop()
	for {
		select {
		case <-n.quit:
			return
		case now := <-t.C:
			n.router.expire(now)
		}
	}
}

// ID is the node's id.
func (n *Node) ID() string { return n.id }

// ClientURL is where NATS clients reach this node.
func (n *Node) ClientURL() string {
	if n.natsSrv != nil {
		return n.natsSrv.ClientURL()
	}
	return n.cfg.NATSURL
}

// Fatal delivers an error that forces the node to stop (for instance a
// cluster whose partition count differs from this node's).
func (n *Node) Fatal() <-chan error { return n.fatal }

func (n *Node) failFatal(err error) {
	select {
	case n.fatal <- err:
	default:
	}
}

// Stop stops serving, waits for in-flight actors, and closes NATS and the
// data dir. It is safe to call more than once.
func (n *Node) Stop() error {
	var err error
	n.stopOnce.Do(func() { err = n.shutdown() })
	return err
}

func (n *Node) shutdown() error {
	close(n.quit)
	if n.httpSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = n.httpSrv.Shutdown(ctx)
		cancel()
	}
	for _, s := range n.subs {
		_ = s.Unsubscribe()
	}
	n.stopActors()
	n.wg.Wait()
	if n.conn != nil {
		n.conn.Close()
	}
	if n.natsSrv != nil {
		n.natsSrv.Shutdown()
		n.natsSrv.WaitForShutdown()
	}
	var err error
	if n.db != nil {
		err = n.db.Close()
	}
	n.log.Info("node stopped")
	return err
}

// stopActors poisons every long-lived actor, so queued writes are applied
// before storage closes. ActorSystem.Shutdown alone stops nothing.
func (n *Node) stopActors() {
	if n.system == nil {
		return
	}
	var futures []*actor.Future
	for _, pid := range []*actor.PID{n.members, n.handoff, n.repair} {
		if pid != nil {
			futures = append(futures, n.system.Root.PoisonFuture(pid))
		}
	}
	for _, pid := range n.parts {
		futures = append(futures, n.system.Root.PoisonFuture(pid))
	}
	for _, f := range futures {
		_ = f.Wait()
	}
	n.writes.Wait() // replies of writes whose fsync was in flight
	n.system.Shutdown()
	n.dispatch.stop()
}

// props makes the props of the node's actors: each runs on the node's
// warm dispatcher.
func (n *Node) props(producer actor.Producer) *actor.Props {
	return actor.PropsFromProducer(producer, actor.WithDispatcher(n.dispatch))
}
