package quorum

import (
	"fmt"
	"slices"
	"testing"

	"github.com/quorumkv/quorumkv/vclock"
)

type rec = vclock.Record

// siblings and lastWriteWins are the two conflict modes the node uses.
type siblings struct{}

func (siblings) Sync(a, b rec) rec      { return vclock.Sync(a, b) }
func (siblings) Descends(a, b rec) bool { return a.Descends(b) }

type lastWriteWins struct{}

func (lastWriteWins) Sync(a, b rec) rec      { return vclock.SyncLWW(a, b) }
func (lastWriteWins) Descends(a, b rec) bool { return a.DescendsLWW(b) }

// write is a client write of value at replica node over what it read.
func write(prev rec, node, value string) rec {
	return vclock.Update(prev, prev.Context, vclock.Sibling{Value: []byte(value)}, node, 1)
}

// sends lists the Send effects as "phase:node", with ">home" for a hint.
func sends(effs []Effect[rec]) []string {
	var out []string
	for _, e := range effs {
		if e.Kind != Send {
			continue
		}
		s := fmt.Sprintf("%s:%s", e.Phase, e.To)
		if e.HintFor != "" {
			s += ">" + e.HintFor
		}
		out = append(out, s)
	}
	return out
}

// answer returns the Answer among effs.
func answer(t *testing.T, effs []Effect[rec]) Effect[rec] {
	t.Helper()
	for _, e := range effs {
		if e.Kind == Answer {
			return e
		}
	}
	t.Fatalf("no answer in %v", effs)
	return Effect[rec]{}
}

func hasAnswer(effs []Effect[rec]) bool {
	return slices.ContainsFunc(effs, func(e Effect[rec]) bool { return e.Kind == Answer })
}

func isDone(effs []Effect[rec]) bool {
	return len(effs) > 0 && effs[len(effs)-1].Kind == Done
}

func wantSends(t *testing.T, effs []Effect[rec], want ...string) {
	t.Helper()
	if got := sends(effs); !slices.Equal(got, want) {
		t.Fatalf("sends %v, want %v", got, want)
	}
}

func wantErr(t *testing.T, effs []Effect[rec], code Code, msg string) {
	t.Helper()
	a := answer(t, effs)
	if a.Err == nil || a.Err.Code != code || a.Err.Error() != msg {
		t.Fatalf("answer %+v, want code %d %q", a.Err, code, msg)
	}
}

func ok(node string, ph Phase, r rec) Event[rec] {
	return ReplyOK(node, ph, r, len(r.Siblings) > 0)
}

func failed(node string, ph Phase) Event[rec] { return ReplyFailed[rec](node, ph) }
