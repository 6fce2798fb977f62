package stacks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/shinyfargate/shiny-cdktf/internal/check"
)

// renamedSettings are settings that changed name: a file that still uses the
// old name gets told what to write instead (the value's meaning may differ).
var renamedSettings = map[string]string{
	"deletionProtection": `was replaced by "allowDeletion" with the opposite meaning: deletion protection is now on unless "allowDeletion": true (remove "deletionProtection": true; write "allowDeletion": true where it was false)`,
}

// checkKeys walks the JSON document in data against v's type and reports, all
// at once, what encoding/json would silently accept: a document that is not
// an object (null would mean "all defaults"), a key given twice (the last
// would win), a key in other letter case (encoding/json matches names
// case-insensitively, so {"REGION": ...} would set region), a renamed or
// unknown key.
func checkKeys(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("the file holds %s, not a JSON object of settings (write {} to take every default)", describeToken(tok))
	}
	p := check.New("")
	if err := walkObject(dec, reflect.TypeOf(v).Elem(), "", p); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("the JSON ends early: %w", io.ErrUnexpectedEOF)
		}
		return err
	}
	return p.Err()
}

func describeToken(tok json.Token) string {
	switch tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

// walkObject checks the keys of the object whose '{' was just read, for
// type t (a struct or a map), then reads its '}'. Syntax errors are
// returned; key problems are added to p.
func walkObject(dec *json.Decoder, t reflect.Type, path string, p *check.Problems) error {
	fields := jsonFields(t)
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string)
		full := path + key
		var ft reflect.Type
		switch {
		case seen[key]:
			p.Add(full, key, "is set twice in the file; keep one (JSON would silently take the last)")
		case t.Kind() == reflect.Map:
			ft = t.Elem()
		case fields[key] != nil:
			ft = fields[key]
		case renamedSettings[full] != "":
			p.Add(full, key, renamedSettings[full])
		default:
			p.Add(full, key, unknownKey(fields, key))
		}
		seen[key] = true
		if err := walkValue(dec, ft, full+".", p); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return err
}

// walkValue reads one value; objects of a known struct or map type are walked.
func walkValue(dec *json.Decoder, t reflect.Type, path string, p *check.Problems) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch {
	case d == '{' && t != nil && (t.Kind() == reflect.Struct || t.Kind() == reflect.Map):
		return walkObject(dec, t, path, p)
	case d == '{' || d == '[':
		for dec.More() {
			if d == '{' {
				if _, err := dec.Token(); err != nil { // key
					return err
				}
			}
			if err := walkValue(dec, nil, path, p); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	}
	return nil
}

// unknownKey says what to do about a key no setting has.
func unknownKey(fields map[string]reflect.Type, key string) string {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return fmt.Sprintf("is not a setting; did you mean %q? (setting names are case-sensitive)", name)
		}
	}
	return "is not a setting (see the settings table in the README)"
}

// jsonFields maps the JSON names of struct t's fields (embedded structs'
// fields included, as encoding/json inlines them) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	if t.Kind() != reflect.Struct {
		return out
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("json"), ",")[0]
		switch {
		case tag == "-" || (!f.IsExported() && !f.Anonymous):
		case f.Anonymous && tag == "":
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
		case tag != "":
			out[tag] = f.Type
		default:
			out[f.Name] = f.Type
		}
	}
	return out
}
