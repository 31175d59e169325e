package members

import (
	"math"
	"testing"
	"time"
)

func TestValidateFillsDefaults(t *testing.T) {
	var c Config
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c != DefaultConfig() {
		t.Fatalf("zero config validated to %+v, want %+v", c, DefaultConfig())
	}
	d := DefaultConfig()
	if err := d.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}

func TestValidateKeepsSetFields(t *testing.T) {
	c := Config{Interval: time.Second, PhiThreshold: 12, WindowSize: 2}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Interval != time.Second || c.PhiThreshold != 12 || c.WindowSize != 2 {
		t.Fatalf("set fields overwritten: %+v", c)
	}
	// A window smaller than the default FirstIntervals caps it.
	if c.FirstIntervals != 2 {
		t.Fatalf("FirstIntervals = %d, want 2", c.FirstIntervals)
	}
	if c.MinStdDev != DefaultMinStdDev || c.AcceptablePause != DefaultAcceptablePause {
		t.Fatalf("zero fields not filled: %+v", c)
	}
}

func TestValidateRejectsNonsense(t *testing.T) {
	for name, c := range map[string]Config{
		"negative interval":     {Interval: -time.Millisecond},
		"negative min stddev":   {MinStdDev: -1},
		"negative pause":        {AcceptablePause: -1},
		"negative threshold":    {PhiThreshold: -1},
		"NaN threshold":         {PhiThreshold: math.NaN()},
		"infinite threshold":    {PhiThreshold: math.Inf(1)},
		"negative window":       {WindowSize: -1},
		"negative first":        {FirstIntervals: -1},
		"first exceeds window":  {WindowSize: 5, FirstIntervals: 6},
		"first exceeds default": {FirstIntervals: DefaultWindowSize + 1},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, c)
		}
	}
}

func TestConstructorsPanicOnBadConfig(t *testing.T) {
	mustPanic(t, "NewDetector", func() { NewDetector(Config{PhiThreshold: -1}, epoch) })
	mustPanic(t, "NewTable", func() { NewTable(Member{ID: "a"}, Config{WindowSize: -1}, epoch) })
	mustPanic(t, "NewTable empty ID", func() { NewTable(Member{}, Config{}, epoch) })
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}
