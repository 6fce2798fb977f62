package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

type cliConfig struct{ path string }

// terraformCLIConfig finds the provider mirror (TF_PLUGIN_MIRROR, or a
// folder named tf-plugins near the root) and writes a Terraform CLI config
// that installs the AWS provider from it, never from the registry.
func terraformCLIConfig(getenv func(string) string) (cliConfig, error) {
	if _, err := exec.LookPath("terraform"); err != nil {
		return cliConfig{}, fmt.Errorf("terraform is not on PATH: install Terraform >= 1.10 (tested with 1.11.4)")
	}
	mirror := getenv("TF_PLUGIN_MIRROR")
	if mirror == "" {
		for _, pattern := range []string{"/tf-plugins", "/*/tf-plugins", "/*/*/tf-plugins"} {
			if m, _ := filepath.Glob(pattern); len(m) > 0 {
				mirror = m[0]
				break
			}
		}
	}
	if st, err := os.Stat(filepath.Join(mirror, "registry.terraform.io", "hashicorp", "aws")); mirror == "" || err != nil || !st.IsDir() {
		return cliConfig{}, fmt.Errorf("no Terraform provider mirror with registry.terraform.io/hashicorp/aws found (looked at TF_PLUGIN_MIRROR and /*/tf-plugins): install the hashicorp/aws 5.x provider into a filesystem mirror and set TF_PLUGIN_MIRROR")
	}
	f, err := os.CreateTemp("", "rehearsal-terraformrc-")
	if err != nil {
		return cliConfig{}, err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, `provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
`, mirror)
	return cliConfig{path: f.Name()}, err
}
