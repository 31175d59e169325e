package client

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quorumkv/quorumkv/messages"
)

// Sentinel errors, for errors.Is. A failure reported by a node is an *Error
// whose Is method maps its code onto these; a failure on the client side
// wraps them.
var (
	// ErrNotFound: Get found no value for the key. It comes with a Result
	// whose Context may still be set (a tombstone's context, for instance).
	ErrNotFound = errors.New("not found")
	// ErrQuorumUnavailable: fewer replicas than R or W could be reached.
	ErrQuorumUnavailable = errors.New("quorum unavailable")
	// ErrTimeout: the quorum did not form in time (reported by the node), no
	// answer arrived in time, or the caller's ctx passed its deadline.
	ErrTimeout = errors.New("timeout")
	// ErrInvalidArgument: the request is wrong and retrying it will not help:
	// invalid key, value too large, bad R/W or namespace definition, bad
	// context token, unknown namespace, malformed request. The *Error keeps
	// the precise code.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrUnknownNamespace: the namespace does not exist. It is also an
	// ErrInvalidArgument.
	ErrUnknownNamespace = errors.New("unknown namespace")
	// ErrCorrupt: a stored record failed its checksum; it is never served.
	ErrCorrupt = errors.New("corrupt record")
	// ErrNoServers: no node serves the request ("no responders"), or the
	// client is not connected to NATS.
	ErrNoServers = errors.New("no servers")
	// ErrInternal: a node failed for a reason it could not classify.
	ErrInternal = errors.New("internal error")
	// ErrPermissionDenied: NATS refused to let this client publish a
	// request on its subject (or subscribe to the replies); the message
	// names the subject. The user's permissions in the server
	// configuration decide it; retrying does not help.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrAuthFailed: the server refused the credentials at Connect (or
	// there were none and it requires some).
	ErrAuthFailed = errors.New("authentication failed")
	// ErrTLS: TLS failed at Connect: a certificate not trusted, a client
	// certificate the server refused or did not get, a TLS file that does
	// not load, or one side wanting TLS and the other not. Its message
	// starts with "tls:".
	ErrTLS = errors.New("tls")
	// ErrConflict: Update gave up because concurrent writers kept
	// changing the key; see Update.
	ErrConflict = errors.New("conflict")
)

// Error is a failure reported by a node, or detected by the client before
// it sent anything. Read it with errors.As; test its kind with errors.Is
// against the sentinels.
type Error struct {
	// Code is the machine-readable kind; never ERROR_CODE_OK.
	Code messages.ErrorCode
	// Message is the human-readable detail.
	Message string
	// Got and Needed are the replicas that answered and the replicas the
	// quorum needed, for ERROR_CODE_QUORUM_UNAVAILABLE and ERROR_CODE_TIMEOUT.
	Got, Needed int
}

// Error formats as "<kind> (got G, need N): <message>", the parenthesis only
// when Needed is set.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(CodeText(e.Code))
	if e.Needed > 0 && e.Code != messages.ErrorCode_ERROR_CODE_VALUE_TOO_LARGE { // its message has them
		fmt.Fprintf(&b, " (got %d, need %d)", e.Got, e.Needed)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Is maps the code onto the sentinel errors.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrInvalidArgument:
		return isInvalidArgument(e.Code)
	case ErrUnknownNamespace:
		return e.Code == messages.ErrorCode_ERROR_CODE_UNKNOWN_NAMESPACE
	case ErrQuorumUnavailable:
		return e.Code == messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE
	case ErrTimeout:
		return e.Code == messages.ErrorCode_ERROR_CODE_TIMEOUT
	case ErrCorrupt:
		return e.Code == messages.ErrorCode_ERROR_CODE_CORRUPT
	case ErrInternal:
		return e.Code == messages.ErrorCode_ERROR_CODE_INTERNAL
	}
	return false
}

func isInvalidArgument(c messages.ErrorCode) bool {
	switch c {
	case messages.ErrorCode_ERROR_CODE_INVALID_KEY,
		messages.ErrorCode_ERROR_CODE_VALUE_TOO_LARGE,
		messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT,
		messages.ErrorCode_ERROR_CODE_BAD_CONTEXT,
		messages.ErrorCode_ERROR_CODE_UNKNOWN_NAMESPACE,
		messages.ErrorCode_ERROR_CODE_MALFORMED_REQUEST:
		return true
	}
	return false
}

// CodeText is the short human name of an error code, e.g. "quorum
// unavailable" for ERROR_CODE_QUORUM_UNAVAILABLE.
func CodeText(c messages.ErrorCode) string {
	switch c {
	case messages.ErrorCode_ERROR_CODE_OK:
		return "ok"
	case messages.ErrorCode_ERROR_CODE_INVALID_KEY:
		return "invalid key"
	case messages.ErrorCode_ERROR_CODE_VALUE_TOO_LARGE:
		return "value too large"
	case messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT:
		return "invalid argument"
	case messages.ErrorCode_ERROR_CODE_BAD_CONTEXT:
		return "bad context"
	case messages.ErrorCode_ERROR_CODE_UNKNOWN_NAMESPACE:
		return "unknown namespace"
	case messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE:
		return "quorum unavailable"
	case messages.ErrorCode_ERROR_CODE_TIMEOUT:
		return "timeout"
	case messages.ErrorCode_ERROR_CODE_MALFORMED_REQUEST:
		return "malformed request"
	case messages.ErrorCode_ERROR_CODE_CORRUPT:
		return "corrupt record"
	case messages.ErrorCode_ERROR_CODE_INTERNAL:
		return "internal error"
	}
	return "error code " + strconv.Itoa(int(c))
}

// wireError turns the error field of a response into an error; nil and
// ERROR_CODE_OK are success.
func wireError(e *messages.Error) error {
	if e == nil || e.Code == messages.ErrorCode_ERROR_CODE_OK {
		return nil
	}
	return &Error{Code: e.Code, Message: e.Message, Got: int(e.Got), Needed: int(e.Needed)}
}

// invalid is a client-side ERROR_CODE_INVALID_ARGUMENT (or another code
// of the invalid-argument family).
func invalid(code messages.ErrorCode, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ctxError is the error of a call whose ctx ended. It is ctx.Err() and,
// for a deadline, ErrTimeout as well.
func ctxError(ctx context.Context, subject string) error {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w (%w)", subject, ErrTimeout, err)
	}
	return fmt.Errorf("%s: %w", subject, err)
}

// transportError classifies a failed NATS request that waited at most wait.
func (c *Client) transportError(ctx context.Context, subject string, wait time.Duration, err error) error {
	if errors.Is(err, ErrPermissionDenied) {
		return err
	}
	if ctx.Err() != nil {
		return ctxError(ctx, subject)
	}
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return quiet(fmt.Sprintf("%v: no node serves %s", ErrNoServers, subject), ErrNoServers, err)
	case errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		// Not wrapped: the caller's ctx is live, so this is no ctx error.
		if !c.nc.IsConnected() {
			return fmt.Errorf("%s: %w: %w: not connected to NATS (waited %v)", subject, ErrTimeout, ErrNoServers, wait)
		}
		return fmt.Errorf("%s: %w: no answer within %v", subject, ErrTimeout, wait)
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrDisconnected),
		errors.Is(err, nats.ErrInvalidConnection), errors.Is(err, nats.ErrConnectionDraining):
		return quiet(fmt.Sprintf("%v: %s: %v", ErrNoServers, subject, cleanNATS(err)), ErrNoServers, err)
	case errors.Is(err, nats.ErrMaxPayload):
		// Put turns this into the node's value limit (see valueTooLarge);
		// the chain keeps nats.ErrMaxPayload so that it can tell.
		e := invalid(messages.ErrorCode_ERROR_CODE_VALUE_TOO_LARGE,
			"the request is larger than the server accepts (%d bytes)", c.nc.MaxPayload())
		return quiet(e.Error(), e, err)
	}
	return quiet(fmt.Sprintf("%s: %v", subject, cleanNATS(err)), err)
}
