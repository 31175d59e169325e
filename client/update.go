package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/quorumkv/quorumkv/messages"
)

// DefaultUpdateAttempts is how many writes Update makes at most before it
// gives up with ErrConflict. Each retry follows a write that raced another
// one, so several in a row mean a key many writers hammer at once; ten,
// with the backoff between them, ride out bursts of a few dozen writers
// without spinning for long.
const DefaultUpdateAttempts = 10

// Backoff between Update attempts: a random wait below a ceiling that
// doubles from updateBackoffMin up to updateBackoffMax, so that writers
// that raced spread out instead of racing again.
const (
	updateBackoffMin = 2 * time.Millisecond
	updateBackoffMax = 200 * time.Millisecond
)

// Update is a read-modify-write of key: it reads the key, calls fn with
// what it read and writes fn's value with the read's causal context, so
// that the write supersedes exactly the values fn saw. A missing key gives
// fn a Result with no values (and the context of a deletion, if any). An
// error from fn ends Update with that error and nothing written.
//
// The store has no conditional write: a write concurrent with this one is
// never refused, it becomes a sibling. So after its write Update reads the
// key again (with the same R), and a concurrent change is exactly this:
// that read shows more than one value. Every value but one is then a write
// that fn has not seen (in a namespace in siblings mode a write that saw
// the values it replaces never leaves them as siblings). Update then calls
// fn again with those siblings, which include its own previous value, and
// writes the result with their context, after a short random backoff. It
// makes at most DefaultUpdateAttempts writes (WithMaxAttempts changes it)
// and then fails with an error that is ErrConflict, with the PutResult of
// its last write, which stays stored as one of the siblings.
//
// Because of the retry, fn must merge siblings, and merging its own
// previous value back in must not apply its change twice: set union,
// per-writer counters (a G-counter: each writer sets its own entry, the
// merge takes the largest of each), or a change that sets a field to a
// value. Then no update is lost: each Update that returns nil left its
// change in a single value that every later read sees.
//
// In a namespace in lww mode concurrent writes never become siblings, the
// write with the latest timestamp wins, and Update never retries: a
// concurrent Update may overwrite this one's change, as lww chooses.
//
// When the write succeeded and only the read after it failed, Update
// returns the PutResult with that error.
func (c *Client) Update(ctx context.Context, key string, fn func(current *Result) ([]byte, error), opts ...Option) (*PutResult, error) {
	o, err := prepare(ctx, messages.SubjectPut, key, opts)
	if err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, invalid(messages.ErrorCode_ERROR_CODE_INVALID_ARGUMENT, "Update needs a function")
	}
	attempts := o.attempts
	if attempts == 0 {
		attempts = DefaultUpdateAttempts
	}
	current, err := c.current(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	putOpts := append(opts[:len(opts):len(opts)], nil)
	for attempt := 1; ; attempt++ {
		value, err := fn(current)
		if err != nil {
			return nil, err
		}
		putOpts[len(putOpts)-1] = WithCausalContext(current.Context)
		res, err := c.Put(ctx, key, value, putOpts...)
		if err != nil {
			return nil, err
		}
		if current, err = c.current(ctx, key, opts); err != nil {
			return res, fmt.Errorf("key %q: written, but reading it back to look for concurrent writes failed: %w", key, err)
		}
		if len(current.Values) <= 1 {
			return res, nil
		}
		if attempt >= attempts {
			return res, fmt.Errorf("key %q: %w: concurrent writes still left %d values after %d attempts",
				key, ErrConflict, len(current.Values), attempts)
		}
		if err := sleep(ctx, updateBackoff(attempt)); err != nil {
			return res, ctxError(ctx, messages.SubjectPut)
		}
	}
}

// current is Get with a missing key as a Result without values.
func (c *Client) current(ctx context.Context, key string, opts []Option) (*Result, error) {
	r, err := c.Get(ctx, key, opts...)
	if errors.Is(err, ErrNotFound) {
		return r, nil
	}
	return r, err
}

// updateBackoff is the wait after the attempt-th write raced another.
func updateBackoff(attempt int) time.Duration {
	ceiling := updateBackoffMax
	if attempt < 8 {
		ceiling = min(updateBackoffMin<<attempt, updateBackoffMax)
	}
	return rand.N(ceiling)
}

// sleep waits d or until ctx ends, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
