package shinyservice

import (
	"fmt"
	"maps"
	"slices"

	"github.com/shinyfargate/shiny-cdktf/internal/check"
)

// Size is a Fargate task's size and the service's task count at creation:
// the stack configuration's "shiny" and "logout" sections hold one each.
type Size struct {
	// CPU is the task's CPU units (1024 = 1 vCPU), a Fargate size.
	CPU int `json:"cpu"`
	// MemoryMiB is the task's memory; Fargate allows only some values for each CPU size.
	MemoryMiB int `json:"memoryMiB"`
	// DesiredCount is the number of tasks at creation. For the Shiny service
	// autoscaling owns the count afterwards; for the logout server every change applies.
	DesiredCount int `json:"desiredCount"`
}

// MaxDesiredCount bounds DesiredCount.
const MaxDesiredCount = 100

// fargateMemory lists, for each Fargate CPU size, the memory sizes (MiB)
// Fargate accepts, from "Task CPU and memory" in the Amazon ECS Developer
// Guide (Linux; 8 and 16 vCPU need platform version 1.4.0, which LATEST is):
//
//	256 (.25 vCPU)  512, 1024, 2048
//	512 (.5 vCPU)   1024 to 4096 in 1024 steps
//	1024 (1 vCPU)   2048 to 8192 in 1024 steps
//	2048 (2 vCPU)   4096 to 16384 in 1024 steps
//	4096 (4 vCPU)   8192 to 30720 in 1024 steps
//	8192 (8 vCPU)   16384 to 61440 in 4096 steps
//	16384 (16 vCPU) 32768 to 122880 in 8192 steps
var fargateMemory = map[int][]int{
	256:   {512, 1024, 2048},
	512:   steps(1024, 4096, 1024),
	1024:  steps(2048, 8192, 1024),
	2048:  steps(4096, 16384, 1024),
	4096:  steps(8192, 30720, 1024),
	8192:  steps(16384, 61440, 4096),
	16384: steps(32768, 122880, 8192),
}

func steps(from, to, step int) []int {
	var out []int
	for v := from; v <= to; v += step {
		out = append(out, v)
	}
	return out
}

// FargateCPUs are the CPU sizes Fargate offers, smallest first.
func FargateCPUs() []int { return slices.Sorted(maps.Keys(fargateMemory)) }

// Validate reports every problem with the size, named as in the stack
// configuration (cpu, memoryMiB, desiredCount).
func (s Size) Validate() error {
	p := check.New("")
	if mems, ok := fargateMemory[s.CPU]; !ok {
		p.Add("cpu", s.CPU, fmt.Sprintf("must be a Fargate CPU size: one of %v", FargateCPUs()))
	} else if !slices.Contains(mems, s.MemoryMiB) {
		p.Add("memoryMiB", s.MemoryMiB, fmt.Sprintf("with cpu %d Fargate allows %s MiB", s.CPU, describe(mems)))
	}
	if s.DesiredCount < 1 || s.DesiredCount > MaxDesiredCount {
		p.Add("desiredCount", s.DesiredCount, fmt.Sprintf("must be from 1 to %d", MaxDesiredCount))
	}
	return p.Err()
}

// describe shows a memory list as AWS's table does.
func describe(mems []int) string {
	if len(mems) <= 3 {
		return fmt.Sprint(mems)
	}
	return fmt.Sprintf("%d to %d in steps of %d", mems[0], mems[len(mems)-1], mems[1]-mems[0])
}
