package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/internal/testcluster"
	"github.com/quorumkv/quorumkv/messages"
)

func startSingle(t *testing.T, extra ...string) *testcluster.Node {
	t.Helper()
	n := testcluster.NewNode(t, testcluster.NodeOptions{Name: "solo", Extra: extra})
	n.MustStart()
	return n
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSingleNodePutGetOverwriteDelete(t *testing.T) {
	n := startSingle(t)
	c := testcluster.Connect(t, n)
	ctx := testCtx(t)

	if _, err := c.Get(ctx, "missing"); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("get missing: want ErrNotFound, got %v", err)
	}
	if _, err := c.Put(ctx, "k", []byte("v1"), client.WithContentType("text/plain")); err != nil {
		t.Fatal(err)
	}
	res, err := c.Get(ctx, "k")
	if err != nil || len(res.Values) != 1 || string(res.Values[0].Data) != "v1" || res.Values[0].ContentType != "text/plain" {
		t.Fatalf("get after put: %+v %v", res, err)
	}
	if _, err := c.Put(ctx, "k", []byte("v2"), client.WithCausalContext(res.Context)); err != nil {
		t.Fatal(err)
	}
	res, err = c.Get(ctx, "k")
	if err != nil || len(res.Values) != 1 || string(res.Values[0].Data) != "v2" {
		t.Fatalf("overwrite with context: %+v %v", res, err)
	}
	if err := c.Delete(ctx, "k", client.WithCausalContext(res.Context)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "k"); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("get after delete: want ErrNotFound, got %v", err)
	}
	// A key can be written again after a delete.
	if _, err := c.Put(ctx, "k", []byte("v3")); err != nil {
		t.Fatal(err)
	}
	res, err = c.Get(ctx, "k")
	if err != nil || len(res.Values) != 1 || string(res.Values[0].Data) != "v3" {
		t.Fatalf("put after delete: %+v %v", res, err)
	}
}

func TestSingleNodeBlindWritesBecomeSiblings(t *testing.T) {
	n := startSingle(t)
	c := testcluster.Connect(t, n)
	ctx := testCtx(t)
	for _, v := range []string{"a", "b", "c"} {
		if _, err := c.Put(ctx, "hot", []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := c.Get(ctx, "hot")
	if err != nil || len(res.Values) != 3 {
		t.Fatalf("three blind writes: want 3 siblings, got %+v %v", res, err)
	}
	if _, err := c.Put(ctx, "hot", []byte("resolved"), client.WithCausalContext(res.Context)); err != nil {
		t.Fatal(err)
	}
	res, err = c.Get(ctx, "hot")
	if err != nil || len(res.Values) != 1 || string(res.Values[0].Data) != "resolved" {
		t.Fatalf("contextual write resolves siblings: %+v %v", res, err)
	}
}

// jsonRequest sends a protojson request the way any NATS client would.
func jsonRequest(t *testing.T, nc *nats.Conn, subject, body string) map[string]any {
	t.Helper()
	m := nats.NewMsg(subject)
	m.Header.Set("Content-Type", "application/json")
	m.Data = []byte(body)
	reply, err := nc.RequestMsg(m, 10*time.Second)
	if err != nil {
		t.Fatalf("%s %s: %v", subject, body, err)
	}
	if ct := reply.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("reply content type %q", ct)
	}
	out := map[string]any{}
	if err := jsonUnmarshal(reply.Data, &out); err != nil {
		t.Fatalf("reply is not JSON: %q: %v", reply.Data, err)
	}
	return out
}

func TestJSONOverNATS(t *testing.T) {
	n := startSingle(t)
	nc, err := nats.Connect(n.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	put := jsonRequest(t, nc, "kv.api.put", `{"key":"greeting","value":"aGVsbG8=","contentType":"text/plain"}`)
	if put["error"] != nil || put["context"] == "" {
		t.Fatalf("put: %v", put)
	}
	got := jsonRequest(t, nc, "kv.api.get", `{"key":"greeting"}`)
	values, _ := got["values"].([]any)
	if got["found"] != true || len(values) != 1 {
		t.Fatalf("get: %v", got)
	}
	v := values[0].(map[string]any)
	if v["value"] != "aGVsbG8=" || v["contentType"] != "text/plain" {
		t.Fatalf("value: %v", v)
	}
	ctxTok := got["context"].(string)
	jsonRequest(t, nc, "kv.api.delete", fmt.Sprintf(`{"key":"greeting","context":%q}`, ctxTok))
	gone := jsonRequest(t, nc, "kv.api.get", `{"key":"greeting"}`)
	if gone["found"] != false {
		t.Fatalf("after delete: %v", gone)
	}
}

func errorCode(t *testing.T, resp map[string]any) string {
	t.Helper()
	e, ok := resp["error"].(map[string]any)
	if !ok {
		t.Fatalf("want an error, got %v", resp)
	}
	return e["code"].(string)
}

func TestBadInputIsRejectedAndChangesNothing(t *testing.T) {
	n := startSingle(t)
	nc, err := nats.Connect(n.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := testcluster.Connect(t, n)
	ctx := testCtx(t)
	if _, err := c.Put(ctx, "keep", []byte("safe")); err != nil {
		t.Fatal(err)
	}
	longKey := strings.Repeat("k", 1025)
	cases := []struct {
		name, subject, body, code string
	}{
		{"empty key", "kv.api.put", `{"key":"","value":"eA=="}`, "ERROR_CODE_INVALID_KEY"},
		{"key over 1 KiB", "kv.api.put", fmt.Sprintf(`{"key":%q,"value":"eA=="}`, longKey), "ERROR_CODE_INVALID_KEY"},
		{"get empty key", "kv.api.get", `{"key":""}`, "ERROR_CODE_INVALID_KEY"},
		{"R above N", "kv.api.get", `{"key":"keep","options":{"r":4}}`, "ERROR_CODE_INVALID_ARGUMENT"},
		{"W above N", "kv.api.put", `{"key":"keep","value":"eA==","options":{"w":9}}`, "ERROR_CODE_INVALID_ARGUMENT"},
		{"bad context base64", "kv.api.put", `{"key":"keep","value":"eA==","context":"!!!"}`, "ERROR_CODE_BAD_CONTEXT"},
		{"bad context bytes", "kv.api.put", `{"key":"keep","value":"eA==","context":"_____w"}`, "ERROR_CODE_BAD_CONTEXT"},
		{"bad context delete", "kv.api.delete", `{"key":"keep","context":"AAAA"}`, "ERROR_CODE_BAD_CONTEXT"},
		{"unknown namespace", "kv.api.put", `{"namespace":"nope","key":"keep","value":"eA=="}`, "ERROR_CODE_UNKNOWN_NAMESPACE"},
		{"malformed JSON", "kv.api.put", `{"key":`, "ERROR_CODE_MALFORMED_REQUEST"},
		{"unknown JSON field", "kv.api.get", `{"key":"keep","bogus":1}`, "ERROR_CODE_MALFORMED_REQUEST"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := errorCode(t, jsonRequest(t, nc, tc.subject, tc.body)); got != tc.code {
				t.Fatalf("want %s, got %s", tc.code, got)
			}
		})
	}
	t.Run("value over 1 MiB", func(t *testing.T) {
		req, _ := proto.Marshal(&messages.PutRequest{Key: "keep", Value: make([]byte, 1<<20+1)})
		reply, err := nc.Request("kv.api.put", req, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		resp := &messages.PutResponse{}
		if err := proto.Unmarshal(reply.Data, resp); err != nil {
			t.Fatal(err)
		}
		if resp.GetError().GetCode() != messages.ErrorCode_ERROR_CODE_VALUE_TOO_LARGE {
			t.Fatalf("want VALUE_TOO_LARGE, got %v", resp.GetError())
		}
	})
	t.Run("malformed protobuf", func(t *testing.T) {
		reply, err := nc.Request("kv.api.get", []byte{0xff, 0xff, 0xff}, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		resp := &messages.GetResponse{}
		if err := proto.Unmarshal(reply.Data, resp); err != nil {
			t.Fatal(err)
		}
		if resp.GetError().GetCode() != messages.ErrorCode_ERROR_CODE_MALFORMED_REQUEST {
			t.Fatalf("want MALFORMED_REQUEST, got %v", resp.GetError())
		}
	})
	// Nothing above changed the stored value, and the node still serves.
	res, err := c.Get(ctx, "keep")
	if err != nil || len(res.Values) != 1 || string(res.Values[0].Data) != "safe" {
		t.Fatalf("after bad input: %+v %v", res, err)
	}
}

func jsonUnmarshal(b []byte, v *map[string]any) error {
	// protojson output is valid JSON; read it with the standard decoder so
	// the test sees exactly what a non-Go client sees.
	return stdJSONUnmarshal(b, v)
}

var _ = protojson.Marshal
