package vclock

// HLC is a hybrid clock for last-write-wins timestamps: unix nanoseconds
// that follow the wall clock but never repeat and never go back, even if
// the wall clock steps back, and that move past any time observed from
// another node. A write's timestamp is then never lower than one this node
// issued before, nor than one it has seen.
//
// The wall clock is injected, so the clock is deterministic under test. An
// HLC is not safe for concurrent use; a caller that shares one guards it.
type HLC struct {
	wall func() int64
	last int64
}

// NewHLC returns a clock reading wall, which gives unix nanoseconds.
func NewHLC(wall func() int64) *HLC { return &HLC{wall: wall} }

// Now returns a timestamp greater than every one returned or observed
// before, and at least the wall time.
func (h *HLC) Now() int64 {
	h.last = max(h.wall(), h.last+1)
	return h.last
}

// Observe moves the clock past a timestamp seen from another node.
func (h *HLC) Observe(ts int64) { h.last = max(h.last, ts) }
