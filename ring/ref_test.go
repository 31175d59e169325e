package ring

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
)

// This file holds a deliberately naive reference implementation of the
// placement rules, written straight from the specification, and helpers that
// generate member sets. The real implementation (move-to-front sweep, shared
// lists, counting sort for zones) is checked against it.

type refToken struct {
	hash uint64
	id   string
}

func refTokens(members []Member, tpw int) []refToken {
	var toks []refToken
	for _, m := range members {
		for i := range m.Weight * tpw {
			toks = append(toks, refToken{refTokenHash(m.ID, i), m.ID})
		}
	}
	sort.Slice(toks, func(a, b int) bool {
		if toks[a].hash != toks[b].hash {
			return toks[a].hash < toks[b].hash
		}
		return toks[a].id < toks[b].id
	})
	return toks
}

// refStart computes the ring position of p by multiplication, not shifting.
func refStart(q, p int) uint64 {
	width := math.MaxUint64/uint64(q) + 1 // 2^64/q; wraps to 0 for q == 1
	return uint64(p) * width
}

// refWalk walks clockwise from the first token >= position, collecting
// distinct nodes, one token at a time.
func refWalk(toks []refToken, pos uint64) []string {
	if len(toks) == 0 {
		return nil
	}
	start := sort.Search(len(toks), func(i int) bool { return toks[i].hash >= pos })
	var walk []string
	for k := range toks {
		id := toks[(start+k)%len(toks)].id
		if !slices.Contains(walk, id) {
			walk = append(walk, id)
		}
	}
	return walk
}

// refZonesFirst applies the rule literally: repeatedly take the earliest
// untaken node whose zone is unused this round; when none qualifies, start a
// new round.
func refZonesFirst(walk []string, zoneOf map[string]string) []string {
	taken := make([]bool, len(walk))
	var out []string
	used := map[string]bool{}
	for len(out) < len(walk) {
		found := false
		for k, id := range walk {
			if !taken[k] && !used[zoneOf[id]] {
				taken[k], used[zoneOf[id]], found = true, true, true
				out = append(out, id)
				break
			}
		}
		if !found {
			used = map[string]bool{}
		}
	}
	return out
}

// refPreferenceLists returns the reference preference list of every partition.
func refPreferenceLists(q, tpw int, members []Member) [][]string {
	toks := refTokens(members, tpw)
	zoneOf := map[string]string{}
	for _, m := range members {
		zoneOf[m.ID] = m.Zone
	}
	out := make([][]string, q)
	for p := range q {
		out[p] = refZonesFirst(refWalk(toks, refStart(q, p)), zoneOf)
	}
	return out
}

// nodes returns n members "node-0".. "node-(n-1)" of weight 1 with no zone.
func nodes(n int) []Member {
	ms := make([]Member, n)
	for i := range ms {
		ms[i] = Member{ID: fmt.Sprintf("node-%d", i), Weight: 1}
	}
	return ms
}

// zoned returns perZone members in each of zones zone-0..zone-(zones-1).
func zoned(zones, perZone int) []Member {
	var ms []Member
	for z := range zones {
		for i := range perZone {
			ms = append(ms, Member{ID: fmt.Sprintf("z%d-n%d", z, i), Zone: fmt.Sprintf("zone-%d", z), Weight: 1})
		}
	}
	return ms
}

// randomMembers returns up to maxN members with random ids, zones drawn from
// a small pool (including the empty zone) and weights 1..maxW.
func randomMembers(rng *rand.Rand, maxN, maxW int) []Member {
	zones := []string{"", "a", "b", "c", "d"}[:1+rng.IntN(5)]
	n := rng.IntN(maxN + 1)
	var ms []Member
	for len(ms) < n {
		id := randomID(rng)
		if slices.ContainsFunc(ms, func(m Member) bool { return m.ID == id }) {
			continue
		}
		ms = append(ms, Member{ID: id, Zone: zones[rng.IntN(len(zones))], Weight: 1 + rng.IntN(maxW)})
	}
	return ms
}

func randomID(rng *rand.Rand) string {
	var b strings.Builder
	for range 1 + rng.IntN(6) {
		b.WriteByte("abcdef\x00\xff-"[rng.IntN(9)])
	}
	return b.String()
}

func shuffled(rng *rand.Rand, ms []Member) []Member {
	out := slices.Clone(ms)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func mustNew(t interface{ Fatalf(string, ...any) }, q, tpw int, ms []Member) *Ring {
	r, err := New(q, tpw, ms)
	if err != nil {
		t.Fatalf("New(%d, %d, %v): %v", q, tpw, ms, err)
	}
	return r
}
