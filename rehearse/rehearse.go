package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/shinyfargate/shiny-cdktf/internal/motoserver"
	"github.com/shinyfargate/shiny-cdktf/stacks"
)

// rehearsal is the state of one run: its scratch folder, moto, and the
// environment every command gets.
type rehearsal struct {
	root, work, outdir string
	cfg                stacks.Config
	moto               *motoserver.Server
	env                []string
	out                io.Writer
}

func rehearse(ctx context.Context, getenv func(string) string, out io.Writer, opts Options) (rep Report, err error) {
	rep.Resources = map[string]int{}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return rep, err
	}
	configDir := stacks.ConfigDir(getenv)
	if !filepath.IsAbs(configDir) {
		configDir = filepath.Join(root, configDir)
	}
	cfg, err := stacks.LoadConfig(configDir, getenv(stacks.EnvVarEnvironment))
	if err != nil {
		return rep, err
	}
	if cfg.VpcID != "" {
		return rep, fmt.Errorf("environment %q sets vpcId %s, which does not exist in the local AWS API: rehearse it with vpcId and subnetIds unset (the default VPC)", cfg.Environment, cfg.VpcID)
	}
	r := &rehearsal{root: root, cfg: cfg, out: out}
	start := time.Now()
	r.step("check tools")
	cliConfig, err := terraformCLIConfig(getenv)
	if err != nil {
		return rep, err
	}
	defer os.Remove(cliConfig.path)
	cdktfCLI := filepath.Join(root, "node_modules", ".bin", "cdktf")
	if _, err := os.Stat(cdktfCLI); err != nil {
		return rep, fmt.Errorf("the cdktf CLI is not installed (%s): run `make setup`", cdktfCLI)
	}

	if r.work, err = os.MkdirTemp("", "rehearsal-"); err != nil {
		return rep, err
	}
	defer os.RemoveAll(r.work)
	r.outdir = filepath.Join(r.work, "cdktf.out")

	r.step("start moto on loopback")
	if r.moto, err = motoserver.Start(); err != nil {
		return rep, err
	}
	defer r.moto.Stop()
	fmt.Fprintf(out, "   moto at %s\n", r.moto.URL)
	r.env = append(os.Environ(), r.moto.Env()...)
	r.env = append(r.env,
		"TF_CLI_CONFIG_FILE="+cliConfig.path,
		"TF_PLUGIN_CACHE_DIR=",
		"CHECKPOINT_DISABLE=1",
		"JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1",
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20",
		"CDKTF_OUTDIR="+r.outdir,
		stacks.EnvVarEnvironment+"="+cfg.Environment,
		stacks.EnvVarConfigDir+"="+configDir, // the file read above, whatever the caller's getenv
		"CDKTF_DISABLE_PLUGIN_CACHE_ENV=true",
	)

	r.step("synthesize " + cfg.Environment)
	if _, err := r.cmd(ctx, root, "go", "run", "."); err != nil {
		return rep, err
	}
	for _, stack := range []string{stacks.StackECR, stacks.StackApp} {
		if err := r.writeOverride(stack); err != nil {
			return rep, err
		}
		if _, err := r.terraform(ctx, stack, "init", "-input=false"); err != nil {
			return rep, err
		}
	}
	// Destroy whatever got deployed, also after a failure.
	deployed := []string{}
	defer func() {
		for i := len(deployed) - 1; i >= 0; i-- {
			r.step("destroy " + deployed[i])
			if _, derr := r.cdktf(ctx, "destroy", deployed[i], "--auto-approve"); derr != nil {
				err = errors.Join(err, derr)
			}
		}
		if err == nil {
			fmt.Fprintf(out, "rehearsal passed in %s: %v resources deployed, checked, re-planned clean and destroyed\n", time.Since(start).Round(time.Second), rep.Resources)
		}
	}()

	r.step("cdktf deploy ecr")
	if err := r.savePlanJSON(ctx, stacks.StackECR); err != nil {
		return rep, err
	}
	deployed = append(deployed, stacks.StackECR)
	if _, err := r.cdktf(ctx, "deploy", stacks.StackECR, "--auto-approve"); err != nil {
		return rep, r.explain(ctx, stacks.StackECR, err)
	}

	clients, err := newClients(ctx, r.moto)
	if err != nil {
		return rep, err
	}
	if !opts.SkipPush {
		r.step("make push-image DRY_RUN=1 on the deployed ecr stack, then put the image manifests it would push (tag " + cfg.ImageTag + ")")
		if err := r.pushImageDryRun(ctx, clients, cfg); err != nil {
			return rep, err
		}
		if err := pushImages(ctx, clients, cfg); err != nil {
			return rep, err
		}
	}

	r.step("cdktf deploy app")
	deployed = append(deployed, stacks.StackApp)
	output, deployErr := r.cdktf(ctx, "deploy", stacks.StackApp, "--auto-approve")
	if opts.SkipPush {
		if deployErr == nil {
			return rep, errors.New("the app deploy succeeded without pushed images; it must fail at plan")
		}
		// The cdktf CLI sometimes drops Terraform's error text; the plan's own
		// output always has it.
		planOut, _ := r.terraform(ctx, stacks.StackApp, "plan", "-input=false")
		rep.AppDeployError = plainText(output) + "\n" + plainText(planOut)
		fmt.Fprintln(out, "   the app deploy failed at plan, as it must without images")
		return rep, nil
	}
	if deployErr != nil {
		return rep, r.explain(ctx, stacks.StackApp, deployErr)
	}
	if err := r.savePlanJSON(ctx, stacks.StackApp); err != nil {
		return rep, err
	}

	r.step("check the deployed resources through the AWS APIs")
	names, err := r.outputs(ctx)
	if err != nil {
		return rep, err
	}
	if err := checkDeployment(ctx, clients, cfg, names, out); err != nil {
		return rep, err
	}

	r.step("run the sessionmetric handler in-process against the deployed table")
	if err := checkSessionMetric(ctx, clients, cfg, names, r.moto, out); err != nil {
		return rep, err
	}

	r.step("turn on the production settings and deploy again: own VPC with private task subnets (replaces the target groups and security groups), sign-up by domain with MFA, an app setting and a secret, alerts, access logs, the WAF, the app from a folder outside the project")
	if err := r.moveToProduction(ctx, clients, configDir); err != nil {
		return rep, err
	}

	r.step("re-plan: both stacks must have no changes")
	for _, stack := range []string{stacks.StackECR, stacks.StackApp} {
		if output, err := r.terraform(ctx, stack, "plan", "-detailed-exitcode", "-input=false"); err != nil {
			return rep, fmt.Errorf("second plan of %s is not empty:\n%s", stack, changedLines(output))
		}
		list, err := r.terraform(ctx, stack, "state", "list")
		if err != nil {
			return rep, err
		}
		for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
			if strings.HasPrefix(line, "aws_") || strings.HasPrefix(line, "module.") {
				rep.Resources[stack]++
			}
		}
	}
	return rep, nil
}

// explain adds Terraform's own error to a failed cdktf deploy: the CLI
// sometimes prints only "Invoking Terraform CLI failed".
func (r *rehearsal) explain(ctx context.Context, stack string, deployErr error) error {
	if strings.Contains(deployErr.Error(), "Error:") {
		return deployErr
	}
	if _, err := r.terraform(ctx, stack, "plan", "-input=false"); err != nil {
		return fmt.Errorf("%w\nterraform plan says: %w", deployErr, err)
	}
	return deployErr
}

func (r *rehearsal) step(name string) {
	fmt.Fprintf(r.out, "== %s %s\n", time.Now().Format("15:04:05"), name)
}

// cmd runs a command in dir and returns its combined output; a failure
// returns the output in the error.
func (r *rehearsal) cmd(ctx context.Context, dir, name string, args ...string) (string, error) {
	return r.cmdEnv(ctx, r.env, dir, name, args...)
}

// cmdEnv is cmd with the environment env.
func (r *rehearsal) cmdEnv(ctx context.Context, env []string, dir, name string, args ...string) (string, error) {
	c := exec.CommandContext(ctx, name, args...)
	c.Dir = dir
	c.Env = env
	c.WaitDelay = 10 * time.Second
	var buf bytes.Buffer
	c.Stdout, c.Stderr = &buf, &buf
	if err := c.Run(); err != nil {
		return buf.String(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, errorLines(plainText(buf.String())))
	}
	return buf.String(), nil
}

func (r *rehearsal) terraform(ctx context.Context, stack string, args ...string) (string, error) {
	return r.cmd(ctx, r.stackDir(stack), "terraform", append(args, "-no-color")...)
}

// cdktf runs the project's cdktf CLI on the synthesized output (no new synth).
func (r *rehearsal) cdktf(ctx context.Context, args ...string) (string, error) {
	// moto answers one request at a time: with less parallelism fewer
	// requests time out, and the SDK does not resend a create that moto
	// already did (AWS would answer the resent one EntityAlreadyExists too,
	// but AWS answers in time). Seen under load with 4: a second CreateRole.
	args = append(args, "--skip-synth", "--output", r.outdir, "--no-color", "--terraform-parallelism", "2")
	return r.cmd(ctx, r.root, filepath.Join(r.root, "node_modules", ".bin", "cdktf"), args...)
}

func (r *rehearsal) stackDir(stack string) string {
	return filepath.Join(r.outdir, "stacks", stack)
}

// writeOverride adds the rehearsal-only settings to a synthesized stack:
// fake credentials, few retries (moto answers unimplemented calls with 500,
// which the provider otherwise retries for minutes; a few cover its dropped
// connections under load),
// state in the scratch folder, and ECR repositories that may be deleted with
// their images. The stacks themselves are unchanged.
func (r *rehearsal) writeOverride(stack string) error {
	o := map[string]any{
		"provider": map[string]any{"aws": []map[string]any{{
			"region":                      r.cfg.Region,
			"access_key":                  "testing",
			"secret_key":                  "testing",
			"max_retries":                 3,
			"skip_credentials_validation": true,
		}}},
		"terraform": map[string]any{"backend": map[string]any{"local": map[string]any{
			"path": filepath.Join(r.work, stack+".tfstate"),
		}}},
	}
	// Whatever the environment protects must still go at the end.
	unprotect := map[string]map[string]any{
		"aws_ecr_repository":    {"force_delete": true},
		"aws_lb":                {"enable_deletion_protection": false},
		"aws_cognito_user_pool": {"deletion_protection": "INACTIVE"},
	}
	synth, err := os.ReadFile(filepath.Join(r.stackDir(stack), "cdk.tf.json"))
	if err != nil {
		return err
	}
	var doc struct {
		Resource map[string]map[string]json.RawMessage `json:"resource"`
	}
	if err := json.Unmarshal(synth, &doc); err != nil {
		return err
	}
	resources := map[string]any{}
	for typ, settings := range unprotect {
		byName := map[string]any{}
		for name := range doc.Resource[typ] {
			byName[name] = settings
		}
		if len(byName) > 0 {
			resources[typ] = byName
		}
	}
	if len(resources) > 0 {
		o["resource"] = resources
	}
	data, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(r.stackDir(stack), "rehearsal_override.tf.json"), data, 0o644)
}

// savePlanJSON writes the stack's plan as JSON to .cache/rehearsal for the
// security scan (which misses nested blocks in .tf.json).
func (r *rehearsal) savePlanJSON(ctx context.Context, stack string) error {
	planFile := filepath.Join(r.work, stack+".tfplan")
	if _, err := r.terraform(ctx, stack, "plan", "-input=false", "-out="+planFile); err != nil {
		return err
	}
	js, err := r.cmd(ctx, r.stackDir(stack), "terraform", "show", "-json", planFile)
	if err != nil {
		return err
	}
	dir := filepath.Join(r.root, ".cache", "rehearsal")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, stack+".plan.json"), []byte(js), 0o644)
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// plainText drops colours and Terraform's box drawing and folds white space,
// so a wrapped error message can be searched for.
func plainText(s string) string {
	s = ansi.ReplaceAllString(s, "")
	s = strings.NewReplacer("│", " ", "╷", " ", "╵", " ", "├", " ", "─", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// errorLines keeps what follows each "Error:" in a command's output (the
// reason a deploy failed, not its plan), or the output's end if none.
func errorLines(s string) string {
	var out []string
	for _, part := range strings.Split(s, "Error:")[1:] {
		out = append(out, "Error:"+part[:min(len(part), 600)])
	}
	if len(out) == 0 {
		return s[max(0, len(s)-2000):]
	}
	return strings.Join(out, "\n")
}

func changedLines(plan string) string {
	var lines []string
	for _, l := range strings.Split(plan, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "#") || strings.HasPrefix(t, "~") || strings.HasPrefix(t, "+") || strings.HasPrefix(t, "-") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
