package shinyservice

import (
	"strings"
	"testing"
)

// Every CPU size against AWS's table of valid Fargate CPU and memory pairs
// ("Task CPU and memory", Amazon ECS Developer Guide): one valid pair and
// the invalid neighbours around it.
func TestFargateSizes(t *testing.T) {
	for _, tc := range []struct {
		cpu, mem int
		ok       bool
	}{
		{256, 512, true}, {256, 1024, true}, {256, 2048, true},
		{256, 1536, false}, // in the 512 range's step, but AWS refuses it
		{256, 3072, false}, {256, 256, false},
		{512, 1024, true}, {512, 4096, true}, {512, 512, false}, {512, 1536, false}, {512, 5120, false},
		{1024, 2048, true}, {1024, 8192, true}, {1024, 1024, false}, {1024, 9216, false}, {1024, 2560, false},
		{2048, 4096, true}, {2048, 16384, true}, {2048, 3072, false}, {2048, 17408, false},
		{4096, 8192, true}, {4096, 30720, true}, {4096, 31744, false}, {4096, 7168, false},
		{8192, 16384, true}, {8192, 61440, true}, {8192, 20480, true}, {8192, 17408, false}, {8192, 65536, false},
		{16384, 32768, true}, {16384, 122880, true}, {16384, 40960, true}, {16384, 36864, false}, {16384, 131072, false},
		{300, 1024, false}, {0, 0, false}, {32768, 65536, false},
	} {
		err := Size{CPU: tc.cpu, MemoryMiB: tc.mem, DesiredCount: 1}.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("cpu %d, memory %d: error = %v, want valid = %v", tc.cpu, tc.mem, err, tc.ok)
		}
	}
}

func TestSizeMessages(t *testing.T) {
	for _, tc := range []struct {
		size Size
		want string
	}{
		{Size{CPU: 256, MemoryMiB: 1536, DesiredCount: 1}, "memoryMiB = 1536: with cpu 256 Fargate allows [512 1024 2048] MiB"},
		{Size{CPU: 1024, MemoryMiB: 1024, DesiredCount: 1}, "memoryMiB = 1024: with cpu 1024 Fargate allows 2048 to 8192 in steps of 1024 MiB"},
		{Size{CPU: 300, MemoryMiB: 1024, DesiredCount: 1}, "cpu = 300: must be a Fargate CPU size: one of [256 512 1024 2048 4096 8192 16384]"},
		{Size{CPU: 256, MemoryMiB: 512, DesiredCount: 0}, "desiredCount = 0: must be from 1 to 100"},
		{Size{CPU: 256, MemoryMiB: 512, DesiredCount: 101}, "desiredCount = 101"},
	} {
		if err := tc.size.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error = %v, want %q", tc.size, err, tc.want)
		}
	}
}
