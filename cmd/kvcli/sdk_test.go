package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/messages"
)

// startNATS starts an embedded nats-server on a free port and connects to
// it; both are closed when the test ends.
func startNATS(t *testing.T) (*server.Server, *nats.Conn) {
	t.Helper()
	s := runNATS(t, &server.Options{Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true})
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return s, nc
}

// TestFlagsReachTheWire runs kvcli through the real SDK against an embedded
// nats-server with a minimal responder that records the requests. It checks
// the adapter from flags to SDK options, not the store: the real node is
// tested end to end elsewhere.
func TestFlagsReachTheWire(t *testing.T) {
	s, nc := startNATS(t)

	var mu sync.Mutex
	var get messages.GetRequest
	var put messages.PutRequest
	answer := func(m *nats.Msg, req, resp proto.Message) {
		mu.Lock()
		defer mu.Unlock()
		if err := proto.Unmarshal(m.Data, req); err != nil {
			t.Error(err)
		}
		data, _ := proto.Marshal(resp)
		_ = m.Respond(data)
	}
	subs := map[string]nats.MsgHandler{
		messages.SubjectGet: func(m *nats.Msg) { answer(m, &get, &messages.GetResponse{Context: "tomb-1"}) },
		messages.SubjectPut: func(m *nats.Msg) { answer(m, &put, &messages.PutResponse{Context: "v2"}) },
	}
	for subject, h := range subs {
		if _, err := nc.Subscribe(subject, h); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: noEnv, dial: dialSDK}
	code := a.run(context.Background(), []string{"put", "k", "v", "--server", s.ClientURL(), "--timeout", "2s",
		"--namespace", "ns", "--r", "1", "--w", "3", "--strict", "--content-type", "text/plain", "--json"})
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if get.Key != "k" || get.Namespace != "ns" || get.Options.GetR() != 1 || get.Options.GetW() != 0 ||
		get.Options.GetQuorum() != messages.Quorum_QUORUM_STRICT || get.Options.GetTimeoutMs() != 2000 {
		t.Errorf("GetRequest = %v", &get)
	}
	if put.Key != "k" || string(put.Value) != "v" || put.Context != "tomb-1" || put.ContentType != "text/plain" ||
		put.Options.GetW() != 3 || put.Options.GetQuorum() != messages.Quorum_QUORUM_STRICT || put.Options.GetTimeoutMs() != 2000 {
		t.Errorf("PutRequest = %v", &put)
	}
	if !strings.Contains(out.String(), `"v2"`) {
		t.Errorf("stdout = %q, want the written context", out.String())
	}
}
