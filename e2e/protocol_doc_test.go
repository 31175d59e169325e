package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/internal/testcluster"
	"github.com/quorumkv/quorumkv/messages"
)

// docExample is one request and its documented answer from
// docs/protocol.md: a fenced block of kind "protocol-example".
type docExample struct {
	line              int // of the opening fence, for messages
	subject           string
	request, response string
}

const exampleFence = "```protocol-example"

// parseDocExamples reads every protocol-example block, in document order.
// A block is
//
//	# optional comment lines
//	subject: SUBJECT
//	request: JSON (may continue on the next lines)
//	response: JSON (may continue to the closing fence)
func parseDocExamples(text string) ([]docExample, error) {
	var out []docExample
	var cur *docExample
	var section *string
	sc := bufio.NewScanner(strings.NewReader(text))
	for i := 1; sc.Scan(); i++ {
		line := sc.Text()
		switch {
		case cur == nil:
			if strings.TrimSpace(line) == exampleFence {
				cur = &docExample{line: i}
			}
		case strings.TrimSpace(line) == "```":
			if cur.subject == "" || cur.request == "" || cur.response == "" {
				return nil, fmt.Errorf("line %d: an example needs subject:, request: and response:", cur.line)
			}
			out = append(out, *cur)
			cur, section = nil, nil
		case section == nil && strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "subject:"):
			cur.subject = strings.TrimSpace(strings.TrimPrefix(line, "subject:"))
		case strings.HasPrefix(line, "request:"):
			cur.request, section = strings.TrimPrefix(line, "request:"), &cur.request
		case strings.HasPrefix(line, "response:"):
			cur.response, section = strings.TrimPrefix(line, "response:"), &cur.response
		case section != nil:
			*section += "\n" + line
		default:
			return nil, fmt.Errorf("line %d: unexpected %q in an example", i, line)
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("line %d: example not closed", cur.line)
	}
	return out, sc.Err()
}

// isPlaceholder reports whether a documented value stands for any value:
// a string written "<...>".
func isPlaceholder(v any) bool {
	s, ok := v.(string)
	return ok && len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>'
}

// matchDoc compares an answer with its documented form: the same fields,
// no more and no fewer, the same values, except where the doc has a
// placeholder.
func matchDoc(path string, doc, got any) error {
	if isPlaceholder(doc) {
		return nil
	}
	switch d := doc.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: documented an object, got %v", path, got)
		}
		if dk, gk := keys(d), keys(g); !reflect.DeepEqual(dk, gk) {
			return fmt.Errorf("%s: documented fields %v, got %v", path, dk, gk)
		}
		for _, k := range keys(d) {
			if err := matchDoc(path+"."+k, d[k], g[k]); err != nil {
				return err
			}
		}
		return nil
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(d) {
			return fmt.Errorf("%s: documented %d elements, got %v", path, len(d), got)
		}
		for i := range d {
			if err := matchDoc(fmt.Sprintf("%s[%d]", path, i), d[i], g[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if !reflect.DeepEqual(doc, got) {
		return fmt.Errorf("%s: documented %#v, got %#v", path, doc, got)
	}
	return nil
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// docSubjects are the subjects docs/protocol.md must show an example of,
// for a node named n1.
func docSubjects() []string {
	s := []string{messages.SubjectGet, messages.SubjectPut, messages.SubjectDelete,
		messages.SubjectNamespaceCreate, messages.SubjectNamespaceList, messages.SubjectStatus,
		messages.SubjectRemove}
	for _, op := range []string{"get", "put", "delete", "status"} {
		s = append(s, messages.NodeAPISubject("n1", op))
	}
	for _, op := range []string{messages.AdminHints, messages.AdminHintsDrain, messages.AdminRepairState,
		messages.AdminRepairNow, messages.AdminDecommission, messages.AdminTransfers} {
		s = append(s, messages.AdminNodeSubject("n1", op))
	}
	return s
}

func readProtocolDoc(t *testing.T) []docExample {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "docs", "protocol.md"))
	if err != nil {
		t.Fatal(err)
	}
	examples, err := parseDocExamples(string(text))
	if err != nil {
		t.Fatalf("docs/protocol.md: %v", err)
	}
	seen := map[string]bool{}
	for _, ex := range examples {
		seen[ex.subject] = true
	}
	for _, s := range docSubjects() {
		if !seen[s] {
			t.Errorf("docs/protocol.md has no example for %s", s)
		}
	}
	return examples
}

// TestProtocolDocExamples sends every example of docs/protocol.md, in
// document order, as JSON to a fresh node named n1 and checks that the
// answer is the documented one, so that the document cannot drift from
// the node. In a request, "<context>" stands for the context of the latest
// answer that had one.
func TestProtocolDocExamples(t *testing.T) {
	examples := readProtocolDoc(t)
	n := testcluster.NewNode(t, testcluster.NodeOptions{Name: "n1"})
	n.MustStart()
	nc, err := nats.Connect(n.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	lastContext := ""
	for _, ex := range examples {
		body := strings.ReplaceAll(strings.TrimSpace(ex.request), `"<context>"`, strconv.Quote(lastContext))
		m := nats.NewMsg(ex.subject)
		m.Header.Set("Content-Type", "application/json")
		m.Data = []byte(body)
		reply, err := nc.RequestMsg(m, 30*time.Second)
		if err != nil {
			t.Fatalf("docs/protocol.md:%d: %s %s: %v", ex.line, ex.subject, body, err)
		}
		if ct := reply.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("docs/protocol.md:%d: reply Content-Type %q", ex.line, ct)
		}
		var doc, got any
		if err := json.Unmarshal([]byte(ex.response), &doc); err != nil {
			t.Fatalf("docs/protocol.md:%d: the documented response is not JSON: %v", ex.line, err)
		}
		if err := json.Unmarshal(reply.Data, &got); err != nil {
			t.Fatalf("docs/protocol.md:%d: the answer is not JSON: %q", ex.line, reply.Data)
		}
		if err := matchDoc("response", doc, got); err != nil {
			t.Errorf("docs/protocol.md:%d: %s %s:\n  %v\n  answer: %s", ex.line, ex.subject, body, err, reply.Data)
		}
		if obj, ok := got.(map[string]any); ok {
			if c, ok := obj["context"].(string); ok && c != "" {
				lastContext = c
			}
		}
	}
}

// TestDocExampleChecker holds the checker itself to its rules, so that a
// lenient checker cannot let a drifted document pass.
func TestDocExampleChecker(t *testing.T) {
	parse := func(s string) any {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		doc, got string
		ok       bool
	}{
		{`{"a":1,"b":"<any>"}`, `{"a":1,"b":[1,2]}`, true},
		{`{"a":1}`, `{"a":1,"b":2}`, false}, // a field the doc lacks
		{`{"a":1,"b":2}`, `{"a":1}`, false}, // a field the node lacks
		{`{"a":"1"}`, `{"a":1}`, false},     // a number as a string
		{`{"a":[1,2]}`, `{"a":[1]}`, false}, // a list of another length
		{`{"a":"CONFLICT_MODE_LWW"}`, `{"a":"CONFLICT_MODE_SIBLINGS"}`, false},
	}
	for _, tc := range cases {
		if err := matchDoc("r", parse(tc.doc), parse(tc.got)); (err == nil) != tc.ok {
			t.Errorf("doc %s, got %s: %v", tc.doc, tc.got, err)
		}
	}
	ex, err := parseDocExamples("text\n" + exampleFence + "\n# c\nsubject: kv.api.get\nrequest: {\"key\":\n \"k\"}\nresponse:\n{\"found\": false}\n```\n")
	if err != nil || len(ex) != 1 || ex[0].subject != "kv.api.get" || ex[0].request != " {\"key\":\n \"k\"}" || strings.TrimSpace(ex[0].response) != "{\"found\": false}" {
		t.Fatalf("parse: %+v %v", ex, err)
	}
	if _, err := parseDocExamples(exampleFence + "\nsubject: kv.api.get\n```\n"); err == nil {
		t.Fatal("an example without request and response must be refused")
	}
}
