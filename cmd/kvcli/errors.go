package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/quorumkv/quorumkv/client"
	"github.com/quorumkv/quorumkv/messages"
)

// keyError says which operation on which key failed and why, in the
// user's terms. It keeps err's kind for errors.Is (and so the exit status).
func keyError(op, key string, inv *invocation, err error) error {
	if errors.Is(err, client.ErrNotFound) {
		if inv.opts.namespace != "" {
			return fmt.Errorf("key %q not found in namespace %q: %w", key, inv.opts.namespace, client.ErrNotFound)
		}
		return fmt.Errorf("key %q: %w", key, client.ErrNotFound)
	}
	return fmt.Errorf("%s %q: %w", op, key, explain(err))
}

// explain rewords the errors whose own words are the wire's or a
// library's rather than the user's, and adds a hint where one helps.
func explain(err error) error {
	var e *client.Error
	if !errors.As(err, &e) {
		switch {
		case errors.Is(err, client.ErrPermissionDenied):
			// The SDK's message names the subject; say whose permission
			// is missing.
			return &reworded{strings.Replace(err.Error(), "not allowed to ", "this user may not ", 1), err}
		case errors.Is(err, client.ErrNoServers):
			return fmt.Errorf("%w (hint: is the cluster up, and is --server one of its nodes?)", err)
		}
		return err
	}
	switch e.Code {
	case messages.ErrorCode_ERROR_CODE_BAD_CONTEXT:
		return &client.Error{Code: e.Code, Message: fmt.Sprintf("the --context token is not one a get "+
			"printed (%s); copy it from 'kvcli get KEY -o json', or write with --no-context",
			strings.TrimPrefix(e.Message, "vclock: "))}
	case messages.ErrorCode_ERROR_CODE_UNKNOWN_NAMESPACE:
		return fmt.Errorf("%w (hint: 'kvcli ns list' shows the namespaces, 'kvcli ns create' makes one)", err)
	case messages.ErrorCode_ERROR_CODE_QUORUM_UNAVAILABLE:
		return fmt.Errorf("%w (hint: 'kvcli status' shows which members are down)", err)
	}
	return err
}
