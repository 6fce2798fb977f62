package main

import (
	"os"
	"slices"
	"testing"
)

func TestParseVmRSS(t *testing.T) {
	status := []byte("Name:\tnginx\nVmPeak:\t  12 kB\nVmRSS:\t    5432 kB\nThreads:\t1\n")
	got, err := parseVmRSS(status)
	if err != nil || got != 5432 {
		t.Errorf("parseVmRSS = %d, %v; want 5432", got, err)
	}
	for _, bad := range []string{"Name:\tx\n", "VmRSS:\t5432 MB\n", "VmRSS:\tlots kB\n"} {
		if _, err := parseVmRSS([]byte(bad)); err == nil {
			t.Errorf("parseVmRSS(%q): want an error", bad)
		}
	}
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		stat      string
		pid, ppid int
	}{
		{"42 (nginx) S 41 42 42 0 -1", 42, 41},
		{"7 (a) b (c)) R 1 7 7 0", 7, 1}, // a command name with spaces and parentheses
	}
	for _, tt := range tests {
		pid, ppid, err := parseStat([]byte(tt.stat))
		if err != nil || pid != tt.pid || ppid != tt.ppid {
			t.Errorf("parseStat(%q) = %d, %d, %v; want %d, %d", tt.stat, pid, ppid, err, tt.pid, tt.ppid)
		}
	}
	for _, bad := range []string{"", "42 nginx S 41", "42 (nginx) S"} {
		if _, _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q): want an error", bad)
		}
	}
}

func TestDescendants(t *testing.T) {
	parents := map[int]int{1: 0, 10: 1, 11: 10, 12: 10, 13: 11, 20: 1}
	got := descendants(10, parents)
	slices.Sort(got)
	if want := []int{10, 11, 12, 13}; !slices.Equal(got, want) {
		t.Errorf("descendants(10) = %v, want %v", got, want)
	}
}

// The real /proc: this process has a resident size.
func TestRSSOfThisProcess(t *testing.T) {
	kib, err := rssKiB(os.Getpid())
	if err != nil || kib <= 0 {
		t.Errorf("rssKiB(self) = %d, %v; want > 0", kib, err)
	}
}
