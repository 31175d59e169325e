package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func stdJSONUnmarshal(b []byte, v *map[string]any) error { return json.Unmarshal(b, v) }

// TestJSONContentTypeMatchesAsHTTP sends the header as HTTP-minded clients
// write it: lower-case name, a charset parameter. The node must read JSON
// and answer JSON; the namespace created without n gets the documented
// n=3 (and r=w=2, a majority).
func TestJSONContentTypeMatchesAsHTTP(t *testing.T) {
	n := startSingle(t)
	nc, err := nats.Connect(n.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	send := func(subject, body string) map[string]any {
		t.Helper()
		m := nats.NewMsg(subject)
		m.Header["content-type"] = []string{"application/json; charset=utf-8"} // not canonicalised
		m.Data = []byte(body)
		reply, err := nc.RequestMsg(m, 10*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", subject, err)
		}
		if ct := reply.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s: reply content type %q, data %q", subject, ct, reply.Data)
		}
		out := map[string]any{}
		if err := stdJSONUnmarshal(reply.Data, &out); err != nil {
			t.Fatalf("%s: reply is not JSON: %q: %v", subject, reply.Data, err)
		}
		if out["error"] != nil {
			t.Fatalf("%s: %v", subject, out["error"])
		}
		return out
	}
	send("kv.api.put", `{"key":"k","value":"aGVsbG8="}`)
	got := send("kv.api.get", `{"key":"k"}`)
	if values, _ := got["values"].([]any); got["found"] != true || len(values) != 1 {
		t.Fatalf("get: %v", got)
	}
	created := send("kv.admin.ns.create", `{"namespace":{"name":"carts"}}`)
	ns, _ := created["namespace"].(map[string]any)
	if ns["n"] != 3.0 || ns["r"] != 2.0 || ns["w"] != 2.0 || ns["mode"] != "CONFLICT_MODE_SIBLINGS" {
		t.Fatalf("namespace without n: want n=3 r=2 w=2 siblings, got %v", created)
	}
}
