package actors

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/quorumkv/quorumkv/messages"
)

type (
	// repairTick starts a round unless a job is running.
	repairTick struct{}
	// repairSoon asks for an exchange of these partitions before the next
	// round (after dropped hints, or when a peer came back).
	repairSoon struct{ partitions []int }
	// repairNow runs an exchange at once and answers when it is done.
	repairNow struct {
		partitions []int // nil: all
		reply      chan *messages.RepairNowResponse
	}
	// repairTaskDone reports one (partition, namespace) task.
	repairTaskDone struct {
		key    treeKey
		status treeRepair
	}
	// repairJobDone ends a job.
	repairJobDone struct{ job *repairJob }
	// repairStatusQuery asks for the per-tree state.
	repairStatusQuery struct{ reply chan map[treeKey]treeRepair }
)

// treeKey names one Merkle tree: a namespace within a partition.
type treeKey struct {
	partition int
	namespace string
}

// treeRepair is the anti-entropy state of one tree.
type treeRepair struct {
	lastExchange time.Time
	lastPeer     string
	keysRepaired uint64
	lastError    string
}

type repairJob struct {
	partitions []int // nil: every partition
	reply      chan *messages.RepairNowResponse
	exchanges  int
	repaired   uint64
}

// repairActor runs anti-entropy (Dynamo §4.7) and tombstone reaping. Every
// AEInterval after the last round ends, it compares each tree this node
// holds as a home replica with every other home replica that is up;
// partitions marked by repairSoon (dropped hints, a peer back up) go
// first. The first home of a partition also reaps its tombstones once
// every home holds them and the grace period has passed. Jobs run one at a
// time on a tracked goroutine; the actor keeps the schedule and the state.
type repairActor struct {
	env     *healEnv
	running *repairJob
	queue   []*repairJob
	state   map[treeKey]treeRepair
	lastUp  map[string]bool
	stopper chan struct{}
	// lastRoundEnd is when the last full round ended.
	lastRoundEnd time.Time
}

func (r *repairActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		r.state = map[treeKey]treeRepair{}
		r.stopper = make(chan struct{})
		// A short tick finds returning peers promptly; rounds keep to
		// AEInterval.
		tickEvery(r.env, c, min(r.env.cfg.AEInterval, time.Second), r.stopper, func() any { return &repairTick{} })
	case *actor.Stopping:
		close(r.stopper)
	case *repairTick:
		r.onTick(c)
	case *repairSoon:
		r.enqueue(c, &repairJob{partitions: m.partitions}, true)
	case *repairNow:
		r.enqueue(c, &repairJob{partitions: m.partitions, reply: m.reply}, true)
	case *repairTaskDone:
		prev := r.state[m.key]
		m.status.keysRepaired += prev.keysRepaired
		r.state[m.key] = m.status
	case *repairJobDone:
		r.onJobDone(c, m.job)
	case *repairStatusQuery:
		m.reply <- maps.Clone(r.state)
	}
}

// onTick starts a round when one is due, and marks the partitions shared
// with peers that came back up since the last tick.
func (r *repairActor) onTick(c actor.Context) {
	if r.env.cfg.NoAntiEntropy {
		return
	}
	view := r.env.view()
	var back []string
	for _, m := range view.members {
		up := view.isUp(m.ID)
		if up && r.lastUp != nil && !r.lastUp[m.ID] && m.ID != r.env.self {
			back = append(back, m.ID)
		}
	}
	r.lastUp = map[string]bool{}
	for _, m := range view.members {
		r.lastUp[m.ID] = view.isUp(m.ID)
	}
	if len(back) > 0 {
		r.enqueue(c, &repairJob{partitions: r.sharedPartitions(view, back)}, true)
	}
	if r.running == nil && len(r.queue) == 0 && time.Since(r.lastRoundEnd) >= r.env.cfg.AEInterval {
		r.enqueue(c, &repairJob{}, false)
	}
}

// sharedPartitions lists the partitions where this node and one of peers
// are both home replicas of some namespace.
func (r *repairActor) sharedPartitions(view *clusterView, peers []string) []int {
	var out []int
	for p := range r.env.cfg.Partitions {
		for _, task := range r.tasks(view, p) {
			if slices.ContainsFunc(task.homes, func(h string) bool { return slices.Contains(peers, h) }) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

func (r *repairActor) enqueue(c actor.Context, job *repairJob, front bool) {
	if front {
		r.queue = append([]*repairJob{job}, r.queue...)
	} else {
		r.queue = append(r.queue, job)
	}
	r.startNext(c)
}

func (r *repairActor) startNext(c actor.Context) {
	if r.running != nil || len(r.queue) == 0 {
		return
	}
	job := r.queue[0]
	r.queue = r.queue[1:]
	r.running = job
	root, self := c.ActorSystem().Root, c.Self()
	view := r.env.view()
	r.env.spawn(func() {
		r.runJob(view, job, func(m any) { root.Send(self, m) })
		root.Send(self, &repairJobDone{job: job})
	})
}

func (r *repairActor) onJobDone(c actor.Context, job *repairJob) {
	r.running = nil
	if job.partitions == nil {
		r.lastRoundEnd = time.Now()
	}
	if job.reply != nil {
		job.reply <- &messages.RepairNowResponse{Exchanges: uint32(job.exchanges), KeysRepaired: job.repaired}
	}
	r.startNext(c)
}

// repairTask is one tree this node holds as a home replica, and the
// tree's home replicas in preference order.
type repairTask struct {
	namespace string
	homes     []string
}

// tasks lists the trees of partition p that this node is a home of.
func (r *repairActor) tasks(view *clusterView, p int) []repairTask {
	pref := view.prefs(p)
	var out []repairTask
	for _, ns := range r.env.ns.list() {
		homes := pref[:min(int(ns.N), len(pref))]
		if slices.Contains(homes, r.env.self) {
			out = append(out, repairTask{namespace: ns.Name, homes: homes})
		}
	}
	return out
}

// runJob exchanges every tree of the job's partitions with each other up
// home, reaps where this node is the first home, and rebuilds trees that
// are due, all under the node's budgets. It runs off the actor.
func (r *repairActor) runJob(view *clusterView, job *repairJob, report func(any)) {
	partitions := job.partitions
	if partitions == nil {
		partitions = make([]int, r.env.cfg.Partitions)
		for i := range partitions {
			partitions[i] = i
		}
	}
	pace := &pacer{rate: r.env.cfg.AERate, quit: r.env.quit}
	rebuildPace := &pacer{rate: r.env.cfg.TreeRebuildRate, quit: r.env.quit}
	for _, p := range partitions {
		select {
		case <-r.env.quit:
			return
		default:
		}
		r.maybeRebuild(p, rebuildPace)
		for _, task := range r.tasks(view, p) {
			st := r.exchangeAll(view, p, task, pace, job)
			if task.homes[0] == r.env.self {
				if n, err := r.reap(view, p, task); err != nil && st.lastError == "" {
					st.lastError = "reap: " + err.Error()
				} else if n > 0 {
					r.env.log.Debug("tombstones reaped", "partition", p, "namespace", task.namespace, "count", n)
				}
			}
			report(&repairTaskDone{key: treeKey{p, task.namespace}, status: st})
		}
	}
}

// exchangeAll runs the exchange of one tree with every other up home.
func (r *repairActor) exchangeAll(view *clusterView, p int, task repairTask, pace *pacer, job *repairJob) treeRepair {
	var st treeRepair
	for _, peer := range task.homes {
		if peer == r.env.self || !view.isUp(peer) {
			continue
		}
		x := &exchange{env: r.env, partition: p, namespace: task.namespace, peer: peer, pace: pace}
		err := x.run()
		r.env.metrics.aeExchanges.Inc()
		r.env.metrics.aeBytes.Add(float64(x.bytes))
		r.env.metrics.aeKeysRepaired.Add(float64(x.repaired))
		job.exchanges++
		job.repaired += uint64(x.repaired)
		st.lastExchange, st.lastPeer = time.Now(), peer
		st.keysRepaired += uint64(x.repaired)
		if err != nil {
			st.lastError = fmt.Sprintf("%s: %v", peer, err)
		}
	}
	return st
}

// maybeRebuild rebuilds partition p's trees from storage when they are
// older than TreeRebuildInterval, within the records-per-second budget.
func (r *repairActor) maybeRebuild(p int, pace *pacer) {
	info := r.env.call(r.env.self, &replicaCall{op: opTreeInfo, partition: p}).info
	if info == nil || time.Since(info.built) < r.env.cfg.TreeRebuildInterval {
		return
	}
	records := 0
	for _, c := range info.byNamespace {
		records += c[0]
	}
	if !pace.wait(records) {
		return
	}
	r.env.call(r.env.self, &replicaCall{op: opRebuild, partition: p})
	r.env.metrics.treeRebuilds.Inc()
}
