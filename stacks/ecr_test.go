package stacks

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestECRRepositoriesNamedFromConfig(t *testing.T) {
	ecr, _ := defaultSynth(t)
	repos := ecr.Resources("aws_ecr_repository")
	if len(repos) != len(ImageSpecs) {
		t.Fatalf("want %d repositories, got %d", len(ImageSpecs), len(repos))
	}
	for _, name := range []string{"shiny-dev/shiny-repository", "shiny-dev/logout-server"} {
		ecr.HasResource(t, "aws_ecr_repository", map[string]any{"name": name})
	}
}

func TestECRScanOnPushAndEncryption(t *testing.T) {
	ecr, _ := defaultSynth(t)
	for _, spec := range ImageSpecs {
		image := spec.Name
		r := ecr.Resource(t, "aws_ecr_repository", image)
		scan := r["image_scanning_configuration"].(map[string]any)
		if scan["scan_on_push"] != true {
			t.Errorf("%s: scan_on_push = %v, want true", image, scan["scan_on_push"])
		}
		enc := r["encryption_configuration"].([]any)[0].(map[string]any)
		if enc["encryption_type"] != "AES256" {
			t.Errorf("%s: encryption_type = %v", image, enc["encryption_type"])
		}
		if r["force_delete"] != false {
			t.Errorf("%s: force_delete = %v, want false by default (images survive a destroy)", image, r["force_delete"])
		}
	}
}

func TestECRLifecycleKeepsNewestImages(t *testing.T) {
	cfg := DefaultConfig("dev")
	cfg.CognitoDomainPrefix = "shiny-dev-login"
	cfg.KeepImages = 7
	ecr, _ := synthBoth(t, cfg)
	for _, spec := range ImageSpecs {
		image := spec.Name
		r := ecr.Resource(t, "aws_ecr_lifecycle_policy", image+"-lifecycle")
		if r["repository"] != "${aws_ecr_repository."+image+".name}" {
			t.Errorf("%s lifecycle applies to %v", image, r["repository"])
		}
		var p struct {
			Rules []struct {
				RulePriority int `json:"rulePriority"`
				Selection    struct {
					TagStatus     string   `json:"tagStatus"`
					TagPrefixList []string `json:"tagPrefixList"`
					CountType     string   `json:"countType"`
					CountNumber   int      `json:"countNumber"`
				} `json:"selection"`
				Action struct{ Type string } `json:"action"`
			} `json:"rules"`
		}
		if err := json.Unmarshal([]byte(r["policy"].(string)), &p); err != nil {
			t.Fatalf("policy is not JSON: %v", err)
		}
		if len(p.Rules) != 3 {
			t.Fatalf("want three rules, got %+v", p.Rules)
		}
		// The deployed tag is held by the highest-priority rule, so no later
		// rule may expire it; no rule selects "any" image.
		held := p.Rules[0].Selection
		if p.Rules[0].RulePriority != 1 || held.TagStatus != "tagged" || !slices.Equal(held.TagPrefixList, []string{cfg.ImageTag}) || held.CountNumber < 1000 {
			t.Errorf("rule 1 = %+v, want the image tagged %s held", p.Rules[0], cfg.ImageTag)
		}
		commits := p.Rules[1].Selection
		if commits.TagStatus != "tagged" || !slices.Equal(commits.TagPrefixList, []string{CommitTagPrefix}) || commits.CountType != "imageCountMoreThan" || commits.CountNumber != 7 {
			t.Errorf("rule 2 = %+v, want commit builds beyond the newest 7 expired", p.Rules[1])
		}
		if untagged := p.Rules[2].Selection; untagged.TagStatus != "untagged" || untagged.CountNumber != 7 {
			t.Errorf("rule 3 = %+v, want untagged images beyond the newest 7 expired", p.Rules[2])
		}
		for _, rule := range p.Rules {
			if rule.Selection.TagStatus == "any" || rule.Action.Type != "expire" {
				t.Errorf("rule %+v: no rule may select any image (it could expire the running one)", rule)
			}
		}
	}
}

func TestECROutputsHaveStaticNames(t *testing.T) {
	ecr, _ := defaultSynth(t)
	outs := ecr.Outputs()
	want := map[string]string{
		"repository_url_shiny_repository": "${aws_ecr_repository.shiny-repository.repository_url}",
		"repository_url_logout_server":    "${aws_ecr_repository.logout-server.repository_url}",
	}
	for name, value := range want {
		if outs[name]["value"] != value {
			t.Errorf("output %s = %v, want %s", name, outs[name]["value"], value)
		}
	}
}

func TestProviderRangeAndTags(t *testing.T) {
	ecr, app := defaultSynth(t)
	for name, s := range map[string]map[string]any{"ecr": ecr.Doc, "app": app.Doc} {
		aws := s["terraform"].(map[string]any)["required_providers"].(map[string]any)["aws"].(map[string]any)
		if aws["version"] != AWSProviderVersion {
			t.Errorf("%s: aws provider version = %v, want %s", name, aws["version"], AWSProviderVersion)
		}
		p := s["provider"].(map[string]any)["aws"].([]any)[0].(map[string]any)
		if p["region"] != "us-east-1" {
			t.Errorf("%s: region = %v", name, p["region"])
		}
		tags := p["default_tags"].([]any)[0].(map[string]any)["tags"].(map[string]any)
		if tags["Project"] != "shiny-dev" || tags["Environment"] != "dev" {
			t.Errorf("%s: default tags = %v", name, tags)
		}
	}
}

func TestLocalBackendIsRelative(t *testing.T) {
	ecr, app := defaultSynth(t)
	for name, s := range map[string]map[string]any{"ecr": ecr.Doc, "app": app.Doc} {
		local := s["terraform"].(map[string]any)["backend"].(map[string]any)["local"].(map[string]any)
		want := "../../../terraform.dev." + name + ".tfstate"
		if local["path"] != want {
			t.Errorf("%s: local state path = %v, want %s", name, local["path"], want)
		}
	}
}

func TestS3BackendWithLocking(t *testing.T) {
	for _, tc := range []struct {
		name, table string
		wantLock    string
	}{
		{"dynamodb lock", "tf-locks", "dynamodb_table"},
		{"s3 lock file", "", "use_lockfile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig("prod")
			cfg.CognitoDomainPrefix = "shiny-prod-login"
			cfg.Backend = Backend{Type: BackendS3, Bucket: "my-state", KeyPrefix: "teams/shiny", Region: "eu-west-1", DynamoDBTable: tc.table}
			ecr, _ := synthBoth(t, cfg)
			s3 := ecr.Doc["terraform"].(map[string]any)["backend"].(map[string]any)["s3"].(map[string]any)
			if s3["bucket"] != "my-state" || s3["key"] != "teams/shiny/prod/ecr.tfstate" || s3["region"] != "eu-west-1" || s3["encrypt"] != true {
				t.Errorf("s3 backend = %v", s3)
			}
			if _, ok := s3[tc.wantLock]; !ok {
				t.Errorf("s3 backend has no %s: %v", tc.wantLock, s3)
			}
		})
	}
}

func TestGoldenStacks(t *testing.T) {
	ecr, app := defaultSynth(t)
	ecr.Golden(t, "ecr")
	app.Golden(t, "app")
}
