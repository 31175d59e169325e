package quorum

import (
	"fmt"
	"slices"
	"time"
)

// Plan is what one request asks of the cluster, after namespace defaults
// and per-request overrides.
type Plan struct {
	N, R, W int
	// Strict counts home replicas only; sloppy (false) lets fallbacks
	// stand in for homes that are down.
	Strict  bool
	Timeout time.Duration
}

// Defaults are a namespace's replication settings.
type Defaults struct{ N, R, W int }

// Options are one request's overrides; a zero field keeps the default.
type Options struct {
	R, W    int
	Strict  bool
	Timeout time.Duration
}

// NewPlan combines a namespace's defaults with a request's options. R and W
// above N are refused: a quorum can never be larger than the replica set.
// A request's timeout is capped at maxTimeout.
func NewPlan(d Defaults, o Options, defaultTimeout, maxTimeout time.Duration) (Plan, error) {
	p := Plan{N: d.N, R: d.R, W: d.W, Strict: o.Strict, Timeout: defaultTimeout}
	if o.R > 0 {
		p.R = o.R
	}
	if o.W > 0 {
		p.W = o.W
	}
	if p.R > p.N || p.W > p.N {
		return p, fmt.Errorf("r=%d w=%d: each must be between 1 and the namespace's n=%d", p.R, p.W, p.N)
	}
	if o.Timeout > 0 {
		p.Timeout = min(o.Timeout, maxTimeout)
	}
	return p, nil
}

// ClampTo lowers N, R and W to the number of distinct nodes there are:
// with fewer nodes than N, replicas go to the nodes there are and quorums
// count at most that many.
func (p Plan) ClampTo(nodes int) Plan {
	p.N = min(p.N, nodes)
	p.R = min(p.R, p.N)
	p.W = min(p.W, p.N)
	return p
}

// Targets are the replicas a request may use.
type Targets struct {
	Active []string // the replicas it starts with, in preference order
	Spare  []string // the ones it may move on to when one fails, in order
	Homes  []string // the key's home replicas: the first N of its preference list
	// Forward are nodes outside Homes that get every write's record while
	// the key's partition moves between owners (a new owner copying it, an
	// old one until the move is over). Their acks never count toward W.
	Forward []string
}

// Place picks a request's targets on a key's preference list. Eligible
// nodes are the N home replicas (strict) or the whole list (sloppy); nodes
// believed up come first, in preference order, then the rest, since a
// failure detector can be wrong. The first N up ones are active.
func Place(pref []string, p Plan, up func(string) bool) Targets {
	eligible := pref
	if p.Strict && len(eligible) > p.N {
		eligible = eligible[:p.N]
	}
	ordered := make([]string, 0, len(eligible))
	for _, id := range eligible {
		if up(id) {
			ordered = append(ordered, id)
		}
	}
	upCount := len(ordered)
	for _, id := range eligible {
		if !up(id) {
			ordered = append(ordered, id)
		}
	}
	k := min(p.N, upCount)
	return Targets{Active: ordered[:k], Spare: ordered[k:], Homes: pref[:min(p.N, len(pref))]}
}

// PreferSelf moves self to the front when it is a target: the coordinator
// is then a replica itself and saves a round trip. It returns targets
// itself when self is first already or not a target; treat the result as
// read-only.
func PreferSelf(targets []string, self string) []string {
	i := slices.Index(targets, self)
	if i <= 0 {
		return targets
	}
	return slices.Concat([]string{self}, targets[:i], targets[i+1:])
}
