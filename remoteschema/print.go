package remoteschema

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/graphql-go/graphql/language/ast"
)

// printField writes `key: name(args) { ... }` in the remote's names.
func (f *forward) printField(key string, def *fieldDef, fields []*ast.Field) {
	if key != def.Name {
		f.text.WriteString(key + ": ")
	}
	f.text.WriteString(def.Name)
	f.printArgs(def, fields[0])
	f.printSelection(def, fields)
}

// printSelection writes the selection of fields on def's type, if it has one.
func (f *forward) printSelection(def *fieldDef, fields []*ast.Field) {
	named := f.sv.doc.typ(def.Type.named())
	if named == nil || (named.Kind != "OBJECT" && !named.abstract()) {
		return
	}
	sets := selectionSets(fields)
	f.text.WriteString(" {")
	if named.abstract() {
		f.text.WriteString(" " + typenameAlias + ": __typename")
		for _, p := range f.sv.doc.possible(named) {
			f.text.WriteString(" ... on " + p.Name + " {")
			f.printFields(sets, p)
			f.text.WriteString(" }")
		}
	} else {
		f.printFields(sets, named)
	}
	f.text.WriteString(" }")
}

// printFields writes the selection of sets on an object of type t;
// __typename is answered from what the remote says the type is.
func (f *forward) printFields(sets []*ast.SelectionSet, t *typeDef) {
	n := 0
	groups := f.collect(sets, t)
	for _, g := range groups {
		if g.name == "__typename" {
			continue
		}
		d := t.field(f.sv.r.cz.origField(t.Name, g.name))
		if d == nil {
			continue
		}
		f.text.WriteByte(' ')
		f.printField(g.key, d, g.fields)
		n++
	}
	n += f.printJoinKeys(groups, t)
	if n == 0 {
		f.text.WriteString(" __typename") // a selection set may not be empty
	}
}

func (f *forward) printArgs(def *fieldDef, field *ast.Field) {
	f.printArgValues(def, f.call.Arguments(field))
}

// printArgValues writes def's arguments from args, presets applied.
func (f *forward) printArgValues(def *fieldDef, args map[string]any) {
	n := 0
	for i := range def.Args {
		a := &def.Args[i]
		v, ok := args[a.Name]
		whole := false // a preset of the whole argument is sent as it is
		switch {
		case a.preset != nil:
			whole = true
			var err error
			if v, err = presetValue(a.preset, a.Type, f.call.Session); err != nil {
				f.fail(err)
				return
			}
			ok = true
		case !ok && f.sv.doc.fullyPreset(a.Type.named()):
			v, ok = map[string]any{}, true // its presets make the whole value
		}
		if !ok {
			continue
		}
		if n == 0 {
			f.text.WriteByte('(')
		} else {
			f.text.WriteString(", ")
		}
		n++
		f.text.WriteString(a.Name + ": ")
		f.printValue(v, a.Type, !whole)
	}
	if n > 0 {
		f.text.WriteByte(')')
	}
}

// fail keeps the first error met while printing.
func (f *forward) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}

// printValue writes v as a GraphQL literal of the remote's type ref.
// With presets, preset input object fields override what v holds.
func (f *forward) printValue(v any, ref *typeRef, presets bool) {
	if v == nil {
		f.text.WriteString("null")
		return
	}
	switch ref.Kind {
	case "NON_NULL":
		f.printValue(v, ref.OfType, presets)
		return
	case "LIST":
		list, ok := v.([]any)
		if !ok {
			f.printValue(v, ref.OfType, presets) // a single value stands for a list of one
			return
		}
		f.text.WriteByte('[')
		for i, x := range list {
			if i > 0 {
				f.text.WriteString(", ")
			}
			f.printValue(x, ref.OfType, presets)
		}
		f.text.WriteByte(']')
		return
	}
	def := f.sv.doc.typ(ref.named())
	switch {
	case def != nil && def.Kind == "ENUM":
		if s, ok := v.(string); ok {
			f.text.WriteString(s)
			return
		}
	case def != nil && def.Kind == "INPUT_OBJECT":
		if m, ok := v.(map[string]any); ok {
			if presets {
				m = f.withPresets(m, def)
			}
			f.text.WriteByte('{')
			for i, k := range sortedKeys(m, def) {
				if i > 0 {
					f.text.WriteString(", ")
				}
				f.text.WriteString(k + ": ")
				if fd := def.inputField(k); fd != nil {
					f.printValue(m[k], fd.Type, presets)
				} else {
					f.printAny(m[k])
				}
			}
			f.text.WriteByte('}')
			return
		}
	}
	f.printAny(v)
}

// printAny writes a plain JSON value as a GraphQL literal (custom scalars).
func (f *forward) printAny(v any) {
	switch v := v.(type) {
	case nil:
		f.text.WriteString("null")
	case string:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		f.text.Write(bytes.TrimRight(b.Bytes(), "\n"))
	case bool:
		f.text.WriteString(strconv.FormatBool(v))
	case int64:
		f.text.WriteString(strconv.FormatInt(v, 10))
	case float64:
		f.text.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	case json.Number:
		f.text.WriteString(v.String())
	case []any:
		f.text.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				f.text.WriteString(", ")
			}
			f.printAny(x)
		}
		f.text.WriteByte(']')
	case map[string]any:
		f.text.WriteByte('{')
		for i, k := range sortedKeys(v, nil) {
			if i > 0 {
				f.text.WriteString(", ")
			}
			f.text.WriteString(k + ": ")
			f.printAny(v[k])
		}
		f.text.WriteByte('}')
	default:
		b, _ := json.Marshal(v)
		f.text.Write(b)
	}
}

// withPresets sets the preset fields of an input object value.
func (f *forward) withPresets(m map[string]any, def *typeDef) map[string]any {
	var out map[string]any
	for _, fd := range def.InputFields {
		if fd.preset == nil {
			continue
		}
		if out == nil {
			out = make(map[string]any, len(m)+1)
			for k, v := range m {
				out[k] = v
			}
		}
		v, err := presetValue(fd.preset, fd.Type, f.call.Session)
		if err != nil {
			f.fail(err)
		}
		out[fd.Name] = v
	}
	if out == nil {
		return m
	}
	return out
}
