// Package buildinfo names the build a binary came from: the release
// version and the VCS commit, for --version, status and the
// quorumkv_build_info metric.
//
// Invariant: Version and Commit are never empty. A release build sets
// them with -ldflags "-X github.com/quorumkv/quorumkv/internal/buildinfo.version=v1.2.3
// -X ...buildinfo.commit=abc123"; otherwise they come from the module and
// VCS stamps Go embeds (go build in a git checkout), else "dev" and
// "unknown".
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
)

// Set by -ldflags -X at release builds.
var (
	version string
	commit  string
)

var load = sync.OnceValues(func() (string, string) {
	v, c := version, commit
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		if c == "" {
			c = vcsCommit(info.Settings)
		}
	}
	if v == "" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	}
	return v, c
})

func vcsCommit(settings []debug.BuildSetting) string {
	var rev, dirty string
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}

// Version is the release version ("v1.2.3"), or "dev".
func Version() string { v, _ := load(); return v }

// Commit is the VCS commit (12 hex digits, "-dirty" if the tree had
// changes), or "unknown".
func Commit() string { _, c := load(); return c }

// GoVersion is the Go release the binary was built with.
func GoVersion() string { return runtime.Version() }

// String is the one line --version prints: "kvnode v1.2.3 (commit abc123, go1.26.8)".
func String(program string) string {
	return fmt.Sprintf("%s %s (commit %s, %s)", program, Version(), Commit(), GoVersion())
}
