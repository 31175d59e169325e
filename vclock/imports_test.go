package vclock

import (
	"testing"

	"github.com/quorumkv/quorumkv/internal/purity"
)

// The package is pure computation: standard library only, and nothing that
// does I/O, reads the clock or starts concurrency. Test files may use more.
func TestImportsStayPure(t *testing.T) {
	purity.Check(t, "os", "net", "time", "sync", "syscall", "unsafe", "io/fs", "os/exec", "runtime")
}
