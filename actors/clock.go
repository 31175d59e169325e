package actors

import (
	"sync"
	"time"

	"github.com/quorumkv/quorumkv/vclock"
)

// hybridClock is this node's last-write-wins clock: a vclock.HLC over the
// wall clock. Every partition actor stamps writes with it, from its own
// goroutine, hence the mutex. The zero value is ready to use.
type hybridClock struct {
	// wall reads the wall clock in unix nanoseconds (nil: time.Now).
	wall func() int64

	mu  sync.Mutex
	hlc *vclock.HLC // made on first use
}

func (h *hybridClock) now() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.clockLocked().Now()
}

// maxContextLead is how far ahead of this node's wall clock a time in a
// client's causal context may be and still move its clock (see
// partitionActor.advance): clocks of a healthy cluster are far closer, and
// a forged token can push it no further.
const maxContextLead = time.Minute

// wallNow reads the wall clock the hybrid clock runs on.
func (h *hybridClock) wallNow() int64 {
	if h.wall != nil {
		return h.wall()
	}
	return time.Now().UnixNano()
}

// observe moves the clock past a timestamp seen from another node.
func (h *hybridClock) observe(ts int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clockLocked().Observe(ts)
}

func (h *hybridClock) clockLocked() *vclock.HLC {
	if h.hlc == nil {
		wall := h.wall
		if wall == nil {
			wall = func() int64 { return time.Now().UnixNano() }
		}
		h.hlc = vclock.NewHLC(wall)
	}
	return h.hlc
}
