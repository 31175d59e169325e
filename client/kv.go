package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/messages"
)

// Value is one stored value and the content type it was written with.
type Value struct {
	Data        []byte
	ContentType string
}

// Result is what a Get saw.
type Result struct {
	// Values holds every value not superseded by another: one normally,
	// more than one when concurrent writes left siblings, none when the
	// key was not found.
	Values []Value
	// Context is the opaque causal context of what the Get saw. Send it
	// back with WithCausalContext on a Put to replace exactly these values,
	// or on a Delete to remove them.
	Context string
}

// Siblings reports whether concurrent writes left more than one value.
func (r *Result) Siblings() bool { return r != nil && len(r.Values) > 1 }

// Get reads key. It waits for R replicas (WithR, default the namespace's)
// and returns every value none of them supersedes, with the context of what
// it saw. A missing key returns a Result (whose Context may be set) and an
// error that is ErrNotFound.
func (c *Client) Get(ctx context.Context, key string, opts ...Option) (*Result, error) {
	o, err := prepare(ctx, messages.SubjectGet, key, opts)
	if err != nil {
		return nil, err
	}
	server, wait := c.budget(ctx, o.timeout)
	req := &messages.GetRequest{Namespace: o.namespace, Key: key, Options: o.wire(true, server)}
	var resp messages.GetResponse
	if err := c.callKey(ctx, &o, messages.SubjectGet, "get", req, &resp, wait); err != nil {
		return nil, err
	}
	if err := wireError(resp.Error); err != nil {
		return nil, err
	}
	r := &Result{Context: resp.Context}
	if !resp.Found {
		return r, fmt.Errorf("key %q: %w", key, ErrNotFound)
	}
	r.Values = make([]Value, len(resp.Values))
	for i, v := range resp.Values {
		r.Values[i] = Value{Data: v.GetValue(), ContentType: v.GetContentType()}
	}
	return r, nil
}

// PutResult is what a Put wrote. It is a struct so that it can carry more
// about the write later (the replicas that acknowledged it, timings)
// without changing Put's signature.
type PutResult struct {
	// Context is the causal context of the version written: it covers
	// this write and what the Put's own context covered, and nothing
	// written concurrently. A later Put or Delete that sends it with
	// WithCausalContext supersedes this write.
	Context string
}

// Put writes value under key. It waits for W durable acknowledgements
// (WithW). With WithCausalContext it supersedes what that context saw;
// without, it is a blind write that becomes a sibling of any stored value
// (in siblings mode). A value above the node's limit is ErrInvalidArgument
// (code VALUE_TOO_LARGE) naming that limit.
func (c *Client) Put(ctx context.Context, key string, value []byte, opts ...Option) (*PutResult, error) {
	o, err := prepare(ctx, messages.SubjectPut, key, opts)
	if err != nil {
		return nil, err
	}
	server, wait := c.budget(ctx, o.timeout)
	req := &messages.PutRequest{
		Namespace:   o.namespace,
		Key:         key,
		Value:       value,
		ContentType: o.contentType,
		Context:     o.token,
		Options:     o.wire(false, server),
	}
	var resp messages.PutResponse
	if err := c.callKey(ctx, &o, messages.SubjectPut, "put", req, &resp, wait); err != nil {
		if errors.Is(err, nats.ErrMaxPayload) {
			return nil, c.valueTooLarge(ctx, &o, key, len(value))
		}
		return nil, err
	}
	if err := wireError(resp.Error); err != nil {
		return nil, err
	}
	return &PutResult{Context: resp.Context}, nil
}

// Delete removes key by writing a tombstone, waiting for W acknowledgements.
// With WithCausalContext it removes exactly what that context saw; a value
// written concurrently survives as a sibling. Deleting a missing key
// succeeds.
func (c *Client) Delete(ctx context.Context, key string, opts ...Option) error {
	o, err := prepare(ctx, messages.SubjectDelete, key, opts)
	if err != nil {
		return err
	}
	server, wait := c.budget(ctx, o.timeout)
	req := &messages.DeleteRequest{
		Namespace: o.namespace,
		Key:       key,
		Context:   o.token,
		Options:   o.wire(false, server),
	}
	var resp messages.DeleteResponse
	if err := c.callKey(ctx, &o, messages.SubjectDelete, "delete", req, &resp, wait); err != nil {
		return err
	}
	return wireError(resp.Error)
}

// prepare checks a key operation before it touches the network.
func prepare(ctx context.Context, subject, key string, opts []Option) (callOptions, error) {
	if err := begin(ctx, subject); err != nil {
		return callOptions{}, err
	}
	if key == "" {
		return callOptions{}, invalid(messages.ErrorCode_ERROR_CODE_INVALID_KEY, "empty key")
	}
	o := applyOptions(opts)
	return o, o.check()
}
