package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The probe against a real node is in deploy's tests; these pin its
// decisions on answers a node gives.
func TestProbeAnswers(t *testing.T) {
	ready := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || !ready {
			http.Error(w, "joining: receiving the partitions it owns", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	}))
	defer srv.Close()
	listen := strings.TrimPrefix(srv.URL, "http://")

	var out, errOut bytes.Buffer
	if code := probe(nil, env(map[string]string{"KVNODE_HTTP_LISTEN": listen}), &out, &errOut); code != 0 {
		t.Fatalf("ready node: exit %d, %q", code, errOut.String())
	}
	ready = false
	out.Reset()
	code := probe([]string{"--url", srv.URL + "/readyz"}, env(nil), &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "503") || !strings.Contains(errOut.String(), "joining") {
		t.Fatalf("unready node: exit %d, stderr %q", code, errOut.String())
	}
	if out.Len() != 0 {
		t.Fatalf("stdout on failure: %q", out.String())
	}
	srv.Close()
	errOut.Reset()
	if code := probe(nil, env(map[string]string{"KVNODE_HTTP_LISTEN": listen}), &out, &errOut); code != 1 {
		t.Fatalf("no node: exit %d, %q", code, errOut.String())
	}
}

func TestProbeUsage(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		listen string
	}{
		{nil, ""},                  // nowhere to ask
		{nil, "0.0.0.0"},           // no port
		{nil, "127.0.0.1:0"},       // a port the probe cannot know
		{[]string{"stray"}, ":80"}, // an argument
		{[]string{"--bogus"}, ":80"},
	} {
		var out, errOut bytes.Buffer
		code := probe(tc.args, env(map[string]string{"KVNODE_HTTP_LISTEN": tc.listen}), &out, &errOut)
		if code != 2 || errOut.Len() == 0 {
			t.Errorf("%v with %q: exit %d, stderr %q", tc.args, tc.listen, code, errOut.String())
		}
	}
	if u, err := readyzURL("0.0.0.0:8080"); err != nil || u != "http://127.0.0.1:8080/readyz" {
		t.Fatalf("readyzURL: %q %v", u, err)
	}
}
