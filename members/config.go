package members

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Config tunes heartbeating and the phi accrual failure detector.
//
// A zero field means "use the default" (so Config{} is valid once
// validated); this also means a literal zero cannot be asked for, which no
// field needs: use the smallest positive value instead.
type Config struct {
	// Interval is the expected time between two heartbeats of a node, i.e.
	// how often the owner calls Tick and gossips. Default 250ms: four rounds
	// a second gives a detection time of about 1.3s (see the package doc)
	// while a digest of a few dozen members stays a negligible load on NATS.
	Interval time.Duration

	// PhiThreshold is the suspicion level (phi, unitless: -log10 of the
	// probability that a heartbeat is still coming) at or above which a peer
	// is considered down. Default 8, as in Cassandra and Akka: a 1e-8
	// chance of a false suspicion per check under the fitted model.
	PhiThreshold float64

	// MinStdDev is the floor on the standard deviation of the observed
	// inter-arrival times. Default 100ms: a perfectly regular peer would
	// otherwise get a near-zero deviation and be convicted by the first
	// garbage collection pause or scheduling hiccup.
	MinStdDev time.Duration

	// AcceptablePause is added to the observed mean interval before phi is
	// computed: silence of up to this long on top of the usual interval is
	// barely suspicious. Default 500ms (two missed rounds): absorbs a lost
	// gossip message, a GC pause or a brief NATS reconnect.
	AcceptablePause time.Duration

	// WindowSize is how many inter-arrival intervals each detector keeps.
	// Default 100, i.e. about 25s of history at the default Interval: enough
	// for a stable mean and deviation, short enough to adapt within half a
	// minute when the network changes.
	WindowSize int

	// FirstIntervals is how many real intervals a detector must have seen
	// before it trusts their statistics; until then it assumes a mean of
	// Interval and a deviation of max(Interval/4, MinStdDev). Default 3:
	// fewer samples say nothing about the spread, and through gossip the
	// first observed gaps are often odd (two peers relaying consecutive
	// heartbeats a few milliseconds apart). Must not exceed WindowSize.
	FirstIntervals int
}

// Defaults; see the Config fields for why.
const (
	DefaultInterval        = 250 * time.Millisecond
	DefaultPhiThreshold    = 8.0
	DefaultMinStdDev       = 100 * time.Millisecond
	DefaultAcceptablePause = 500 * time.Millisecond
	DefaultWindowSize      = 100
	DefaultFirstIntervals  = 3
)

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		Interval:        DefaultInterval,
		PhiThreshold:    DefaultPhiThreshold,
		MinStdDev:       DefaultMinStdDev,
		AcceptablePause: DefaultAcceptablePause,
		WindowSize:      DefaultWindowSize,
		FirstIntervals:  DefaultFirstIntervals,
	}
}

// Validate fills zero fields with their defaults and rejects values that
// make no sense: negative durations or counts, a non-finite or negative
// threshold, FirstIntervals larger than WindowSize. On error c is left
// partly filled and must not be used.
func (c *Config) Validate() error {
	d := DefaultConfig()
	fillDur(&c.Interval, d.Interval)
	fillDur(&c.MinStdDev, d.MinStdDev)
	fillDur(&c.AcceptablePause, d.AcceptablePause)
	if c.PhiThreshold == 0 {
		c.PhiThreshold = d.PhiThreshold
	}
	if c.WindowSize == 0 {
		c.WindowSize = d.WindowSize
	}
	if c.FirstIntervals == 0 {
		// A smaller window than the default FirstIntervals is legal; then
		// the window's own size is the most we can ask for.
		c.FirstIntervals = min(d.FirstIntervals, max(c.WindowSize, 1))
	}
	return c.check()
}

func fillDur(p *time.Duration, def time.Duration) {
	if *p == 0 {
		*p = def
	}
}

func (c *Config) check() error {
	var errs []error
	for _, f := range []struct {
		name string
		v    time.Duration
	}{
		{"Interval", c.Interval},
		{"MinStdDev", c.MinStdDev},
		{"AcceptablePause", c.AcceptablePause},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("members: %s %v is negative", f.name, f.v))
		}
	}
	if math.IsNaN(c.PhiThreshold) || math.IsInf(c.PhiThreshold, 0) || c.PhiThreshold <= 0 {
		errs = append(errs, fmt.Errorf("members: PhiThreshold %v must be a positive finite number", c.PhiThreshold))
	}
	if c.WindowSize < 0 {
		errs = append(errs, fmt.Errorf("members: WindowSize %d is negative", c.WindowSize))
	}
	if c.FirstIntervals < 0 {
		errs = append(errs, fmt.Errorf("members: FirstIntervals %d is negative", c.FirstIntervals))
	} else if c.WindowSize > 0 && c.FirstIntervals > c.WindowSize {
		// The window could never hold enough samples to be trusted.
		errs = append(errs, fmt.Errorf("members: FirstIntervals %d exceeds WindowSize %d", c.FirstIntervals, c.WindowSize))
	}
	return errors.Join(errs...)
}
