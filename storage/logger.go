package storage

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/cockroachdb/pebble/v2"
)

// pebbleLogger routes pebble's log lines to slog. Pebble's default logger
// writes to the stdlib log (stderr) and calls os.Exit on Fatalf; a library
// must do neither behind its host's back.
type pebbleLogger struct {
	l *slog.Logger
}

var _ pebble.Logger = pebbleLogger{}

// Infof carries pebble's routine chatter (WAL recovery, flushes): Debug,
// since an operator rarely needs it.
func (p pebbleLogger) Infof(format string, args ...any) {
	p.log(slog.LevelDebug, format, args)
}

// Errorf carries background errors (failed compactions, slow disks).
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.log(slog.LevelError, format, args)
}

// Fatalf is called where pebble cannot continue (a failed MANIFEST write, a
// broken commit pipeline) and expects the call not to return. It logs and
// panics with a FatalError: continuing would run pebble past a violated
// invariant. Open converts such a panic into an error; elsewhere it crashes
// the process, which is what pebble intends and what durability needs (the
// WAL is replayed on restart).
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error("pebble: fatal: " + msg)
	panic(&FatalError{Msg: msg})
}

func (p pebbleLogger) log(level slog.Level, format string, args []any) {
	ctx := context.Background()
	if !p.l.Enabled(ctx, level) {
		return // skip formatting: pebble logs on hot-ish paths (flushes)
	}
	p.l.Log(ctx, level, "pebble: "+fmt.Sprintf(format, args...))
}

// FatalError is the panic value of pebble's Fatalf, and the error Open
// returns when pebble called Fatalf while opening.
type FatalError struct {
	Msg string
}

func (e *FatalError) Error() string { return "storage: pebble fatal error: " + e.Msg }

// Unwrap makes errors.Is(err, ErrFailed) true.
func (e *FatalError) Unwrap() error { return ErrFailed }
