package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/shinyfargate/shiny-cdktf/stacks"
)

// moveToProduction changes settings after the first apply the way the
// production guide advises, and deploys the app stack again:
//   - a VPC of its own, the ALB in two public subnets and the tasks in two
//     private ones (taskSubnetIds): this replaces the target groups and the
//     security groups; with fixed names and destroy-before-create the deploy
//     would fail (ResourceInUse: the listener still uses the old group);
//   - sign-up limited to a domain (the pre-sign-up Lambda) with optional MFA;
//   - an app setting and a secret (an SSM parameter created here first);
//   - alerts by email, ALB access logs to a bucket of the stack's, the WAF.
//
// The settings go into a copy of the environment's file in a scratch config
// folder, read through SHINY_CONFIG_DIR.
func (r *rehearsal) moveToProduction(ctx context.Context, cl clients, configDir string) error {
	vpc, err := cl.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16")})
	if err != nil {
		return fmt.Errorf("create a VPC: %w", err)
	}
	var subnets []string
	for i, az := range []string{"a", "b", "a", "b"} { // public a, b; private a, b
		sn, err := cl.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String(fmt.Sprintf("10.20.%d.0/24", i+1)), AvailabilityZone: aws.String(r.moto.Region + az),
		})
		if err != nil {
			return fmt.Errorf("create a subnet: %w", err)
		}
		subnets = append(subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	param, err := cl.ssm.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/" + r.cfg.NamePrefix + "/api-key"), Type: ssmtypes.ParameterTypeSecureString, Value: aws.String("rehearsal-not-a-secret"),
	})
	if err != nil || param == nil {
		return fmt.Errorf("create an SSM parameter: %w", err)
	}
	paramARN := fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s/api-key", r.moto.Region, motoAccount, r.cfg.NamePrefix)
	// The app from a folder of its own outside the project, as a team's
	// existing app is: a copy of the sample.
	app := filepath.Join(r.work, "apps", "sales dashboard")
	if err := os.CopyFS(app, os.DirFS(filepath.Join(r.root, stacks.SampleAppDir))); err != nil {
		return fmt.Errorf("copy the sample app: %w", err)
	}
	settings := map[string]any{
		"vpcId":         aws.ToString(vpc.Vpc.VpcId),
		"subnetIds":     subnets[:2],
		"taskSubnetIds": subnets[2:],
		"auth":          map[string]any{"signUp": "domains", "allowedEmailDomains": []string{"example.com"}, "mfa": "optional"},
		"shiny": map[string]any{
			"environment": map[string]string{"APP_MODE": "rehearsal"},
			"secrets":     map[string]any{"API_KEY": map[string]string{"arn": paramARN}},
			"appDir":      app,
		},
		"alerts":     map[string]any{"enabled": true, "email": "ops@example.com"},
		"accessLogs": map[string]any{"enabled": true},
		"waf":        map[string]any{"enabled": true},
	}
	dir := filepath.Join(r.work, "config")
	if err := writeEnvironment(configDir, dir, r.cfg.Environment, settings); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "   vpcId %s, subnetIds %v, taskSubnetIds %v, sign-up by domain, MFA optional, a secret, alerts, access logs, WAF, appDir %s\n", aws.ToString(vpc.Vpc.VpcId), subnets[:2], subnets[2:], app)
	r.env = append(r.env, stacks.EnvVarConfigDir+"="+dir)
	if _, err := r.cmd(ctx, r.root, "go", "run", "."); err != nil {
		return err
	}
	prod, err := stacks.LoadConfig(dir, r.cfg.Environment)
	if err != nil {
		return err
	}
	if err := r.pushImageDryRun(ctx, cl, prod); err != nil {
		return err
	}
	for _, stack := range []string{stacks.StackECR, stacks.StackApp} {
		if err := r.writeOverride(stack); err != nil {
			return err
		}
	}
	if _, err := r.cdktf(ctx, "deploy", stacks.StackApp, "--auto-approve"); err != nil {
		return r.explain(ctx, stacks.StackApp, err)
	}
	return nil
}

// motoAccount is the account id moto serves.
const motoAccount = "123456789012"

// writeEnvironment copies environment env's file from dir "from" (or {} for
// the built-in default environment) into dir "to", with the settings in set.
func writeEnvironment(from, to, env string, set map[string]any) error {
	doc := map[string]any{}
	data, err := os.ReadFile(filepath.Join(from, env+".json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(data, &doc); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(from, env+".json"), err)
		}
	}
	merge(doc, set)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(to, env+".json"), out, 0o644)
}

// merge sets every key of set in doc, merging objects key by key, so a
// setting inside a section (shiny.secrets) keeps the section's others.
func merge(doc, set map[string]any) {
	for k, v := range set {
		sub, isMap := v.(map[string]any)
		cur, hasMap := doc[k].(map[string]any)
		if isMap && hasMap {
			merge(cur, sub)
			continue
		}
		doc[k] = v
	}
}
