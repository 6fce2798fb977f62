package preview

import (
	"strings"
	"testing"
)

// TestCheckToolsSaysWhatToInstall runs with an empty PATH: every missing
// tool is named, with what to install.
func TestCheckToolsSaysWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("MOTO_PYTHON", "")
	err := CheckTools()
	if err == nil {
		t.Fatal("CheckTools passed with nothing on PATH")
	}
	for _, want := range []string{"go is not on PATH", "Rscript is not on PATH", "apt-get install r-base-core r-cran-shiny", "moto is not installed", "pip install 'moto[server]==5.2.1'"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("CheckTools error lacks %q:\n%v", want, err)
		}
	}
}
