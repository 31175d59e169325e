package actors

import (
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// recorder is a coordinator that notes what it receives and stops on
// "stop".
type recorder struct {
	sc   scatter
	mu   *sync.Mutex
	seen *[]string
	name string
}

func (r *recorder) receive(msg any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch m := msg.(type) {
	case coordStarted:
		*r.seen = append(*r.seen, r.name+":started")
	case string:
		*r.seen = append(*r.seen, r.name+":"+m)
		if m == "stop" {
			r.sc.host.remove(r.sc.id)
		}
	}
}

// Each message reaches the coordinator it names, after its start; what
// arrives for a stopped coordinator is dropped.
func TestCoordHostsRouteByID(t *testing.T) {
	system := actor.NewActorSystem()
	defer system.Shutdown()
	d := newWarmDispatcher(4, 10)
	defer d.stop()
	hosts := newCoordHosts(system.Root, func(p actor.Producer) *actor.Props {
		return actor.PropsFromProducer(p, actor.WithDispatcher(d))
	})
	var mu sync.Mutex
	var seen []string
	a := &recorder{mu: &mu, seen: &seen, name: "a"}
	b := &recorder{mu: &mu, seen: &seen, name: "b"}
	hosts.start(&a.sc, a)
	hosts.start(&b.sc, b)
	if a.sc.host == b.sc.host {
		t.Fatal("consecutive coordinators share a host")
	}
	a.sc.host.deliver(a.sc.id, "x")
	b.sc.host.deliver(b.sc.id, "stop")
	b.sc.host.deliver(b.sc.id, "late")
	a.sc.host.deliver(a.sc.id, "stop")
	want := map[string]bool{"a:started": true, "a:x": true, "a:stop": true, "b:started": true, "b:stop": true}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		got := append([]string(nil), seen...)
		mu.Unlock()
		if len(got) >= len(want) {
			for _, s := range got {
				if !want[s] {
					t.Fatalf("unexpected %q in %v", s, got)
				}
			}
			if got[0] != "a:started" && got[0] != "b:started" {
				t.Fatalf("a message before its start: %v", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %v arrived", got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
