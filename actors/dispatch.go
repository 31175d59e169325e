package actors

import "sync"

// warmDispatcher runs actor mailboxes on long-lived goroutines. protoactor's
// default dispatcher starts a goroutine each time a mailbox is scheduled,
// and on the request path every such goroutine grows its stack from the
// minimum again (decoding, merging version vectors, Pebble): copying
// stacks took about 7% of a loaded node's CPU. A mailbox scheduled while
// every worker is busy gets a goroutine of its own, as before, so nothing
// ever waits for a worker and no mailbox can block another.
type warmDispatcher struct {
	work       chan func()
	quit       chan struct{}
	stopOnce   sync.Once
	throughput int
}

// A node's dispatcher keeps enough workers for its busy mailboxes (a
// partition actor and a coordinator per request in flight, on two cores
// a few dozen at a time); throughput is protoactor's default.
const (
	dispatchWorkers    = 64
	dispatchThroughput = 300
)

// newWarmDispatcher starts workers goroutines. throughput is how many
// messages a mailbox processes before it yields its goroutine.
func newWarmDispatcher(workers, throughput int) *warmDispatcher {
	d := &warmDispatcher{work: make(chan func()), quit: make(chan struct{}), throughput: throughput}
	for range workers {
		go d.worker()
	}
	return d
}

func (d *warmDispatcher) worker() {
	for {
		select {
		case fn := <-d.work:
			fn()
		case <-d.quit:
			return
		}
	}
}

// Schedule hands fn to an idle worker, or to a new goroutine when none is.
func (d *warmDispatcher) Schedule(fn func()) {
	select {
	case d.work <- fn:
	default:
		go fn()
	}
}

func (d *warmDispatcher) Throughput() int { return d.throughput }

// stop ends the workers; later mailboxes run on goroutines of their own.
func (d *warmDispatcher) stop() { d.stopOnce.Do(func() { close(d.quit) }) }
