package quorum

import "slices"

// Get coordinates one read (Dynamo §4.5, §5.1): it asks R replicas, this
// node first when it is one, and more only when some fail; it answers with
// the merged record and then repairs the home replicas that answered stale.
// Under strict quorum a disagreement is first written back to W replicas,
// so no later read can see an older value than this one returned (the
// write-back phase of the ABD register).
type Get[R any] struct {
	core[R]
	v       Versions[R]
	asked   []string
	hinted  map[string]bool
	replies []readReply[R] // in arrival order
	merged  R
	ok      int // replies that count toward R
	wbNeed  int
	wbOk    int
	forward []string // Targets.Forward: a strict read writes back to them
	fwdOk   int
	// repliesBuf holds the usual read's replies without an allocation.
	repliesBuf [4]readReply[R]
}

// readReply is one replica's answer to a read.
type readReply[R any] struct {
	node      string
	rec       R
	wroteBack bool // sent the merged record before the answer (strict)
}

// Hints name, for a sloppy read, the homes among the active targets that
// other up nodes hold undelivered hints for in the key's partition, and
// those holders (in the order of the homes they hold hints for).
type Hints struct {
	Homes   map[string]bool
	Holders []string
}

// NewGet plans a read. A home in h.Homes that answers "not found" does not
// count toward R, since the write may sit in a hint not yet delivered to
// it; a holder is asked instead. Strict reads count homes alone and ignore
// h.
func NewGet[R any](p Plan, t Targets, self string, h Hints, v Versions[R]) *Get[R] {
	g := &Get[R]{v: v, forward: t.Forward}
	g.init(p, t.Homes, nil)
	g.replies = g.repliesBuf[:0]
	active := PreferSelf(t.Active, self)
	var holders []string
	if !p.Strict {
		g.hinted, holders = h.Homes, h.Holders
	}
	// Ask only R replicas: a read costs R replica calls, not N, and R=1 on
	// a replica needs no network at all. The other replicas are the first
	// spares if one fails, after the holders of hints for a home asked.
	g.asked = active[:min(p.R, len(active))]
	g.spare = dedupe(slices.Concat(g.asked, holders, active[len(g.asked):], t.Spare))[len(g.asked):]
	return g
}

// dedupe keeps the first occurrence of each id.
func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Start returns the first effects: the reads. The slice is valid until the
// next call.
func (g *Get[R]) Start() []Effect[R] {
	g.begin()
	for _, id := range g.asked {
		g.send(id, Read, g.none(), "")
	}
	g.fill()
	g.checkUnavailable()
	g.maybeFinish()
	return g.out
}

// Step takes one event and returns what to do. The slice is valid until
// the next call; after Done it is always empty.
func (g *Get[R]) Step(ev Event[R]) []Effect[R] {
	g.begin()
	switch {
	case g.done:
	case ev.Kind == Expired:
		g.onDeadline()
	case !g.land(ev):
	case ev.Phase == Read:
		g.onRead(ev)
	case ev.Phase == WriteBack, ev.Phase == Forward:
		g.onWriteBack(ev)
	}
	return g.out
}

// fill keeps R reads in flight while spares remain.
func (g *Get[R]) fill() {
	for g.ok+g.inflight(Read) < g.plan.R {
		id, ok := g.nextSpare()
		if !ok {
			return
		}
		g.send(id, Read, g.none(), "")
	}
}

func (g *Get[R]) onRead(ev Event[R]) {
	switch {
	case ev.Kind == Failed:
		g.fill()
	case !ev.Found && g.hinted[ev.Node]:
		// The write may sit in a hint not yet delivered to this home: ask a
		// holder instead of trusting the absence.
		g.record(ev)
		g.fill()
	default:
		g.record(ev)
		g.ok++
	}
	if !g.answered && g.ok >= g.plan.R {
		g.onQuorum()
	}
	g.checkUnavailable()
	g.maybeFinish()
}

func (g *Get[R]) record(ev Event[R]) {
	g.replies = append(g.replies, readReply[R]{node: ev.Node, rec: ev.Record})
	g.merged = g.v.Sync(g.merged, ev.Record)
}

func (g *Get[R]) checkUnavailable() {
	if g.answered || g.ok+g.inflight(Read) >= g.plan.R {
		return
	}
	g.fail(Unavailable, "read", g.ok, g.plan.R)
}

// onQuorum answers, or under strict quorum with disagreeing replies first
// writes the merged record back. While the partition moves, a strict read
// also writes what it found to the forward targets first: then W replicas
// hold it on either side of the move, as for a strict put. No read is in
// flight here (at most R are asked at once), so the merged record is
// final.
func (g *Get[R]) onQuorum() {
	if len(g.forward) > 0 && g.v.Descends(*new(R), g.merged) {
		g.forward = nil // nothing found: nothing to write anywhere
	}
	if !g.plan.Strict || (g.agree() && len(g.forward) == 0) {
		g.reply(Effect[R]{Record: g.merged})
		return
	}
	// The merged state must reach W replicas; when R < W only the replicas
	// that answered are asked, so the bar is at most their number.
	g.wbNeed = min(g.plan.W, len(g.replies))
	for i := range g.replies {
		r := &g.replies[i]
		if g.v.Descends(r.rec, g.merged) {
			g.wbOk++
			continue
		}
		r.wroteBack = true
		g.send(r.node, WriteBack, g.merged, "")
	}
	for _, id := range g.forward {
		g.send(id, Forward, g.merged, "")
	}
	g.answerWrittenBack()
}

// answerWrittenBack answers once the write-back has reached W replicas
// and every forward target.
func (g *Get[R]) answerWrittenBack() {
	if !g.answered && g.wbOk >= g.wbNeed && g.fwdOk >= len(g.forward) {
		g.reply(Effect[R]{Record: g.merged})
	}
}

// agree reports whether every reply already holds the merged state.
func (g *Get[R]) agree() bool {
	for _, r := range g.replies {
		if !g.v.Descends(r.rec, g.merged) {
			return false
		}
	}
	return true
}

func (g *Get[R]) onWriteBack(ev Event[R]) {
	switch {
	case ev.Kind != Replied:
	case ev.Phase == Forward:
		g.fwdOk++
	default:
		g.wbOk++
	}
	g.answerWrittenBack()
	if !g.answered && g.inflight(WriteBack)+g.inflight(Forward) == 0 {
		if g.wbOk < g.wbNeed {
			g.fail(Unavailable, "read write-back", g.wbOk, g.wbNeed)
		} else {
			g.fail(Unavailable, "read write-back to the partition's new owners", g.fwdOk, len(g.forward))
		}
	}
	g.maybeFinish()
}

func (g *Get[R]) onDeadline() {
	if !g.answered {
		g.fail(Timeout, "read", g.ok, g.plan.R)
	}
	g.finish()
}

// maybeFinish ends the request once it is answered and nothing is in flight.
func (g *Get[R]) maybeFinish() {
	if g.answered && len(g.flight) == 0 {
		g.finish()
	}
}

// finish repairs every home replica that answered with a stale state and
// was not written back, then stops. Fallbacks are not repaired: they keep
// only hints.
func (g *Get[R]) finish() {
	if g.ok > 0 {
		for _, r := range g.replies {
			if !r.wroteBack && g.isHome(r.node) && !g.v.Descends(r.rec, g.merged) {
				g.send(r.node, Repair, g.merged, "")
			}
		}
	}
	g.stop()
}
