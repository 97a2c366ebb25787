package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// The part of actions and custom types that Hasura's CLI keeps as GraphQL
// SDL in metadata/actions.graphql: each action's operation, arguments and
// output type, and each custom type's fields and enum values.

// sdlInput is an action argument or an input/output object field.
type sdlInput struct {
	Name        string  `json:"name"`
	Type        string  `json:"type"`
	Description *string `json:"description,omitempty"`
}

// sdlEnumValue is one enum value.
type sdlEnumValue struct {
	Value       string  `json:"value"`
	Description *string `json:"description,omitempty"`
}

// sdlAction is the SDL part of an action.
type sdlAction struct {
	Name       string
	Type       string // "query" or "mutation"
	Arguments  []sdlInput
	OutputType string
	line       int
}

// sdlType is a custom type: Kind is enums, input_objects, objects or
// scalars, as the custom_types keys.
type sdlType struct {
	Kind        string
	Name        string
	Description *string
	Fields      []sdlInput
	Values      []sdlEnumValue
	line        int
}

// customTypeKindsSDL is the order Hasura's CLI writes custom types in.
var customTypeKindsSDL = []string{"enums", "input_objects", "objects", "scalars"}

// renderActionsSDL writes actions.graphql as Hasura's CLI (its cli-ext
// `sdl to`) does: each action as its own `type Mutation`/`type Query` block
// followed by two blank lines, two more blank lines, then the custom types
// (enums, input objects, objects, scalars) each followed by one, with
// descriptions inline as `""" text """ `. Nothing at all is written for
// metadata without actions or custom types, as `graft init`.
func renderActionsSDL(actions []sdlAction, types []sdlType) string {
	if len(actions) == 0 && len(types) == 0 {
		return ""
	}
	var b strings.Builder
	for _, a := range actions {
		op := "Mutation"
		if a.Type == "query" {
			op = "Query"
		}
		b.WriteString("type " + op + " {\n  " + a.Name)
		if len(a.Arguments) > 0 {
			b.WriteString("(\n")
			for _, arg := range a.Arguments {
				b.WriteString("    " + sdlDescription(arg.Description) + arg.Name + ": " + arg.Type + "\n")
			}
			b.WriteString("  )")
		}
		b.WriteString(": " + a.OutputType + "\n}\n\n\n")
	}
	b.WriteString("\n\n")
	for _, kind := range customTypeKindsSDL {
		for _, t := range types {
			if t.Kind != kind {
				continue
			}
			desc := sdlDescription(t.Description)
			switch kind {
			case "scalars":
				b.WriteString(desc + "scalar " + t.Name + "\n\n")
				continue
			case "enums":
				lines := make([]string, len(t.Values))
				for i, v := range t.Values {
					lines[i] = "  " + sdlDescription(v.Description) + v.Value
				}
				b.WriteString(desc + "enum " + t.Name + " {\n" + strings.Join(lines, "\n") + "\n}\n\n")
				continue
			}
			keyword := "type "
			if kind == "input_objects" {
				keyword = "input "
			}
			lines := make([]string, len(t.Fields))
			for i, f := range t.Fields {
				lines[i] = "  " + sdlDescription(f.Description) + f.Name + ": " + f.Type
			}
			b.WriteString(desc + keyword + t.Name + " {\n" + strings.Join(lines, "\n") + "\n}\n\n")
		}
	}
	return b.String()
}

// sdlDescription is Hasura's inline block-string description; a `"""`
// inside the text is escaped so the SDL still parses.
func sdlDescription(d *string) string {
	if d == nil || *d == "" {
		return ""
	}
	return `""" ` + strings.ReplaceAll(*d, `"""`, `\"""`) + ` """ `
}

// parseActionsSDL reads actions.graphql: fields of Query and Mutation
// (`type` or `extend type`) are actions, every other object, input object,
// enum and scalar a custom type. Errors name file:line:column.
func parseActionsSDL(file, sdl string) ([]sdlAction, []sdlType, error) {
	src := source.NewSource(&source.Source{Body: []byte(sdl), Name: file})
	doc, err := parser.Parse(parser.ParseParams{Source: src, Options: parser.ParseOptions{NoSource: true}})
	if err != nil {
		return nil, nil, sdlSyntaxError(file, err)
	}
	line := func(n ast.Node) int {
		if loc := n.GetLoc(); loc != nil {
			return 1 + strings.Count(sdl[:min(loc.Start, len(sdl))], "\n")
		}
		return 0
	}
	var actions []sdlAction
	var types []sdlType
	seenAction, seenType := map[string]int{}, map[string]int{}
	addType := func(t sdlType) error {
		if prev, dup := seenType[t.Name]; dup {
			return fmt.Errorf("%s:%d: type %s is also defined on line %d", file, t.line, t.Name, prev)
		}
		seenType[t.Name] = t.line
		types = append(types, t)
		return nil
	}
	addOperation := func(def *ast.ObjectDefinition) error {
		typ := strings.ToLower(def.Name.Value)
		for _, f := range def.Fields {
			a := sdlAction{Name: f.Name.Value, Type: typ, OutputType: typeString(f.Type), line: line(f), Arguments: []sdlInput{}}
			if prev, dup := seenAction[a.Name]; dup {
				return fmt.Errorf("%s:%d: action %s is also defined on line %d", file, a.line, a.Name, prev)
			}
			seenAction[a.Name] = a.line
			for _, arg := range f.Arguments {
				a.Arguments = append(a.Arguments, sdlInput{Name: arg.Name.Value, Type: typeString(arg.Type), Description: description(arg.Description)})
			}
			actions = append(actions, a)
		}
		return nil
	}
	for _, d := range doc.Definitions {
		var err error
		switch def := d.(type) {
		case *ast.ObjectDefinition:
			if def.Name.Value == "Query" || def.Name.Value == "Mutation" {
				err = addOperation(def)
			} else {
				err = addType(sdlType{Kind: "objects", Name: def.Name.Value, Description: description(def.Description), Fields: fieldInputs(def.Fields), line: line(def)})
			}
		case *ast.TypeExtensionDefinition:
			if n := def.Definition.Name.Value; n != "Query" && n != "Mutation" {
				return nil, nil, fmt.Errorf("%s:%d: only Query and Mutation can be extended, not %s", file, line(def), n)
			}
			err = addOperation(def.Definition)
		case *ast.InputObjectDefinition:
			t := sdlType{Kind: "input_objects", Name: def.Name.Value, Description: description(def.Description), line: line(def), Fields: []sdlInput{}}
			for _, f := range def.Fields {
				t.Fields = append(t.Fields, sdlInput{Name: f.Name.Value, Type: typeString(f.Type), Description: description(f.Description)})
			}
			err = addType(t)
		case *ast.EnumDefinition:
			t := sdlType{Kind: "enums", Name: def.Name.Value, Description: description(def.Description), line: line(def), Values: []sdlEnumValue{}}
			for _, v := range def.Values {
				t.Values = append(t.Values, sdlEnumValue{Value: v.Name.Value, Description: description(v.Description)})
			}
			err = addType(t)
		case *ast.ScalarDefinition:
			err = addType(sdlType{Kind: "scalars", Name: def.Name.Value, Description: description(def.Description), line: line(def)})
		case *ast.SchemaDefinition:
			err = fmt.Errorf("%s:%d: you cannot have schema definitions in Action/Type definitions", file, line(def))
		case *ast.InterfaceDefinition:
			err = fmt.Errorf("%s:%d: interface types are not supported", file, line(def))
		default:
			err = fmt.Errorf("%s:%d: %s is not supported in action SDL: use only object, input, enum and scalar types", file, line(d), strings.ToLower(d.GetKind()))
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return actions, types, nil
}

func fieldInputs(fields []*ast.FieldDefinition) []sdlInput {
	out := []sdlInput{}
	for _, f := range fields {
		out = append(out, sdlInput{Name: f.Name.Value, Type: typeString(f.Type), Description: description(f.Description)})
	}
	return out
}

// description is a trimmed SDL description, as Hasura's CLI reads it.
func description(s *ast.StringValue) *string {
	if s == nil {
		return nil
	}
	d := strings.TrimSpace(s.Value)
	if d == "" {
		return nil
	}
	return &d
}

// typeString prints a type reference: [T!]!.
func typeString(t ast.Type) string {
	switch t := t.(type) {
	case *ast.NonNull:
		return typeString(t.Type) + "!"
	case *ast.List:
		return "[" + typeString(t.Type) + "]"
	case *ast.Named:
		return t.Name.Value
	}
	return ""
}

// sdlSyntaxError turns the parser's multi-line message into one line with
// the position.
func sdlSyntaxError(file string, err error) error {
	var ge *gqlerrors.Error
	if errors.As(err, &ge) && len(ge.Locations) > 0 {
		msg := ge.Message
		if i := strings.Index(msg, ") "); i >= 0 && strings.HasPrefix(msg, "Syntax Error") {
			msg = msg[i+2:]
		}
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return fmt.Errorf("%s:%d:%d: syntax error: %s", file, ge.Locations[0].Line, ge.Locations[0].Column, strings.TrimSpace(msg))
	}
	return fmt.Errorf("%s: %s", file, strings.Join(strings.Fields(err.Error()), " "))
}
