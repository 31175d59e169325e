package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/quorumkv/quorumkv/client"
)

// The JSON of the key commands.
type (
	putView struct {
		Key       string `json:"key"`
		Namespace string `json:"namespace"`
		Context   string `json:"context"`
	}
	getView struct {
		Key       string      `json:"key"`
		Namespace string      `json:"namespace"`
		Found     bool        `json:"found"`
		Values    []valueView `json:"values"`
		Context   string      `json:"context"`
	}
	// valueView is one sibling: its bytes in base64, and as text when
	// they are valid UTF-8 (else null).
	valueView struct {
		Value       []byte  `json:"value"`
		Text        *string `json:"text"`
		ContentType string  `json:"contentType"`
		Bytes       int     `json:"bytes"`
	}
	deleteView struct {
		Key       string `json:"key"`
		Namespace string `json:"namespace"`
		Deleted   bool   `json:"deleted"`
	}
)

// namespaceOf is the namespace a key command addresses.
func namespaceOf(inv *invocation) string {
	if inv.opts.namespace == "" {
		return "default"
	}
	return inv.opts.namespace
}

// runPut writes the value of the command line or of stdin. Unless given a
// context (or told to send none) it reads the key first and sends the
// context it saw, so that the write replaces what is there.
func runPut(ctx context.Context, a *app, s store, inv *invocation) error {
	key := inv.args[0]
	var value []byte
	if len(inv.args) == 2 {
		value = []byte(inv.args[1])
	} else {
		v, err := io.ReadAll(a.stdin)
		if err != nil {
			return fmt.Errorf("put %q: cannot read the value from stdin: %w", key, err)
		}
		value = v
	}
	q, err := withContext(ctx, s, "put", key, inv)
	if err != nil {
		return err
	}
	written, err := s.Put(ctx, key, value, q)
	if err != nil {
		return keyError("put", key, inv, err)
	}
	switch inv.out {
	case formatJSON:
		return writeLine(a.stdout, putView{Key: key, Namespace: namespaceOf(inv), Context: written})
	case formatValue:
		return writeValue(a.stdout, written)
	}
	return nil
}

// runGet prints the value(s) of a key; a missing key is exit status 3.
func runGet(ctx context.Context, a *app, s store, inv *invocation) error {
	key := inv.args[0]
	r, err := s.Get(ctx, key, requestOf(inv.opts))
	found := err == nil
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		return keyError("get", key, inv, err)
	}
	if inv.out == formatJSON {
		if err := writeLine(a.stdout, getViewOf(key, namespaceOf(inv), r, found)); err != nil {
			return err
		}
		if !found {
			return exitStatus(exitNotFound)
		}
		return nil
	}
	if !found {
		return keyError("get", key, inv, err)
	}
	if inv.out == formatTable {
		return writeValueTable(a.stdout, r)
	}
	return writeValues(a.stdout, a.stderr, r, a.tty)
}

// runDelete deletes a key, by default what a read of it sees. Deleting a
// missing key succeeds.
func runDelete(ctx context.Context, a *app, s store, inv *invocation) error {
	key := inv.args[0]
	q, err := withContext(ctx, s, "delete", key, inv)
	if err != nil {
		return err
	}
	if err := s.Delete(ctx, key, q); err != nil {
		return keyError("delete", key, inv, err)
	}
	if inv.out == formatJSON {
		return writeLine(a.stdout, deleteView{Key: key, Namespace: namespaceOf(inv), Deleted: true})
	}
	return nil
}

// withContext returns the request options of a write, with the causal
// context to send: the --context token, none for --no-context, else the
// context a read of key returns (that of a missing key included).
func withContext(ctx context.Context, s store, op, key string, inv *invocation) (request, error) {
	q := requestOf(inv.opts)
	if inv.set["context"] || inv.opts.noContext {
		return q, nil
	}
	read := q
	read.token = ""
	r, err := s.Get(ctx, key, read)
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		return q, fmt.Errorf("%s %q: cannot read the current value to replace it: %w "+
			"(hint: --no-context writes without reading first)", op, key, explain(err))
	}
	if r != nil {
		q.token = r.Context
	}
	return q, nil
}

// writeValues prints the values of r: the bytes as stored, siblings
// separated by a newline, and "N siblings" on errOut when there are more
// than one. On a terminal the output ends with a newline.
func writeValues(out, errOut io.Writer, r *client.Result, tty bool) error {
	if r.Siblings() {
		fmt.Fprintf(errOut, "%d siblings\n", len(r.Values))
	}
	var b bytes.Buffer
	for i, v := range r.Values {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.Write(v.Data)
	}
	if tty && b.Len() > 0 && !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	_, err := out.Write(b.Bytes())
	return err
}

// writeValueTable prints a row per sibling; a value that is not text, or
// is long, is shown quoted and cut.
func writeValueTable(w io.Writer, r *client.Result) error {
	const show = 60
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SIBLING\tCONTENT TYPE\tSIZE\tVALUE")
	for i, v := range r.Values {
		text := strconv.Quote(string(v.Data))
		if len(v.Data) > show {
			text = strconv.Quote(string(v.Data[:show])) + "..."
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", i+1, orDash(v.ContentType), bytesText(uint64(len(v.Data))), text)
	}
	return tw.Flush()
}

// getViewOf is what get saw, for -o json.
func getViewOf(key, namespace string, r *client.Result, found bool) getView {
	v := getView{Key: key, Namespace: namespace, Found: found, Values: []valueView{}}
	if r == nil {
		return v
	}
	v.Context = r.Context
	for _, val := range r.Values {
		data := val.Data
		if data == nil {
			data = []byte{}
		}
		v.Values = append(v.Values, valueView{Value: data, Text: textOf(data), ContentType: val.ContentType,
			Bytes: len(data)})
	}
	return v
}
