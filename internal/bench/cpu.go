package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// 100 on every Linux architecture Go supports (sysconf needs cgo).
const clockTicks = 100

// cpuMeter samples the CPU time used by kvbench itself and by the server
// processes it was told about (--server-pids), so that a report can say
// what each operation cost, not only how long it took. On a machine where
// load generator and servers share the CPUs this tells a server that is
// slow from one that is starved.
type cpuMeter struct {
	pids []int
}

// cpuSample is the CPU time used so far.
type cpuSample struct {
	client  time.Duration
	servers time.Duration
	// serversOK is false when a server's /proc entry could not be read.
	serversOK bool
	// busy and steal are the whole machine's, from /proc/stat: busy is
	// every CPU's non-idle time, steal the time the hypervisor gave to
	// other guests. machineOK is false when /proc/stat is unreadable.
	busy, steal time.Duration
	machineOK   bool
}

func (m cpuMeter) sample() cpuSample {
	s := cpuSample{serversOK: len(m.pids) > 0}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		s.busy, s.steal, err = parseMachineStat(string(b))
		s.machineOK = err == nil
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.client = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for _, pid := range m.pids {
		d, err := procCPU(pid)
		if err != nil {
			s.serversOK = false
			continue
		}
		s.servers += d
	}
	return s
}

// procCPU reads the user plus system time of a process from
// /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseProcStat(string(b))
}

// parseProcStat reads utime and stime (fields 14 and 15) of a stat line.
// The command name (field 2) is in parentheses and may hold spaces, so
// fields are counted from the last ')'.
func parseProcStat(line string) (time.Duration, error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return 0, fmt.Errorf("proc stat: no command name")
	}
	f := strings.Fields(line[i+1:])
	// f[0] is field 3 (state), so field k is f[k-3].
	if len(f) < 13 {
		return 0, fmt.Errorf("proc stat: %d fields", len(f)+2)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("proc stat: bad utime/stime %q %q", f[11], f[12])
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// parseMachineStat reads the busy and steal time of all CPUs from the
// "cpu" line of /proc/stat: user nice system idle iowait irq softirq
// steal ..., in clock ticks. Busy is all but idle, iowait and steal.
func parseMachineStat(stat string) (busy, steal time.Duration, err error) {
	for _, line := range strings.Split(stat, "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || f[0] != "cpu" {
			continue
		}
		var v [8]int64
		for i := range v {
			if v[i], err = strconv.ParseInt(f[i+1], 10, 64); err != nil {
				return 0, 0, fmt.Errorf("/proc/stat: %w", err)
			}
		}
		ticks := func(n int64) time.Duration { return time.Duration(n) * time.Second / clockTicks }
		return ticks(v[0] + v[1] + v[2] + v[5] + v[6]), ticks(v[7]), nil
	}
	return 0, 0, fmt.Errorf("/proc/stat: no cpu line")
}

// CPUUsage is the CPU a phase used, in seconds of CPU time.
type CPUUsage struct {
	ClientSeconds float64 `json:"client_cpu_seconds"`
	// ServerSeconds is 0 when no server pids were given or one vanished.
	ServerSeconds float64 `json:"server_cpu_seconds,omitempty"`
	// OtherSeconds is the machine's busy time that neither kvbench nor the
	// servers account for: other processes competing for the CPUs.
	// StealSeconds is time the hypervisor gave to other guests. Both are
	// 0 when unknown (no server pids, no /proc/stat).
	OtherSeconds float64 `json:"other_cpu_seconds,omitempty"`
	StealSeconds float64 `json:"steal_cpu_seconds,omitempty"`
}

func cpuBetween(a, b cpuSample) CPUUsage {
	u := CPUUsage{ClientSeconds: (b.client - a.client).Seconds()}
	if a.serversOK && b.serversOK {
		u.ServerSeconds = (b.servers - a.servers).Seconds()
		if a.machineOK && b.machineOK {
			busy := (b.busy - a.busy).Seconds()
			u.OtherSeconds = max(busy-u.ClientSeconds-u.ServerSeconds, 0)
			u.StealSeconds = (b.steal - a.steal).Seconds()
		}
	}
	return u
}
