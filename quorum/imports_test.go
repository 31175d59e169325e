package quorum

import (
	"testing"

	"github.com/quorumkv/quorumkv/internal/purity"
)

// The package decides and never acts: no I/O, clock reads, randomness or
// concurrency, so a test can drive it through any order of events.
// Package time is allowed for time.Duration only (purity forbids reads).
func TestImportsStayPure(t *testing.T) {
	purity.Check(t, "os", "net", "sync", "syscall", "unsafe", "runtime", "io", "math/rand", "crypto/rand", "log", "embed")
}
