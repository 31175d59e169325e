package bench

import (
	"os"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	line := "1234 (kv node) S 1 1234 1234 0 -1 4194560 2539 0 0 0 250 75 0 0 20 0 12 0 5 0 0\n"
	d, err := parseProcStat(line)
	if err != nil || d != 3250*time.Millisecond {
		t.Errorf("parseProcStat = %v, %v; want 3.25s", d, err)
	}
	for _, bad := range []string{"", "1234 kvnode S 1", "1 (x) S 1 2"} {
		if _, err := parseProcStat(bad); err == nil {
			t.Errorf("parseProcStat(%q) accepted", bad)
		}
	}
}

func TestParseMachineStat(t *testing.T) {
	stat := "cpu  1000 10 300 5000 40 5 15 70 0 0\ncpu0 500 5 150 2500 20 2 7 35 0 0\nintr 1\n"
	busy, steal, err := parseMachineStat(stat)
	if err != nil || busy != 13300*time.Millisecond || steal != 700*time.Millisecond {
		t.Errorf("parseMachineStat = %v, %v, %v; want 13.3s busy, 0.7s steal", busy, steal, err)
	}
	if _, _, err := parseMachineStat("intr 1\n"); err == nil {
		t.Error("stat without a cpu line accepted")
	}
}

func TestCPUMeterOwnProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	m := cpuMeter{pids: []int{os.Getpid()}}
	a := m.sample()
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	u := cpuBetween(a, m.sample())
	if u.ClientSeconds <= 0 || u.ClientSeconds > 5 {
		t.Errorf("client CPU = %vs after spinning 50ms", u.ClientSeconds)
	}
	if gone := (cpuMeter{pids: []int{1 << 30}}).sample(); gone.serversOK {
		t.Error("a missing pid read as OK")
	}
}
