package deploy_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/internal/testcluster"
	"github.com/quorumkv/quorumkv/messages"
)

// TestNATSConfigExampleOnNodes runs two real nodes on the example NATS
// config, as deploy/k8s does: their routes form over mutual TLS and
// replicate, the app user reads and writes over TLS but may not publish
// on kv.admin.> or kv.internal.>, the admin user creates a namespace, and
// a client without credentials is refused.
func TestNATSConfigExampleOnNodes(t *testing.T) {
	conf, ca := exampleConfig(t)
	opts := testcluster.NodeOptions{Clustered: true, Extra: []string{"--nats-config", conf}}
	opts.Name = "c1"
	n1 := testcluster.NewNode(t, opts)
	opts.Name = "c2"
	n2 := testcluster.NewNode(t, opts)
	n1.Opts.Join, n2.Opts.Join = []string{n2.RouteURL()}, []string{n1.RouteURL()}
	n1.MustStart()
	n2.MustStart()
	for _, n := range []*testcluster.Node{n1, n2} {
		testcluster.WaitFor(t, 60*time.Second, n.Opts.Name+" to see 2 members up over TLS routes", func() bool {
			return metricLine(n.HTTPURL()+"/metrics", "quorumkv_members_up") == "quorumkv_members_up 2"
		})
	}

	if nc, err := nats.Connect(n1.URL(), nats.RootCAs(ca)); err == nil {
		nc.Close()
		t.Fatal("a client without credentials was let in")
	}
	violations := make(chan error, 4)
	app := connect(t, n1.URL(), "app", "change-me-app", ca, violations)
	put := &messages.PutRequest{Key: "greeting", Value: []byte("hello"), Options: &messages.RequestOptions{W: 2}}
	var putResp messages.PutResponse
	request(t, app, messages.SubjectPut, put, &putResp)
	if putResp.Error != nil {
		t.Fatalf("put as app: %v", putResp.Error)
	}
	app2 := connect(t, n2.URL(), "app", "change-me-app", ca, violations)
	var getResp messages.GetResponse
	request(t, app2, messages.SubjectGet, &messages.GetRequest{Key: "greeting", Options: &messages.RequestOptions{R: 2}}, &getResp)
	if getResp.Error != nil || !getResp.Found || len(getResp.Values) != 1 || string(getResp.Values[0].Value) != "hello" {
		t.Fatalf("get as app on the other node: %v", &getResp)
	}
	for _, subject := range []string{messages.SubjectNamespaceCreate, messages.SubjectJoin} {
		if err := app.Publish(subject, nil); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-violations:
			if !strings.Contains(strings.ToLower(err.Error()), "permissions violation") || !strings.Contains(err.Error(), subject) {
				t.Fatalf("app publishing on %s: %v", subject, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("app published on %s without a permissions violation", subject)
		}
	}

	admin := connect(t, n1.URL(), "admin", "change-me-admin", ca, violations)
	var nsResp messages.NamespaceCreateResponse
	request(t, admin, messages.SubjectNamespaceCreate, &messages.NamespaceCreateRequest{
		Namespace: &messages.Namespace{Name: "carts", N: 2, R: 1, W: 1}}, &nsResp)
	if nsResp.Error != nil {
		t.Fatalf("namespace create as admin: %v", nsResp.Error)
	}
}

func connect(t *testing.T, url, user, password, ca string, errs chan<- error) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.UserInfo(user, password), nats.RootCAs(ca),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case errs <- err:
			default:
			}
		}))
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(nc.Close)
	if !nc.TLSRequired() {
		t.Fatalf("connected as %s without TLS", user)
	}
	return nc
}

func request(t *testing.T, nc *nats.Conn, subject string, req, resp proto.Message) {
	t.Helper()
	data, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := nc.Request(subject, data, 10*time.Second)
	if err != nil {
		t.Fatalf("request on %s: %v", subject, err)
	}
	if err := proto.Unmarshal(msg.Data, resp); err != nil {
		t.Fatalf("reply on %s: %v", subject, err)
	}
}

// metricLine is the first line of a scrape that starts with name, or "".
func metricLine(url, name string) string {
	resp, err := http.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, name+" ") {
			return line
		}
	}
	return ""
}
