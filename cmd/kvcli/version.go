package main

import (
	"context"
	"fmt"

	"github.com/quorumkv/quorumkv/internal/buildinfo"
)

// versionView is the JSON of kvcli version.
type versionView struct {
	Program string `json:"program"`
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Go      string `json:"go"`
}

// runVersion prints kvcli's build: the line --version prints, or its parts.
func runVersion(_ context.Context, a *app, _ store, inv *invocation) error {
	switch inv.out {
	case formatJSON:
		return writeLine(a.stdout, versionView{Program: "kvcli", Version: buildinfo.Version(),
			Commit: buildinfo.Commit(), Go: buildinfo.GoVersion()})
	case formatValue:
		return writeValue(a.stdout, buildinfo.Version())
	}
	_, err := fmt.Fprintln(a.stdout, buildinfo.String("kvcli"))
	return err
}
