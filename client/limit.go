package client

import (
	"context"
	"fmt"
	"sync"

	"github.com/quorumkv/quorumkv/messages"
)

// A node takes values up to its configured limit (--max-value-bytes, 1 MiB
// by default) and sets its NATS server's max payload a little above it,
// for the key and the envelope. A value between the two reaches the node,
// which answers VALUE_TOO_LARGE with its limit (in Error.needed). A larger one never leaves
// the client: nats.go refuses to send it. Reporting the NATS max payload
// then would name a number the user never configured, so the client asks
// the node for its limit with a probe it cannot write: a Put of a value
// just under the max payload and an empty key. The node checks the value's
// size before the key, so it answers with its limit; were the value within
// the limit, the empty key would be refused, and nothing is written
// either way. The answer is remembered for as long as the max payload
// stays the same.

// valueLimit is the value limit learned from a node.
type valueLimit struct {
	// mu guards the fields below.
	mu sync.Mutex
	// payload is the max payload the limit was learned under; 0 if none.
	payload int64
	limit   int
}

// probeEnvelope is room left in the probe for the rest of the request:
// the namespace (at most 64 bytes), the options and the field tags.
const probeEnvelope = 1024

// valueTooLarge is the error of a Put whose value of size bytes NATS
// would not carry.
func (c *Client) valueTooLarge(ctx context.Context, o *callOptions, key string, size int) error {
	const code = messages.ErrorCode_ERROR_CODE_VALUE_TOO_LARGE
	if limit, ok := c.valueLimit(ctx, o); ok {
		return &Error{Code: code, Got: size, Needed: limit, Message: tooLargeText(key, size, limit)}
	}
	return invalid(code, "value is %d bytes, more than the NATS server carries (its max payload is %d bytes, key and envelope included)",
		size, c.nc.MaxPayload())
}

// valueLimit returns the node's value limit, asking the node if it is not
// known for the current max payload. ok is false when the node takes
// anything NATS carries, or did not say.
func (c *Client) valueLimit(ctx context.Context, o *callOptions) (limit int, ok bool) {
	payload := c.nc.MaxPayload()
	c.limits.mu.Lock()
	if c.limits.payload == payload {
		limit = c.limits.limit
		c.limits.mu.Unlock()
		return limit, limit > 0
	}
	c.limits.mu.Unlock()
	if payload <= probeEnvelope {
		return 0, false
	}
	server, wait := c.budget(ctx, o.timeout)
	req := &messages.PutRequest{
		Namespace: o.namespace,
		Value:     make([]byte, payload-probeEnvelope),
		Options:   o.wire(false, server),
	}
	var resp messages.PutResponse
	if err := c.callKey(ctx, o, messages.SubjectPut, "put", req, &resp, wait); err != nil {
		return 0, false
	}
	switch resp.GetError().GetCode() {
	case messages.ErrorCode_ERROR_CODE_VALUE_TOO_LARGE:
		if limit = int(resp.Error.GetNeeded()); limit <= 0 {
			return 0, false
		}
	case messages.ErrorCode_ERROR_CODE_INVALID_KEY:
		limit = 0 // the value passed: NATS's max payload is the binding limit
	default:
		return 0, false
	}
	c.limits.mu.Lock()
	c.limits.payload, c.limits.limit = payload, limit
	c.limits.mu.Unlock()
	return limit, limit > 0
}

// tooLargeText says what a node says of a value over its limit, so that
// the error reads the same whichever side found it.
func tooLargeText(key string, size, limit int) string {
	return fmt.Sprintf("value of key %q is %d bytes, over this node's limit of %d bytes (--max-value-bytes); "+
		"store large objects elsewhere and keep a reference here", key, size, limit)
}
