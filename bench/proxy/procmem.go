package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// rssKiB is the resident memory of pid and all its descendants (nginx's
// master and workers; a wrapper script and the program it runs), in KiB,
// from VmRSS in /proc/PID/status.
func rssKiB(pid int) (int64, error) {
	parents, err := parentMap()
	if err != nil {
		return 0, err
	}
	var total int64
	for _, p := range descendants(pid, parents) {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
		if err != nil {
			if p == pid {
				return 0, fmt.Errorf("process %d: %w", pid, err)
			}
			continue // a child that just exited
		}
		kib, err := parseVmRSS(status)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/status: %w", p, err)
		}
		total += kib
	}
	return total, nil
}

// parentMap maps each running process to its parent.
func parentMap() (map[int]int, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, err
	}
	parents := make(map[int]int, len(stats))
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // exited meanwhile
		}
		pid, ppid, err := parseStat(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		parents[pid] = ppid
	}
	return parents, nil
}

// descendants returns root followed by every process below it.
func descendants(root int, parents map[int]int) []int {
	children := map[int][]int{}
	for pid, ppid := range parents {
		children[ppid] = append(children[ppid], pid)
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// parseStat reads the pid and parent pid from /proc/PID/stat. The command
// name (field 2, in parentheses) may itself contain spaces and ')'.
func parseStat(b []byte) (pid, ppid int, err error) {
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return 0, 0, fmt.Errorf("no command name in %q", b)
	}
	pid, err = strconv.Atoi(strings.TrimSpace(string(b[:open])))
	if err != nil {
		return 0, 0, fmt.Errorf("pid: %w", err)
	}
	rest := strings.Fields(string(b[closing+1:])) // state, ppid, ...
	if len(rest) < 2 {
		return 0, 0, fmt.Errorf("no parent pid in %q", b)
	}
	ppid, err = strconv.Atoi(rest[1])
	if err != nil {
		return 0, 0, fmt.Errorf("parent pid: %w", err)
	}
	return pid, ppid, nil
}

// parseVmRSS reads "VmRSS: N kB" from /proc/PID/status.
func parseVmRSS(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != "VmRSS" {
			continue
		}
		f := strings.Fields(value)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("VmRSS %q: want N kB", value)
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, fmt.Errorf("no VmRSS line")
}
