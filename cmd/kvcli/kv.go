package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/messages"
)

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
			return fmt.Errorf("read the value from stdin: %w", err)
		}
		value = v
	}
	q, err := withContext(ctx, s, key, inv)
	if err != nil {
		return err
	}
	written, err := s.Put(ctx, key, value, q)
	if err != nil {
		return err
	}
	if inv.opts.json {
		return writeJSON(a.stdout, &messages.PutResponse{Context: written})
	}
	return nil
}

// runGet prints the value(s) of a key; a missing key is exit status 3.
func runGet(ctx context.Context, a *app, s store, inv *invocation) error {
	r, err := s.Get(ctx, inv.args[0], requestOf(inv.opts))
	found := err == nil
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		return err
	}
	if inv.opts.json {
		if err := writeJSON(a.stdout, getResponse(r, found)); err != nil {
			return err
		}
		if !found {
			return exitStatus(exitNotFound)
		}
		return nil
	}
	if !found {
		return err
	}
	return writeValues(a.stdout, a.stderr, r, a.tty)
}

// runDelete deletes a key, by default what a read of it sees. Deleting a
// missing key succeeds.
func runDelete(ctx context.Context, a *app, s store, inv *invocation) error {
	key := inv.args[0]
	q, err := withContext(ctx, s, key, inv)
	if err != nil {
		return err
	}
	return s.Delete(ctx, key, q)
}

// withContext returns the request options of a write, with the causal
// context to send: the --context token, none for --no-context, else the
// context a read of key returns (that of a missing key included).
func withContext(ctx context.Context, s store, key string, inv *invocation) (request, error) {
	q := requestOf(inv.opts)
	if inv.set["context"] || inv.opts.noContext {
		return q, nil
	}
	read := q
	read.token = ""
	r, err := s.Get(ctx, key, read)
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		return q, fmt.Errorf("read the current context: %w", err)
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

// getResponse is the wire form of what get saw, for --json.
func getResponse(r *client.Result, found bool) *messages.GetResponse {
	resp := &messages.GetResponse{Found: found}
	if r == nil {
		return resp
	}
	resp.Context = r.Context
	for _, v := range r.Values {
		resp.Values = append(resp.Values, &messages.Value{Value: v.Data, ContentType: v.ContentType})
	}
	return resp
}

// writeJSON prints m as one line of protojson, default values included
// (found: false, up: false), lowerCamel field names, bytes in base64.
func writeJSON(w io.Writer, m proto.Message) error {
	data, err := protojson.MarshalOptions{EmitDefaultValues: true}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
