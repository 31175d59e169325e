package merkle

import (
	"testing"

	"github.com/quorumkv/quorumkv/internal/purity"
)

func TestPackageIsPure(t *testing.T) {
	purity.Check(t, "os", "net", "time", "sync", "syscall", "unsafe", "runtime", "io", "math/rand", "crypto/rand", "log")
}
