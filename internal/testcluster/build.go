package testcluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Binaries builds kvnode and kvcli once per test process and returns their
// paths. The module root is found from this source file's location.
func Binaries() (kvnode, kvcli string, err error) {
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "quorumkv-bin-")
		if buildErr != nil {
			return
		}
		root := moduleRoot()
		for name, pkg := range map[string]string{"kvnode": "./cmd/node", "kvcli": "./cmd/kvcli"} {
			args := []string{"build", "-o", filepath.Join(buildDir, name)}
			if RaceBinaries() {
				args = append(args, "-race")
			}
			cmd := exec.Command("go", append(args, pkg)...)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	return filepath.Join(buildDir, "kvnode"), filepath.Join(buildDir, "kvcli"), buildErr
}

// RaceBinaries reports whether the binaries are built with the race
// detector (QUORUMKV_RACE=1, as `make test` sets): the nodes of the
// end-to-end tests then report data races too.
func RaceBinaries() bool { return os.Getenv("QUORUMKV_RACE") == "1" }

func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
