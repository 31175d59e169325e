package bench

import (
	"errors"
	"fmt"
	"slices"
)

// MaxRate is the median throughput of the run phases of the result files
// at paths (the lower middle one of an even count, the run the report
// shows for the row): the closed-loop maximum an open loop's rate is a
// fraction of.
// A file without a run phase that answered anything is an error, since a
// rate derived from it would mean nothing.
func MaxRate(paths []string) (float64, error) {
	if len(paths) == 0 {
		return 0, errors.New("no result file to take the maximum rate from")
	}
	var rates []float64
	for _, path := range paths {
		res, err := ReadResult(path)
		if err != nil {
			return 0, err
		}
		p, ok := res.phase("run")
		if !ok || p.throughput() == 0 {
			return 0, fmt.Errorf("%s: no run phase with answered operations", path)
		}
		rates = append(rates, p.throughput())
	}
	return median(rates), nil
}

// median is the middle value of xs, the lower of the two middle ones for
// an even count, as the report picks a row's median run; xs is not
// changed.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[(len(s)-1)/2]
}
