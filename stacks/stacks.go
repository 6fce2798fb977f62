// Package stacks holds the two stacks (ecr, app) and the typed, validated
// configuration they take.
package stacks

import "github.com/aws/constructs-go/constructs/v10"

// Build adds both stacks for cfg to scope (the cdktf App); assets come
// from BuildAssets.
func Build(scope constructs.Construct, cfg Config, assets Assets) (*ECRStack, *AppStack, error) {
	ecr, err := NewECRStack(scope, cfg)
	if err != nil {
		return nil, nil, err
	}
	app, err := NewAppStack(scope, cfg, assets)
	if err != nil {
		return nil, nil, err
	}
	return ecr, app, nil
}
