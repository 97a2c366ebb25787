package graphql_test

// Values-are-bound checks for the golden cases: the SQL text must not
// depend on any value a request carries (literals in the query, variables,
// session variables). Each case is compiled a second time with every such
// value changed to a unique marker; the SQL text must come out identical,
// no marker may appear in it, and the bind arguments must change.

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/graftql/graft/graphql"
	"github.com/graftql/graft/tests/testenv"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
)

// typeRef is an introspected or declared GraphQL type reference.
type typeRef struct {
	Kind   string   `json:"kind"`
	Name   string   `json:"name"`
	OfType *typeRef `json:"ofType"`
}

// schemaTypes maps a named type to its kind and, for input objects, field types.
type schemaTypes map[string]schemaType

type schemaType struct {
	kind   string
	fields map[string]*typeRef
}

func introspectTypes(t *testing.T, srv *testenv.Server) schemaTypes {
	t.Helper()
	r := srv.GraphQL(`{ __schema { types { name kind inputFields { name type {
		kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }`, nil)
	var resp struct {
		Data struct {
			Schema struct {
				Types []struct {
					Name        string `json:"name"`
					Kind        string `json:"kind"`
					InputFields []struct {
						Name string   `json:"name"`
						Type *typeRef `json:"type"`
					} `json:"inputFields"`
				} `json:"types"`
			} `json:"__schema"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &resp); err != nil || len(resp.Data.Schema.Types) == 0 {
		t.Fatalf("introspection failed (%v): %s", err, r.Body)
	}
	out := schemaTypes{}
	for _, ty := range resp.Data.Schema.Types {
		st := schemaType{kind: ty.Kind, fields: map[string]*typeRef{}}
		for _, f := range ty.InputFields {
			st.fields[f.Name] = f.Type
		}
		out[ty.Name] = st
	}
	return out
}

func (env *goldenEnv) checkValuesAreBound(t *testing.T, c goldenCase, stmts []graphql.Statement) {
	t.Helper()
	p := &perturber{types: env.types}
	doc, err := parser.Parse(parser.ParseParams{Source: c.query})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	pc := goldenCase{name: c.name, query: p.query(doc, c.query), session: graphql.Session{Role: c.session.Role, Vars: map[string]string{}}}
	pc.vars = p.variables(t, doc, c.vars)
	for k, v := range c.session.Vars {
		p.original = append(p.original, v)
		pc.session.Vars[k] = p.str(v)
	}

	// Direct check: no value of the request sits in a SQL string literal.
	for _, st := range stmts {
		for _, lit := range sqlLiterals(st.SQL) {
			for _, v := range p.original {
				// Equal to the value, or holding it as a JSON string (an
				// inlined json/geometry value); keys like 'published_at' are
				// field names, not values.
				quoted, _ := json.Marshal(v)
				if len(v) >= 3 && (lit == v || strings.Contains(lit, string(quoted))) {
					t.Errorf("field %s: request value %q appears in SQL literal '%s'", st.Field, v, lit)
				}
			}
		}
	}
	if len(p.marks) == 0 {
		return // the request carries no value
	}

	pstmts := compile(t, env.srv, pc)
	// The engine may reuse the SQL compiled for the original values
	// (sqlcache.go); a fresh compile must give the same.
	fresh, _ := env.srv.App.Engine.CompileFresh(pc.session, &graphql.Request{Query: pc.query, Variables: pc.vars})
	if argsJSON(fresh) != argsJSON(pstmts) {
		t.Errorf("reused SQL differs from a fresh compile:\n  reused: %s\n  fresh:  %s", argsJSON(pstmts), argsJSON(fresh))
	}
	if len(pstmts) != len(stmts) {
		t.Fatalf("changing the request's values changed the statements: %d, then %d", len(stmts), len(pstmts))
	}
	argsChanged := false
	for i, st := range stmts {
		ps := pstmts[i]
		if ps.Field != st.Field {
			t.Errorf("statement %d: field %s became %s when values changed", i, st.Field, ps.Field)
		}
		if ps.SQL != st.SQL {
			t.Errorf("field %s: the SQL text depends on the request's values (a value is inlined, not bound):\n"+
				"  query:   %s\n  vars:    %s\n  session: %v\n  SQL: %s", st.Field, pc.query, pc.vars, pc.session.Vars, lineDiff(st.SQL, ps.SQL))
		}
		for _, m := range p.marks {
			if strings.Contains(ps.SQL, m) {
				t.Errorf("field %s: request value %q appears in the SQL text", st.Field, m)
			}
		}
		if argsJSON(ps.Args) != argsJSON(st.Args) {
			argsChanged = true
		}
	}
	if !argsChanged {
		t.Errorf("the request's values changed (%v) but no bind argument did", p.marks)
	}
}

// perturber rewrites a request's values into unique markers, remembering
// the markers and the original strings.
type perturber struct {
	types    schemaTypes
	marks    []string // replaced values as they appear in the new request
	original []string // original string and enum values
}

// str marks a string value; the suffix is unique per value.
func (p *perturber) str(s string) string {
	m := s + "~v" + strconv.Itoa(len(p.marks)+1)
	p.marks = append(p.marks, m)
	return m
}

// num shifts a number by a large odd amount, keeping its kind (int or float).
func (p *perturber) num(s string) string {
	var m string
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		m = strconv.FormatInt(n+7919+int64(len(p.marks)), 10)
	} else if f, err := strconv.ParseFloat(s, 64); err == nil {
		m = strconv.FormatFloat(f+7919.25+float64(len(p.marks)), 'f', -1, 64)
	} else {
		return s
	}
	p.marks = append(p.marks, m)
	return m
}

// query replaces every string, int and float literal in the document's
// argument values and variable defaults (not enum or boolean values, nor
// the table names of _exists) in the query text.
func (p *perturber) query(doc *ast.Document, q string) string {
	type edit struct {
		start, end int
		text       string
	}
	var edits []edit
	var value func(v ast.Value)
	value = func(v ast.Value) {
		switch v := v.(type) {
		case *ast.StringValue:
			p.original = append(p.original, v.Value)
			edits = append(edits, edit{v.Loc.Start, v.Loc.End, strconv.Quote(p.str(v.Value))})
		case *ast.IntValue:
			edits = append(edits, edit{v.Loc.Start, v.Loc.End, p.num(v.Value)})
		case *ast.FloatValue:
			edits = append(edits, edit{v.Loc.Start, v.Loc.End, p.num(v.Value)})
		case *ast.EnumValue:
			p.original = append(p.original, v.Value)
		case *ast.ListValue:
			for _, x := range v.Values {
				value(x)
			}
		case *ast.ObjectValue:
			for _, f := range v.Fields {
				if f.Name.Value != "_table" {
					value(f.Value)
				}
			}
		}
	}
	var selections func(ss *ast.SelectionSet)
	selections = func(ss *ast.SelectionSet) {
		if ss == nil {
			return
		}
		for _, sel := range ss.Selections {
			switch s := sel.(type) {
			case *ast.Field:
				for _, a := range s.Arguments {
					value(a.Value)
				}
				selections(s.SelectionSet)
			case *ast.InlineFragment:
				selections(s.SelectionSet)
			}
		}
	}
	for _, d := range doc.Definitions {
		switch d := d.(type) {
		case *ast.OperationDefinition:
			for _, vd := range d.VariableDefinitions {
				value(vd.DefaultValue)
			}
			selections(d.SelectionSet)
		case *ast.FragmentDefinition:
			selections(d.SelectionSet)
		}
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start > edits[j].start })
	for _, e := range edits {
		q = q[:e.start] + e.text + q[e.end:]
	}
	return q
}

// variables changes the values of raw as their declared types allow:
// scalars (not Boolean) are replaced, enums kept, input objects walked.
func (p *perturber) variables(t *testing.T, doc *ast.Document, raw json.RawMessage) json.RawMessage {
	t.Helper()
	if len(raw) == 0 {
		return nil
	}
	v, err := decodeOrderedJSON(raw)
	if err != nil {
		t.Fatalf("variables: %v", err)
	}
	obj, ok := v.(jsonObject)
	if !ok {
		t.Fatalf("variables must be an object")
	}
	declared := map[string]*typeRef{}
	for _, d := range doc.Definitions {
		if op, ok := d.(*ast.OperationDefinition); ok {
			for _, vd := range op.VariableDefinitions {
				declared[vd.Variable.Name.Value] = astType(vd.Type)
			}
		}
	}
	for i, f := range obj {
		obj[i].Val = p.typed(f.Val, declared[f.Key])
	}
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatalf("variables: %v", err)
	}
	return b
}

func astType(t ast.Type) *typeRef {
	switch t := t.(type) {
	case *ast.NonNull:
		return &typeRef{Kind: "NON_NULL", OfType: astType(t.Type)}
	case *ast.List:
		return &typeRef{Kind: "LIST", OfType: astType(t.Type)}
	case *ast.Named:
		return &typeRef{Name: t.Name.Value}
	}
	return nil
}

func (p *perturber) typed(v any, ty *typeRef) any {
	if ty == nil || v == nil {
		return v
	}
	switch ty.Kind {
	case "NON_NULL":
		return p.typed(v, ty.OfType)
	case "LIST":
		if list, ok := v.([]any); ok {
			for i := range list {
				list[i] = p.typed(list[i], ty.OfType)
			}
			return list
		}
		return p.typed(v, ty.OfType) // a single value coerced to a list
	}
	st := p.types[ty.Name]
	switch {
	case ty.Name == "Boolean" || st.kind == "ENUM":
		if s, ok := v.(string); ok {
			p.original = append(p.original, s)
		}
		return v
	case st.kind == "INPUT_OBJECT":
		obj, ok := v.(jsonObject)
		if !ok {
			return v
		}
		for i, f := range obj {
			if f.Key != "_table" {
				obj[i].Val = p.typed(f.Val, st.fields[f.Key])
			}
		}
		return obj
	}
	return p.leaves(v) // a scalar: json, geometry etc. may be structured
}

// leaves replaces every string and number in a scalar value.
func (p *perturber) leaves(v any) any {
	switch v := v.(type) {
	case string:
		p.original = append(p.original, v)
		return p.str(v)
	case json.Number:
		return json.Number(p.num(v.String()))
	case []any:
		for i := range v {
			v[i] = p.leaves(v[i])
		}
	case jsonObject:
		for i := range v {
			v[i].Val = p.leaves(v[i].Val)
		}
	}
	return v
}

// sqlLiterals returns the contents of the single-quoted literals in sql.
func sqlLiterals(sql string) []string {
	var out []string
	for i := 0; i < len(sql); i++ {
		switch sql[i] {
		case '"': // skip a quoted identifier
			for i++; i < len(sql) && sql[i] != '"'; i++ {
			}
		case '\'':
			var lit strings.Builder
			for i++; i < len(sql); i++ {
				if sql[i] == '\'' {
					if i+1 < len(sql) && sql[i+1] == '\'' {
						lit.WriteByte('\'')
						i++
						continue
					}
					break
				}
				lit.WriteByte(sql[i])
			}
			out = append(out, lit.String())
		}
	}
	return out
}
