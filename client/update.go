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
// what it read (every sibling) and writes fn's value with the read's causal
// context, so that the write supersedes exactly the values fn saw. A
// missing key gives fn a Result with no values (and the context of a
// deletion, if any). An error from fn ends Update with that error, as fn
// returned it, and nothing more written. opts apply to the reads and the
// writes alike; a WithCausalContext among them is ignored.
//
// The store has no conditional write: a write concurrent with Update's is
// not refused, it is kept beside it as a sibling. So after writing, Update
// reads the key back (with the same R: with R + W > N that read sees its
// write) and a concurrent change means exactly this: the read back returns
// more than one value. As Update's write superseded every value fn saw,
// each other value is a write fn did not see, one that raced it. Update
// then waits a short random backoff, calls fn again with all the values
// read back (its own previous value among them), writes the result with
// their context, superseding them all, and reads back again. It makes at
// most DefaultUpdateAttempts writes (WithMaxAttempts changes it); after the
// last it fails with an error that is ErrConflict, returning the PutResult
// of that write, which stays stored as one of the siblings.
//
// So fn must merge siblings, and merging its own previous value back in
// must not apply its change twice: set union, a per-writer counter (each
// writer sets its own entry; the merge takes the largest of each), a
// change that sets a field to a value. With such a function no update is
// lost, and when every Update has returned nil the key holds one value.
// A function that merely transforms one opaque value, such as an integer
// that it increments, cannot be made exact by any retry: once two writes
// race, both are stored, and nothing in two siblings "5" and "5" tells
// whether they hold one increment or two. Only a conditional write in the
// store could serialize such writers.
//
// In a namespace in lww mode racing writes never become siblings (the
// latest timestamp wins), so Update writes once: a concurrent Update may
// overwrite its change, which is what lww chooses.
//
// When the write succeeded and only the read back failed, Update returns
// the PutResult with that error.
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
