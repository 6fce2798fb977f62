package lambdabuild

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"io"
	"os"
	"testing"
)

const pkg = "github.com/shinyfargate/shiny-cdktf/sessionmetric"

// Two builds into different folders give byte-identical zips holding an
// arm64 Linux executable named bootstrap.
func TestBuildIsReproducibleArm64Bootstrap(t *testing.T) {
	a, err := Build(pkg, t.TempDir(), "sessionmetric")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(pkg, t.TempDir(), "sessionmetric")
	if err != nil {
		t.Fatal(err)
	}
	za, _ := os.ReadFile(a.ZipPath)
	zb, _ := os.ReadFile(b.ZipPath)
	if !bytes.Equal(za, zb) || a.SHA256 != b.SHA256 {
		t.Fatalf("two builds differ: %s vs %s", a.SHA256, b.SHA256)
	}
	zr, err := zip.NewReader(bytes.NewReader(za), int64(len(za)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode().Perm()&0o111 == 0 {
		t.Fatalf("zip must hold one executable bootstrap, has %v", zr.File)
	}
	f, _ := zr.File[0].Open()
	exe, _ := io.ReadAll(f)
	ef, err := elf.NewFile(bytes.NewReader(exe))
	if err != nil {
		t.Fatalf("bootstrap is not ELF: %v", err)
	}
	if ef.Machine != elf.EM_AARCH64 {
		t.Errorf("bootstrap machine = %v, want arm64", ef.Machine)
	}
}

func TestBuildErrorNamesPackage(t *testing.T) {
	_, err := Build("github.com/shinyfargate/shiny-cdktf/nope", t.TempDir(), "x")
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("shiny-cdktf/nope")) {
		t.Fatalf("error = %v", err)
	}
}
