package actors

import (
	"time"

	"github.com/quorumkv/quorumkv/messages"
)

// quorumPlan is what one request asks of the cluster, after namespace
// defaults and per-request overrides.
type quorumPlan struct {
	n, r, w int
	strict  bool
	mode    messages.ConflictMode
	timeout time.Duration
}

// checkKey enforces the key limits.
func checkKey(key string, maxKey int) *apiError {
	switch {
	case key == "":
		return errorf(messages.ErrorCode_ERROR_CODE_INVALID_KEY, "key is empty")
	case len(key) > maxKey:
		return errorf(messages.ErrorCode_ERROR_CODE_INVALID_KEY, "key is %d bytes, the limit is %d", len(key), maxKey)
	}
	return nil
}

// planRequest combines a namespace's defaults with a request's options. R
// and W above the namespace's N are refused: a quorum can never be larger
// than the replica set.
func planRequest(ns *messages.Namespace, o *messages.RequestOptions, defaultTimeout, maxTimeout time.Duration) (quorumPlan, *apiError) {
	p := quorumPlan{n: int(ns.N), r: int(ns.R), w: int(ns.W), mode: ns.Mode, timeout: defaultTimeout}
	if o == nil {
		return p, nil
	}
	if o.R > 0 {
		p.r = int(o.R)
	}
	if o.W > 0 {
		p.w = int(o.W)
	}
	if p.r > p.n || p.w > p.n {
		return p, errorf(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT,
			"r=%d w=%d: each must be between 1 and the namespace's n=%d", p.r, p.w, p.n)
	}
	switch o.Quorum {
	case messages.Quorum_QUORUM_DEFAULT, messages.Quorum_QUORUM_SLOPPY:
	case messages.Quorum_QUORUM_STRICT:
		p.strict = true
	default:
		return p, errorf(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, "unknown quorum kind %d", o.Quorum)
	}
	if o.TimeoutMs > 0 {
		p.timeout = min(time.Duration(o.TimeoutMs)*time.Millisecond, maxTimeout)
	}
	return p, nil
}

// clampToCluster lowers N, R and W to the number of distinct nodes there
// are: with fewer nodes than N, replicas go to the nodes there are and
// quorums count at most that many.
func (p quorumPlan) clampToCluster(nodes int) quorumPlan {
	p.n = min(p.n, nodes)
	p.r = min(p.r, p.n)
	p.w = min(p.w, p.n)
	return p
}

// chooseTargets picks the replicas a request starts with and the spares it
// may move on to when one fails. Eligible nodes are the n home replicas
// (strict) or the whole preference list (sloppy); nodes believed up come
// first, in preference order, then the rest, since a detector can be wrong.
func chooseTargets(pref []string, n int, strict bool, up func(string) bool) (active, spare []string) {
	eligible := pref
	if strict && len(eligible) > n {
		eligible = eligible[:n]
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
	k := min(n, upCount)
	return ordered[:k], ordered[k:]
}
