package actors

import (
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/messages"
)

func TestWantsJSONMatchesAsHTTPDoes(t *testing.T) {
	cases := []struct {
		name, value string
		want        bool
	}{
		{"Content-Type", "application/json", true},
		{"content-type", "application/json; charset=utf-8", true},
		{"CONTENT-TYPE", "Application/JSON", true},
		{"Content-type", " application/json ;charset=UTF-8", true},
		{"Content-Type", "application/protobuf", false},
		{"Content-Type", "application/jsonl", false},
		{"Content-Type", "text/json", false},
		{"Content-Type", "", false},
		{"X-Content-Type", "application/json", false},
	}
	for _, tc := range cases {
		m := nats.NewMsg("kv.api.get")
		m.Header[tc.name] = []string{tc.value} // as a peer wrote it, not canonicalised
		if got := wantsJSON(m); got != tc.want {
			t.Errorf("%s: %q: got %v, want %v", tc.name, tc.value, got, tc.want)
		}
	}
	if wantsJSON(&nats.Msg{Subject: "kv.api.get"}) {
		t.Error("no headers: want protobuf")
	}
}

func TestMalformedRequestErrorsNameNoLibrary(t *testing.T) {
	js := nats.NewMsg("kv.api.get")
	js.Header.Set("content-type", "application/json; charset=utf-8")
	js.Data = []byte(`{"key":"k","bogus":1}`)
	pb := &nats.Msg{Subject: "kv.api.get", Data: []byte{0xff, 0xff, 0xff}}
	for _, m := range []*nats.Msg{js, pb} {
		err := decodeRequest(m, &messages.GetRequest{})
		if err == nil || err.code != messages.ErrorCode_ERROR_CODE_MALFORMED_REQUEST {
			t.Fatalf("%q: want MALFORMED_REQUEST, got %v", m.Data, err)
		}
		if strings.Contains(err.msg, "proto:") || !strings.Contains(err.msg, "GetRequest") {
			t.Errorf("%q: message %q", m.Data, err.msg)
		}
	}
}

func TestBadContextErrorsNameNoPackage(t *testing.T) {
	for _, tok := range []string{"!!", "AAAA", "_____w"} {
		_, err := decodeContextToken(tok)
		if err == nil {
			t.Fatalf("%q accepted", tok)
		}
		if strings.Contains(err.msg, "vclock") || !strings.HasPrefix(err.msg, "the context is") ||
			!strings.Contains(err.msg, contextAdvice) {
			t.Errorf("%q: message %q", tok, err.msg)
		}
	}
}
