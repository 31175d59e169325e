package actors

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/internal/buildinfo"
	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/storage"
)

// request sends one protobuf request to the node and decodes the answer.
func request(t *testing.T, nc *nats.Conn, subject string, req, resp proto.Message) {
	t.Helper()
	data, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := nc.Request(subject, data, 10*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", subject, err)
	}
	if err := proto.Unmarshal(reply.Data, resp); err != nil {
		t.Fatalf("%s: %v", subject, err)
	}
}

func TestStatusReportsBuildAndStore(t *testing.T) {
	n := startTestNode(t, storage.SyncNone)
	nc, err := nats.Connect(n.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for i := range 5 {
		resp := &messages.PutResponse{}
		request(t, nc, messages.SubjectPut, &messages.PutRequest{Key: fmt.Sprintf("k%d", i), Value: []byte("v")}, resp)
		if resp.Error != nil {
			t.Fatal(resp.Error)
		}
	}
	del := &messages.DeleteResponse{}
	request(t, nc, messages.SubjectDelete, &messages.DeleteRequest{Key: "k0"}, del)

	st := &messages.StatusResponse{}
	deadline := time.Now().Add(10 * time.Second)
	for {
		request(t, nc, messages.SubjectStatus, &messages.StatusRequest{}, st)
		if st.Records == 5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, bounded by the deadline
	}
	if st.Records != 5 {
		t.Fatalf("records: want 5 (4 values and a tombstone), got %d", st.Records)
	}
	stats, err := n.db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.PartitionsHeld == 0 || int(st.PartitionsHeld) != stats.PartitionsHeld || st.DiskBytes == 0 {
		t.Fatalf("store figures: %d partitions held (store says %d), %d disk bytes", st.PartitionsHeld, stats.PartitionsHeld, st.DiskBytes)
	}
	if st.Version != buildinfo.Version() || st.Commit != buildinfo.Commit() || st.Version == "" {
		t.Fatalf("build: %q %q", st.Version, st.Commit)
	}
}

func TestNamespaceCreateDefaultsToThreeReplicas(t *testing.T) {
	n := startTestNode(t, storage.SyncNone)
	nc, err := nats.Connect(n.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	resp := &messages.NamespaceCreateResponse{}
	request(t, nc, messages.SubjectNamespaceCreate,
		&messages.NamespaceCreateRequest{Namespace: &messages.Namespace{Name: "carts"}}, resp)
	ns := resp.GetNamespace()
	if resp.Error != nil || ns.GetN() != 3 || ns.GetR() != 2 || ns.GetW() != 2 || ns.GetMode() != messages.ConflictMode_CONFLICT_MODE_SIBLINGS {
		t.Fatalf("want n=3 r=2 w=2 siblings: %v", resp)
	}
	if resp.Warning == "" {
		t.Error("n=3 on one node: want the under-replication warning")
	}
	// The same request again is the same namespace, not a conflict.
	again := &messages.NamespaceCreateResponse{}
	request(t, nc, messages.SubjectNamespaceCreate,
		&messages.NamespaceCreateRequest{Namespace: &messages.Namespace{Name: "carts"}}, again)
	if again.Error != nil || again.GetNamespace().GetN() != 3 {
		t.Fatalf("repeat: %v", again)
	}
}

func TestValueTooLargeNamesKeyAndLimit(t *testing.T) {
	n := startTestNode(t, storage.SyncNone)
	nc, err := nats.Connect(n.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	resp := &messages.PutResponse{}
	request(t, nc, messages.SubjectPut, &messages.PutRequest{Key: "photo", Value: make([]byte, 1<<20+1)}, resp)
	e := resp.GetError()
	if e.GetCode() != messages.ErrorCode_ERROR_CODE_VALUE_TOO_LARGE {
		t.Fatalf("want VALUE_TOO_LARGE, got %v", e)
	}
	for _, want := range []string{`"photo"`, "1048577 bytes", "limit of 1048576 bytes", "--max-value-bytes"} {
		if !strings.Contains(e.GetMessage(), want) {
			t.Errorf("message %q lacks %q", e.GetMessage(), want)
		}
	}
}
