package members

import (
	"testing"

	"github.com/quorumkv/quorumkv/internal/purity"
)

// The package does no I/O and no networking, is owned by one actor so needs
// no locks, and takes time as arguments (it may use time's types).
func TestNonTestFilesArePure(t *testing.T) {
	purity.Check(t, "os", "net", "sync", "syscall", "unsafe", "io")
}
