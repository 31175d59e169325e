package ring

import (
	"testing"

	"github.com/quorumkv/quorumkv/internal/purity"
)

// The ring must be a pure function of its inputs so every node computes the
// same placement: no I/O, clocks, randomness or concurrency.
func TestImportsAndPurity(t *testing.T) {
	purity.Check(t, "os", "net", "time", "sync", "syscall", "unsafe", "runtime", "io", "math/rand", "crypto/rand", "log", "embed")
}
