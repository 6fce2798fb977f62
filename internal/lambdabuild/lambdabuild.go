// Package lambdabuild builds a Go Lambda (provided.al2023, arm64) at synth
// time and packs it into a zip whose bytes depend only on the source: the
// same commit gives the same zip in any folder, on any machine with the same
// Go version.
package lambdabuild

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Package is a built Lambda.
type Package struct {
	// ZipPath is the zip holding the executable "bootstrap" (an absolute path).
	ZipPath string
	// SHA256 is base64(sha256(zip)), the form Lambda's source_code_hash takes.
	SHA256 string
}

// Build compiles importPath (a package main of this module) for
// linux/arm64 into outDir/NAME.zip. It needs the go command, which synth
// already needs.
func Build(importPath, outDir, name string) (Package, error) {
	// An absolute ZipPath: cdktf resolves a relative asset path against a
	// folder of its own choosing, not the working directory.
	outDir, err := filepath.Abs(outDir)
	if err != nil {
		return Package{}, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return Package{}, err
	}
	bin := filepath.Join(outDir, name+".bootstrap")
	cmd := exec.Command("go", "build",
		"-trimpath", "-buildvcs=false", "-tags", "lambda.norpc",
		"-ldflags", "-s -w -buildid=",
		"-o", bin, importPath)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return Package{}, fmt.Errorf("build Lambda %s for linux/arm64: %v\n%s", importPath, err, stderr.String())
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		return Package{}, err
	}
	data, err := zipBootstrap(exe)
	if err != nil {
		return Package{}, err
	}
	zipPath := filepath.Join(outDir, name+".zip")
	if err := os.WriteFile(zipPath, data, 0o644); err != nil {
		return Package{}, err
	}
	sum := sha256.Sum256(data)
	return Package{ZipPath: zipPath, SHA256: base64.StdEncoding.EncodeToString(sum[:])}, nil
}

// zipBootstrap packs exe as an executable "bootstrap" with a fixed time, so
// the archive's bytes depend on exe only.
func zipBootstrap(exe []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(exe); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
