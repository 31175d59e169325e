package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestNeverEmpty(t *testing.T) {
	if Version() == "" || Commit() == "" || GoVersion() == "" {
		t.Fatalf("empty field: version %q commit %q go %q", Version(), Commit(), GoVersion())
	}
	if s := String("kvnode"); !strings.HasPrefix(s, "kvnode "+Version()+" (commit "+Commit()) {
		t.Fatalf("String = %q", s)
	}
}

func TestVCSCommit(t *testing.T) {
	for _, tc := range []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{nil, ""},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}}, "0123456789ab"},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}, "abc-dirty"},
		{[]debug.BuildSetting{{Key: "vcs.modified", Value: "true"}}, ""},
	} {
		if got := vcsCommit(tc.settings); got != tc.want {
			t.Errorf("vcsCommit(%v) = %q, want %q", tc.settings, got, tc.want)
		}
	}
}
