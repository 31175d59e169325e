package actors

import (
	"time"

	"github.com/quorumkv/quorumkv/messages"
	"github.com/quorumkv/quorumkv/quorum"
)

// checkKey enforces the key limits.
func checkKey(key string, maxKey int) *apiError {
	switch {
	case key == "":
		return errorf(messages.ErrorCode_ERROR_CODE_INVALID_KEY, "key is empty")
	case len(key) > maxKey:
		return errorf(messages.ErrorCode_ERROR_CODE_INVALID_KEY, "key is %d bytes, the limit is %d", len(key), maxKey)
	}
	return nil
}

// planRequest combines a namespace's defaults with a request's options
// (quorum.NewPlan) and refuses a quorum kind it does not know.
func planRequest(ns *messages.Namespace, o *messages.RequestOptions, defaultTimeout, maxTimeout time.Duration) (quorum.Plan, *apiError) {
	d := quorum.Defaults{N: int(ns.N), R: int(ns.R), W: int(ns.W)}
	p, err := quorum.NewPlan(d, requestOptions(o), defaultTimeout, maxTimeout)
	if err != nil {
		return p, errorf(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, "%v", err)
	}
	switch o.GetQuorum() {
	case messages.Quorum_QUORUM_DEFAULT, messages.Quorum_QUORUM_SLOPPY, messages.Quorum_QUORUM_STRICT:
		return p, nil
	}
	return p, errorf(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, "unknown quorum kind %d", o.Quorum)
}

// requestOptions reads a request's overrides; nil overrides nothing.
func requestOptions(o *messages.RequestOptions) quorum.Options {
	if o == nil {
		return quorum.Options{}
	}
	return quorum.Options{R: int(o.R), W: int(o.W), Strict: o.Quorum == messages.Quorum_QUORUM_STRICT,
		Timeout: time.Duration(o.TimeoutMs) * time.Millisecond}
}
