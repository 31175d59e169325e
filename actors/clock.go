package actors

import (
	"sync/atomic"
	"time"
)

// hybridClock gives strictly increasing unix-nano timestamps that follow the
// wall clock: a write's last-write-wins timestamp is never lower than one
// this node issued before, even if the wall clock steps back.
type hybridClock struct {
	last atomic.Int64
}

func (h *hybridClock) now() int64 {
	wall := time.Now().UnixNano()
	for {
		last := h.last.Load()
		next := max(wall, last+1)
		if h.last.CompareAndSwap(last, next) {
			return next
		}
	}
}

// observe moves the clock past a timestamp seen from another node.
func (h *hybridClock) observe(ts int64) {
	for {
		last := h.last.Load()
		if ts <= last || h.last.CompareAndSwap(last, ts) {
			return
		}
	}
}
