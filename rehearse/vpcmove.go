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

	"github.com/shinyfargate/shiny-cdktf/stacks"
)

// moveToOwnVPC changes a setting that replaces resources after the first
// apply: it creates a VPC with two subnets, points the environment's config
// at them (a copy of the environment file in a scratch config folder, read
// through SHINY_CONFIG_DIR) and deploys the app stack again. The target
// groups and security groups are replaced; with fixed names and
// destroy-before-create the deploy would fail (ResourceInUse: the listener
// still uses the old target group).
func (r *rehearsal) moveToOwnVPC(ctx context.Context, cl clients, configDir string) error {
	vpc, err := cl.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16")})
	if err != nil {
		return fmt.Errorf("create a VPC: %w", err)
	}
	var subnets []string
	for i, az := range []string{"a", "b"} {
		sn, err := cl.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String(fmt.Sprintf("10.20.%d.0/24", i+1)), AvailabilityZone: aws.String(r.moto.Region + az),
		})
		if err != nil {
			return fmt.Errorf("create a subnet: %w", err)
		}
		subnets = append(subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	dir := filepath.Join(r.work, "config")
	if err := writeEnvironment(configDir, dir, r.cfg.Environment, map[string]any{"vpcId": aws.ToString(vpc.Vpc.VpcId), "subnetIds": subnets}); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "   vpcId %s, subnetIds %v\n", aws.ToString(vpc.Vpc.VpcId), subnets)
	r.env = append(r.env, stacks.EnvVarConfigDir+"="+dir)
	if _, err := r.cmd(ctx, r.root, "go", "run", "."); err != nil {
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
	for k, v := range set {
		doc[k] = v
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(to, env+".json"), out, 0o644)
}
