// Package synthtest helps tests assert on synthesized cdktf stacks.
package synthtest

import (
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// Update rewrites golden files instead of comparing: go test ./... -update
var Update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current synthesis")

// Synth is a synthesized stack: the raw JSON and its decoded form.
type Synth struct {
	JSON string
	Doc  map[string]any
}

// SynthStack synthesizes stack (with cdktf's validations) and decodes it.
func SynthStack(t testing.TB, stack cdktf.TerraformStack) Synth {
	t.Helper()
	out := cdktf.Testing_Synth(stack, jsii.Bool(true))
	var doc map[string]any
	if err := json.Unmarshal([]byte(*out), &doc); err != nil {
		t.Fatalf("synthesized stack is not JSON: %v", err)
	}
	return Synth{JSON: *out, Doc: doc}
}

// Resources returns the resources of one type, by name.
func (s Synth) Resources(typ string) map[string]map[string]any {
	return section(s.Doc, "resource", typ)
}

// DataSources returns the data sources of one type, by name.
func (s Synth) DataSources(typ string) map[string]map[string]any {
	return section(s.Doc, "data", typ)
}

func section(doc map[string]any, kind, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	k, _ := doc[kind].(map[string]any)
	ts, _ := k[typ].(map[string]any)
	for name, v := range ts {
		if m, ok := v.(map[string]any); ok {
			out[name] = m
		}
	}
	return out
}

// Resource returns the one resource typ.name or fails the test.
func (s Synth) Resource(t testing.TB, typ, name string) map[string]any {
	t.Helper()
	r, ok := s.Resources(typ)[name]
	if !ok {
		t.Fatalf("no %s.%s; have %s", typ, name, s.pretty(s.Resources(typ)))
	}
	return r
}

// Outputs returns the stack's outputs, by name.
func (s Synth) Outputs() map[string]map[string]any {
	out := map[string]map[string]any{}
	o, _ := s.Doc["output"].(map[string]any)
	for name, v := range o {
		out[name], _ = v.(map[string]any)
	}
	return out
}

// HasResource asserts that some resource of typ has at least props (cdktf's
// own matcher); on failure it prints every resource of that type.
func (s Synth) HasResource(t testing.TB, typ string, props map[string]any) {
	t.Helper()
	if !*cdktf.Testing_ToHaveResourceWithProperties(jsii.String(s.JSON), jsii.String(typ), &props) {
		want, _ := json.MarshalIndent(props, "", "  ")
		t.Errorf("no %s with properties\n%s\nsynthesized %s resources:\n%s", typ, want, typ, s.pretty(s.Resources(typ)))
	}
}

// HasDataSource is HasResource for data sources.
func (s Synth) HasDataSource(t testing.TB, typ string, props map[string]any) {
	t.Helper()
	if !*cdktf.Testing_ToHaveDataSourceWithProperties(jsii.String(s.JSON), jsii.String(typ), &props) {
		want, _ := json.MarshalIndent(props, "", "  ")
		t.Errorf("no data.%s with properties\n%s\nsynthesized:\n%s", typ, want, s.pretty(s.DataSources(typ)))
	}
}

func (s Synth) pretty(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// Golden compares the synthesized JSON with testdata/NAME.golden.json, or
// rewrites it with -update.
func (s Synth) Golden(t testing.TB, name string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.json")
	if *Update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(s.JSON+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != s.JSON+"\n" {
		t.Errorf("%s differs from the synthesized stack; review the change, then run go test ./... -update.\n%s", path, firstDiff(string(want), s.JSON+"\n"))
	}
}

func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-200)
	return "golden: ..." + a[lo:min(len(a), i+200)] + "\n---\nsynthesized: ..." + b[lo:min(len(b), i+200)]
}

// ByPath returns the resource of typ whose construct path is path (e.g.
// "app/alb/HTTPSListener") and its Terraform name, or fails the test. Test
// synthesis omits metadata, so the name is matched the way cdktf makes it:
// the path below the stack joined by "_", then an 8-character hash.
func (s Synth) ByPath(t testing.TB, typ, path string) (string, map[string]any) {
	t.Helper()
	_, below, _ := strings.Cut(path, "/")
	prefix := strings.ReplaceAll(below, "/", "_") + "_"
	for name, r := range s.Resources(typ) {
		if strings.HasPrefix(name, prefix) && len(name) == len(prefix)+8 {
			return name, r
		}
	}
	t.Fatalf("no %s at construct path %s; have %v", typ, path, slices.Sorted(maps.Keys(s.Resources(typ))))
	return "", nil
}

// Ref is the interpolation a reference to typ.name.attr synthesizes to.
func Ref(typ, name, attr string) string {
	return "${" + typ + "." + name + "." + attr + "}"
}
