package actors

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/storage"
	"github.com/quorumkv/quorumkv/vclock"
)

// apiError is a failure with the machine-readable code that crosses the wire.
type apiError struct {
	code        messages.ErrorCode
	msg         string
	got, needed int
}

func (e *apiError) Error() string { return e.msg }

func errorf(code messages.ErrorCode, format string, args ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

func quorumError(code messages.ErrorCode, what string, got, needed int) *apiError {
	return &apiError{code: code, got: got, needed: needed,
		msg: fmt.Sprintf("%s got %d of %d replica acknowledgements", what, got, needed)}
}

// forKey restates a failed quorum answer in the user's terms: which
// operation on which key failed, how far it got, and what to try. Code,
// got and needed are kept.
func forKey(e *apiError, ns, key string, timeout time.Duration) *apiError {
	if e == nil {
		return nil
	}
	op, knob := "write", "w"
	if strings.HasPrefix(e.msg, "read") {
		op, knob = "read", "r"
	}
	out := *e
	switch e.code {
	case messages.ErrorCode_ERROR_CODE_TIMEOUT:
		out.msg = fmt.Sprintf("%s of key %q in namespace %q timed out after %v with %d of %d replica acknowledgements; retry, or allow a longer timeoutMs",
			op, key, nsName(ns), timeout, e.got, e.needed)
	case messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE:
		out.msg = fmt.Sprintf("%s of key %q in namespace %q got %d of %d replica acknowledgements and too few replicas are up for more; retry when nodes are back, or ask for a smaller %s",
			op, key, nsName(ns), e.got, e.needed, knob)
	}
	return &out
}

func nsName(ns string) string {
	if ns == "" {
		return DefaultNamespace
	}
	return ns
}

// protoErrorText is a protobuf or protojson decoding error without the
// library's "proto:" prefix (written with a space or, at random, a
// non-breaking one), which means nothing to a client.
func protoErrorText(err error) string {
	s := strings.TrimPrefix(err.Error(), "proto:")
	return strings.TrimLeft(s, " \u00a0")
}

// contextErrorText is why a causal context token did not decode, without
// the vclock package's prefix.
func contextErrorText(err error) string {
	s := err.Error()
	if rest, ok := strings.CutPrefix(s, vclock.ErrBadContext.Error()+": "); ok {
		return rest
	}
	return strings.TrimPrefix(s, vclock.ErrBadContext.Error())
}

// storageErrorText is a storage error without the package's "storage: "
// prefixes, which it may carry more than once when errors are wrapped.
func storageErrorText(err error) string {
	return strings.ReplaceAll(err.Error(), "storage: ", "")
}

// toAPIError classifies any error for the wire.
func toAPIError(err error) *apiError {
	if err == nil {
		return nil
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, storage.ErrCorrupt) {
		return errorf(messages.ErrorCode_ERROR_CODE_CORRUPT, "a stored record is damaged: %s", storageErrorText(err))
	}
	return errorf(messages.ErrorCode_ERROR_CODE_INTERNAL, "the node failed: %s", storageErrorText(err))
}

func (e *apiError) proto() *messages.Error {
	if e == nil {
		return nil
	}
	return &messages.Error{Code: e.code, Message: e.msg, Got: uint32(e.got), Needed: uint32(e.needed)}
}

func apiErrorFromProto(p *messages.Error) *apiError {
	if p == nil || p.Code == messages.ErrorCode_ERROR_CODE_OK {
		return nil
	}
	return &apiError{code: p.Code, msg: p.Message, got: int(p.Got), needed: int(p.Needed)}
}
