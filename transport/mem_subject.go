package transport

import (
	"strings"

	"github.com/nats-io/nats.go"
)

// Subject rules, as NATS applies them. A subject is dot-separated tokens.
// A subscription's subject may use "*" as a whole token, matching exactly
// one token, and ">" as a whole last token, matching one or more tokens.
// A token such as "a*" or "b>" is a plain literal. A published subject is
// literal: its tokens are compared as they are, so publishing to "a.*"
// reaches a subscription to "a.*" or "a.>" but not one to "a.b".

const (
	tokenSep = "."
	tokenOne = "*"
	tokenAll = ">"
)

// hasSpace reports whether s holds whitespace, which the NATS protocol
// uses as a separator and nats.go therefore rejects in subjects.
func hasSpace(s string) bool { return strings.ContainsAny(s, " \t\r\n") }

// checkPublish validates a published subject and reply the way nats.go
// does: only emptiness and whitespace are errors. A subject with an
// empty token ("a..b") is accepted but reaches nobody (see literalTokens).
func checkPublish(subject, reply string) error {
	if subject == "" || hasSpace(subject) || hasSpace(reply) {
		return nats.ErrBadSubject
	}
	return nil
}

// parsePattern validates a subscription subject and splits it into
// tokens. nats.go rejects whitespace and empty tokens itself; a ">" that
// is not the last token is rejected by the NATS server, asynchronously.
// Mem rejects all of them at once, which a caller can only find stricter.
func parsePattern(subject string) ([]string, error) {
	if subject == "" {
		return nil, errEmptySubject
	}
	if hasSpace(subject) {
		return nil, nats.ErrBadSubject
	}
	tokens := strings.Split(subject, tokenSep)
	for i, t := range tokens {
		if t == "" || (t == tokenAll && i != len(tokens)-1) {
			return nil, nats.ErrBadSubject
		}
	}
	return tokens, nil
}

// literalTokens splits a published subject. ok is false when a token is
// empty: the NATS server's sublist matches such a subject to nothing (so
// a request to it gets no-responders), and so does Mem.
func literalTokens(subject string) (tokens []string, ok bool) {
	tokens = strings.Split(subject, tokenSep)
	for _, t := range tokens {
		if t == "" {
			return nil, false
		}
	}
	return tokens, true
}

// matchTokens reports whether a published subject's tokens match a
// subscription's pattern tokens (as parsePattern returns them).
func matchTokens(pattern, subject []string) bool {
	for i, p := range pattern {
		if p == tokenAll {
			return len(subject) > i // ">" needs at least one token
		}
		if i >= len(subject) || (p != tokenOne && p != subject[i]) {
			return false
		}
	}
	return len(pattern) == len(subject)
}
