//go:build race

package sim

// raceEnabled: under the race detector a run costs several times the CPU,
// so `go test -race` runs fewer seeds; `make test` runs the full count
// without it as well.
const raceEnabled = true
