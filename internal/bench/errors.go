package bench

import (
	"context"
	"errors"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/quorumkv/quorumkv/client"
)

// errNotFound is what a target's Get returns for a missing key: an answer,
// counted apart from errors.
var errNotFound = errors.New("not found")

// errorKind names the kind of a failed operation for the report: a short,
// stable label such as "timeout" or "quorum unavailable", so that a run
// with thousands of errors prints a few lines.
func errorKind(err error) string {
	var ke *client.Error
	if errors.As(err, &ke) {
		return client.CodeText(ke.Code)
	}
	kinds := []struct {
		target error
		name   string
	}{
		{errDropped, "dropped (not sent within the timeout of its due time)"},
		{client.ErrTimeout, "timeout"},
		{client.ErrNoServers, "no servers"},
		{client.ErrQuorumUnavailable, "quorum unavailable"},
		{nats.ErrNoResponders, "no responders"},
		{nats.ErrTimeout, "timeout"},
		{context.DeadlineExceeded, "timeout"},
		{context.Canceled, "canceled"},
		{nats.ErrConnectionClosed, "connection closed"},
		{nats.ErrSlowConsumer, "slow consumer"},
	}
	for _, k := range kinds {
		if errors.Is(err, k.target) {
			return k.name
		}
	}
	var jse jetstream.JetStreamError
	if errors.As(err, &jse) && jse.APIError() != nil {
		return "jetstream: " + jse.APIError().Description
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	if len(msg) > 60 {
		msg = msg[:60]
	}
	return msg
}
