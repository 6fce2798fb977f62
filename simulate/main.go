// Command simulate replays a trace of Shiny sessions through the scaling
// policy of the environment SHINY_ENV selects (the same code that
// synthesizes the stack) and through alternative policies, and reports what
// each costs and how loaded the busiest task gets.
//
//	go run ./simulate -trace classroom
//	go run ./simulate -trace sessions.csv -policy deployed -policy scheduled -json
//	go run ./simulate -trace alb-logs.log.gz -plot out.svg
//	go run ./simulate -docs docs/simulate   (what make simulate-docs runs)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shinyfargate/shiny-cdktf/constructs/sessionscaling"
	"github.com/shinyfargate/shiny-cdktf/internal/simulation"
	"github.com/shinyfargate/shiny-cdktf/stacks"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "simulate:", err)
		os.Exit(1)
	}
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type options struct {
	trace, plot, docs, configDir string
	policies                     listFlag
	json                         bool
	model                        simulation.Model
	start                        time.Time
	lead                         time.Duration
}

func parse(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.trace, "trace", "", "a built-in scenario ("+strings.Join(simulation.ScenarioNames(), ", ")+"), a CSV file (start,end) or an ALB access log (ws/wss entries)")
	fs.Var(&o.policies, "policy", "a policy to simulate, repeatable: "+strings.Join(simulation.PolicyNames, ", ")+" (default: all)")
	fs.BoolVar(&o.json, "json", false, "print the measures as JSON")
	fs.StringVar(&o.plot, "plot", "", "draw sessions, tasks and the busiest task over time to this .svg or .png file")
	fs.StringVar(&o.docs, "docs", "", "write every built-in scenario's plot and a results table (results.md) to this folder")
	fs.StringVar(&o.configDir, "config", "config", "the folder of environment files (config/NAME.json)")
	fs.DurationVar(&o.model.StartDelay, "start-delay", 90*time.Second, "from task launch until the ALB routes to it")
	fs.StringVar(&o.model.Algorithm, "algorithm", stacks.ShinyRoutingAlgorithm, "the target group's routing algorithm: round_robin or least_outstanding_requests (default: what the app stack deploys)")
	fs.DurationVar(&o.lead, "lead", 5*time.Minute, "how long before the hour the scheduled policy raises the minimum")
	start := fs.String("start", simulation.DefaultStart.Format(time.RFC3339), "the wall-clock time of second 0 of a CSV trace given in seconds")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("%w\nusage: go run ./simulate -trace NAME|FILE [-policy NAME ...] [-json] [-plot FILE.svg] | -docs DIR", err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if o.start, err = time.Parse(time.RFC3339, *start); err != nil {
		return o, fmt.Errorf("-start %q: must be RFC 3339, e.g. 2026-01-05T00:00:00Z", *start)
	}
	if o.trace == "" && o.docs == "" {
		return o, errors.New("-trace is required (or -docs DIR)")
	}
	if o.model.StartDelay <= 0 {
		return o, fmt.Errorf("-start-delay %s: must be positive", o.model.StartDelay)
	}
	if o.lead < 0 {
		return o, fmt.Errorf("-lead %s: must not be negative", o.lead)
	}
	if len(o.policies) == 0 {
		o.policies = simulation.PolicyNames
	}
	return o, nil
}

// envProps loads the environment's config as the stack does and maps it
// onto the scaling props with the stack's own mapping.
func envProps(dir string, getenv func(string) string) (sessionscaling.Props, error) {
	cfg, err := stacks.LoadConfig(dir, getenv(stacks.EnvVarEnvironment))
	if err != nil {
		return sessionscaling.Props{}, err
	}
	return stacks.ScalingProps(cfg).WithDefaults(), nil
}

func loadTrace(name string, start time.Time) (simulation.Trace, error) {
	if _, ok := simulation.Scenarios[name]; ok {
		return simulation.ScenarioTrace(name)
	}
	if _, err := os.Stat(name); err != nil {
		return simulation.Trace{}, fmt.Errorf("-trace %q: neither a built-in scenario (%s) nor a readable file: %w", name, strings.Join(simulation.ScenarioNames(), ", "), err)
	}
	return simulation.Load(name, start)
}

// simulate runs each policy on tr.
func simulate(ctx context.Context, env sessionscaling.Props, tr simulation.Trace, o options) ([]simulation.Result, error) {
	ref := simulation.Reference{Threshold: env.ScaleOutAbove, MinTasks: env.MinTasks, MaxTasks: env.MaxTasks}
	var out []simulation.Result
	for _, name := range o.policies {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v, err := simulation.NewVariant(name, env, tr, o.lead)
		if err != nil {
			return nil, err
		}
		m := o.model
		m.Metric = v.Metric
		r, err := simulation.Run(name, tr, v.Policy, m, ref)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	env, err := envProps(o.configDir, getenv)
	if err != nil {
		return err
	}
	if o.docs != "" {
		return writeDocs(ctx, env, o, getenv(stacks.EnvVarEnvironment))
	}
	tr, err := loadTrace(o.trace, o.start)
	if err != nil {
		return err
	}
	results, err := simulate(ctx, env, tr, o)
	if err != nil {
		return err
	}
	if o.plot != "" {
		if err := plotResults(o.plot, tr, results, env.ScaleOutAbove); err != nil {
			return err
		}
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"policies": results})
	}
	return table(stdout, tr, results)
}

func table(w io.Writer, tr simulation.Trace, results []simulation.Result) error {
	fmt.Fprintf(w, "%s: %d sessions, peak %d open at once\n", tr.Name, len(tr.Sessions), tr.Peak())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\ttask-min\toracle\tpeak/task\toverloaded sess-min\tarrived overloaded\tcut\touts\tins\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%d\t%.0f\t%d\t%d\t%d\t%d\t\n", r.Name, r.TaskMinutes, r.OracleTaskMinutes,
			r.PeakSessionsPerTask, r.OverloadedSessionMinutes, r.ArrivedOverloaded, r.SessionsCut, r.ScaleOuts, r.ScaleIns)
	}
	return tw.Flush()
}
