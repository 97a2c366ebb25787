package remoteschema

import (
	"fmt"
	"strconv"
	"strings"

	engine "github.com/graftql/graft/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// A role's permission on a remote schema is an SDL document naming the part
// of the remote it sees; an argument or input field marked
// @preset(value: ...) is hidden from the role and filled in by Graft, from
// the literal or, for a string starting with x-hasura-, the session
// variable of that name (Hasura's remote schema permissions).

// preset is the value of a hidden argument or input field.
type preset struct {
	value   any    // a literal
	session string // or a session variable, lower case
}

// roleView is the part of a remote a role sees.
type roleView struct {
	doc     *schemaDoc
	presets *presets
}

// presets is the marker that a view has presets; the values live on the
// view's inputValue entries.
type presets struct{}

// CheckPermission reports whether sdl is a valid view of the remote.
func (r *Remote) CheckPermission(sdl string) error {
	_, err := r.roleView(sdl)
	return err
}

// roleView builds the view sdl describes: every type, field, argument and
// enum value it names must exist in the remote with the same type.
func (r *Remote) roleView(sdl string) (*roleView, error) {
	type cached struct {
		view *roleView
		err  error
	}
	if c, ok := r.views.Load(sdl); ok {
		return c.(cached).view, c.(cached).err
	}
	view, err := r.buildView(sdl)
	r.views.Store(sdl, cached{view, err})
	return view, err
}

func (r *Remote) buildView(sdl string) (*roleView, error) {
	doc, err := parseDocument(sdl)
	if err != nil {
		return nil, fmt.Errorf("invalid schema document: %w", err)
	}
	view := &schemaDoc{byName: map[string]*typeDef{}, queryRoot: r.doc.queryRoot}
	explicitRoot := false
	for _, d := range doc.Definitions {
		if sd, ok := d.(*ast.SchemaDefinition); ok {
			explicitRoot = true
			for _, ot := range sd.OperationTypes {
				switch ot.Operation {
				case "query":
					view.queryRoot = ot.Type.Name.Value
				case "mutation":
					view.mutationRoot = ot.Type.Name.Value
				}
			}
		}
	}
	if !explicitRoot {
		view.queryRoot, view.mutationRoot = "Query", "Mutation"
	}
	for _, d := range doc.Definitions {
		t, err := r.viewType(d)
		if err != nil {
			return nil, err
		}
		if t != nil {
			view.types = append(view.types, t)
			view.byName[t.Name] = t
		}
	}
	// Types the SDL leaves out but the remote's built-in scalars need.
	for _, t := range r.doc.types {
		if t.Kind == "SCALAR" && view.byName[t.Name] == nil {
			view.types = append(view.types, t)
			view.byName[t.Name] = t
		}
	}
	if view.byName[view.queryRoot] == nil {
		return nil, fmt.Errorf("query root %q not found in the schema document", view.queryRoot)
	}
	if view.mutationRoot != "" && view.byName[view.mutationRoot] == nil {
		view.mutationRoot = ""
	}
	return &roleView{doc: view, presets: &presets{}}, nil
}

// viewType checks one SDL definition against the remote and returns the
// remote's definition cut down to it.
func (r *Remote) viewType(d ast.Node) (*typeDef, error) {
	var name string
	switch d := d.(type) {
	case *ast.ObjectDefinition:
		name = d.Name.Value
	case *ast.InterfaceDefinition:
		name = d.Name.Value
	case *ast.InputObjectDefinition:
		name = d.Name.Value
	case *ast.EnumDefinition:
		name = d.Name.Value
	case *ast.UnionDefinition:
		name = d.Name.Value
	case *ast.ScalarDefinition:
		name = d.Name.Value
	default:
		return nil, nil
	}
	orig := r.doc.typ(name)
	if orig == nil {
		return nil, fmt.Errorf("%q does not exist in the upstream remote schema", name)
	}
	t := &typeDef{Kind: orig.Kind, Name: orig.Name, Description: orig.Description,
		Interfaces: orig.Interfaces, PossibleTypes: orig.PossibleTypes, EnumValues: orig.EnumValues}
	switch d := d.(type) {
	case *ast.ObjectDefinition:
		return t, r.viewFields(t, orig, d.Fields)
	case *ast.InterfaceDefinition:
		return t, r.viewFields(t, orig, d.Fields)
	case *ast.InputObjectDefinition:
		for _, f := range d.Fields {
			of := orig.inputField(f.Name.Value)
			if of == nil {
				return nil, fmt.Errorf("input field %q does not exist in the input object type %q of the upstream remote schema", f.Name.Value, name)
			}
			if got := sdlType(f.Type); got != of.Type.String() {
				return nil, fmt.Errorf("input field %q of type %q has type %s in the upstream remote schema, not %s", f.Name.Value, name, of.Type, got)
			}
			v := *of
			v.preset = presetOf(f.Directives)
			t.InputFields = append(t.InputFields, v)
		}
	}
	return t, nil
}

func (r *Remote) viewFields(t, orig *typeDef, fields []*ast.FieldDefinition) error {
	for _, f := range fields {
		of := orig.field(f.Name.Value)
		if of == nil {
			return fmt.Errorf("field %q does not exist in the %q type of the upstream remote schema", f.Name.Value, t.Name)
		}
		if got := sdlType(f.Type); got != of.Type.String() {
			return fmt.Errorf("field %q of type %q has type %s in the upstream remote schema, not %s", f.Name.Value, t.Name, of.Type, got)
		}
		nf := fieldDef{Name: of.Name, Description: of.Description, Type: of.Type}
		for _, a := range f.Arguments {
			oa := of.arg(a.Name.Value)
			if oa == nil {
				return fmt.Errorf("argument %q of field %q does not exist in the upstream remote schema", a.Name.Value, f.Name.Value)
			}
			if got := sdlType(a.Type); got != oa.Type.String() {
				return fmt.Errorf("argument %q of field %q has type %s in the upstream remote schema, not %s", a.Name.Value, f.Name.Value, oa.Type, got)
			}
			v := *oa
			v.preset = presetOf(a.Directives)
			nf.Args = append(nf.Args, v)
		}
		t.Fields = append(t.Fields, nf)
	}
	return nil
}

// presetOf reads @preset(value: ...).
func presetOf(dirs []*ast.Directive) *preset {
	for _, d := range dirs {
		if d.Name.Value != "preset" {
			continue
		}
		for _, a := range d.Arguments {
			if a.Name.Value != "value" {
				continue
			}
			v := literal(a.Value)
			if s, ok := v.(string); ok && strings.HasPrefix(strings.ToLower(s), "x-hasura-") {
				return &preset{session: strings.ToLower(s)}
			}
			return &preset{value: v}
		}
	}
	return nil
}

// hidden reports whether a role may not give the argument: it is preset,
// or its input object has every field preset.
func (d *schemaDoc) hidden(a *inputValue) bool {
	if a.preset != nil {
		return true
	}
	return d.fullyPreset(a.Type.named())
}

func (d *schemaDoc) fullyPreset(typeName string) bool {
	t := d.typ(typeName)
	if t == nil || t.Kind != "INPUT_OBJECT" || len(t.InputFields) == 0 {
		return false
	}
	for _, f := range t.InputFields {
		if f.preset == nil {
			return false
		}
	}
	return true
}

// presetValue resolves a preset for the session, coerced to the scalar
// type of ref; errors are Hasura's not-found and coercion-error.
func presetValue(p *preset, ref *typeRef, s engine.Session) (any, error) {
	if p.session == "" {
		return p.value, nil
	}
	v, ok := s.Vars[p.session]
	if p.session == "x-hasura-role" {
		v, ok = s.Role, true
	}
	if !ok {
		return nil, sourceError(fmt.Sprintf("%q session variable expected, but not found", p.session), "not-found", nil)
	}
	switch ref.named() {
	case "Int":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, sourceError(fmt.Sprintf("%q cannot be coerced into an Int value", v), "coercion-error", nil)
		}
		return n, nil
	case "Float":
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, sourceError(fmt.Sprintf("%q cannot be coerced into a Float value", v), "coercion-error", nil)
		}
		return x, nil
	case "Boolean":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, sourceError(fmt.Sprintf("%q cannot be coerced into a Boolean value", v), "coercion-error", nil)
		}
		return b, nil
	}
	return v, nil
}

// sdlType prints a type reference of the permission's SDL as typeRef does.
func sdlType(t ast.Type) string {
	switch t := t.(type) {
	case *ast.NonNull:
		return sdlType(t.Type) + "!"
	case *ast.List:
		return "[" + sdlType(t.Type) + "]"
	case *ast.Named:
		return t.Name.Value
	}
	return "?"
}
