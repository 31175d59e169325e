package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
)

// NATS tells a client that it may not publish on a subject only
// asynchronously: the server drops the message and sends
// -ERR 'Permissions Violation for Publish to "<subject>"', which nats.go
// hands to the connection's error handler. A request on that subject would
// otherwise wait for its whole timeout. So every request registers itself
// under its subject while it waits, and the error handler cancels the
// requests on a denied subject with an ErrPermissionDenied cause.

// denials tracks the requests under way by subject.
type denials struct {
	// replies is the subject on which the connection's replies arrive
	// ("_INBOX.<id>.*"); a subscribe violation on it fails every request.
	replies string

	// mu guards the fields below.
	mu sync.Mutex
	// waiting holds, per subject, the cancel functions of the requests
	// waiting for an answer on it.
	waiting map[string]map[uint64]context.CancelCauseFunc
	next    uint64
	// repliesDenied is set once the server refused the reply subscription:
	// no answer can arrive after that, so requests fail at once.
	repliesDenied error
}

var (
	publishDenied   = regexp.MustCompile(`(?i)publish to "([^"]+)"`)
	subscribeDenied = regexp.MustCompile(`(?i)subscription to "([^"]+)"`)
)

// watch registers a request on subject. The returned context is ctx, but
// cancelled with an ErrPermissionDenied cause if the server refuses the
// subject; done unregisters the request.
func (d *denials) watch(ctx context.Context, subject string) (context.Context, func(), error) {
	wctx, cancel := context.WithCancelCause(ctx)
	d.mu.Lock()
	if err := d.repliesDenied; err != nil {
		d.mu.Unlock()
		cancel(nil)
		return nil, nil, err
	}
	if d.waiting == nil {
		d.waiting = map[string]map[uint64]context.CancelCauseFunc{}
	}
	set := d.waiting[subject]
	if set == nil {
		set = map[uint64]context.CancelCauseFunc{}
		d.waiting[subject] = set
	}
	d.next++
	id := d.next
	set[id] = cancel
	d.mu.Unlock()
	return wctx, func() {
		d.mu.Lock()
		if set := d.waiting[subject]; set != nil {
			delete(set, id)
			if len(set) == 0 {
				delete(d.waiting, subject)
			}
		}
		d.mu.Unlock()
		cancel(nil)
	}, nil
}

// deny fails the requests waiting on subject, or every request if subject
// is "".
func (d *denials) deny(subject string, cause error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for s, set := range d.waiting {
		if subject == "" || s == subject {
			for _, cancel := range set {
				cancel(cause)
			}
		}
	}
}

// onPermissionError turns a permissions violation into the failure of the
// requests it concerns. It reports whether the error was one.
func (d *denials) onPermissionError(err error) bool {
	if !errors.Is(err, nats.ErrPermissionViolation) {
		return false
	}
	text := err.Error()
	if m := publishDenied.FindStringSubmatch(text); m != nil {
		d.deny(m[1], fmt.Errorf("%w: not allowed to publish to %s", ErrPermissionDenied, m[1]))
		return true
	}
	if m := subscribeDenied.FindStringSubmatch(text); m != nil && m[1] == d.replies {
		cause := fmt.Errorf("%w: not allowed to subscribe to %s, where replies arrive (grant subscribe on %s>)",
			ErrPermissionDenied, m[1], strings.TrimSuffix(m[1], "*"))
		d.mu.Lock()
		d.repliesDenied = cause
		d.mu.Unlock()
		d.deny("", cause)
		return true
	}
	return false
}

// replySubject is the subscription on which nc's request replies arrive.
func replySubject(nc *nats.Conn) string {
	inbox := nc.NewRespInbox()
	return inbox[:strings.LastIndexByte(inbox, '.')+1] + "*"
}

// installErrorHandler puts the client's handler in front of the one nc
// has, which gets every error too.
func (c *Client) installErrorHandler() {
	c.denials.replies = replySubject(c.nc)
	next := c.nc.ErrorHandler()
	c.nc.SetErrorHandler(func(nc *nats.Conn, sub *nats.Subscription, err error) {
		c.denials.onPermissionError(err)
		if next != nil {
			next(nc, sub, err)
		}
	})
}

// logAsyncError is the error handler of a connection Connect dials, unless
// WithNATSOptions sets one: instead of nats.go's default, which prints to
// stderr, it logs with slog. A permissions violation fails the request it
// concerns, so it is only worth a debug line.
func logAsyncError(_ *nats.Conn, _ *nats.Subscription, err error) {
	if errors.Is(err, nats.ErrPermissionViolation) {
		slog.Debug("quorumkv client: NATS refused a subject", "err", err)
		return
	}
	slog.Warn("quorumkv client: NATS error", "err", err)
}
