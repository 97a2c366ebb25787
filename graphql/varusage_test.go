package graphql

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// varUsageSchema has what variables can meet: non-null and list
// arguments, nested input objects, an interface, a union, directives and
// a mutation.
func varUsageSchema(t *testing.T) *graphql.Schema {
	t.Helper()
	intCmp := graphql.NewInputObject(graphql.InputObjectConfig{Name: "IntCmp", Fields: graphql.InputObjectConfigFieldMap{
		"_eq": {Type: graphql.Int},
		"_in": {Type: graphql.NewList(graphql.NewNonNull(graphql.Int))},
	}})
	filter := graphql.NewInputObject(graphql.InputObjectConfig{Name: "ItemFilter", Fields: graphql.InputObjectConfigFieldMap{}})
	filter.AddFieldConfig("id", &graphql.InputObjectFieldConfig{Type: intCmp})
	filter.AddFieldConfig("name", &graphql.InputObjectFieldConfig{Type: graphql.String})
	filter.AddFieldConfig("and", &graphql.InputObjectFieldConfig{Type: graphql.NewList(graphql.NewNonNull(filter))})
	node := graphql.NewInterface(graphql.InterfaceConfig{Name: "Node", Fields: graphql.Fields{"id": {Type: graphql.NewNonNull(graphql.ID)}}})
	item := graphql.NewObject(graphql.ObjectConfig{Name: "Item", Interfaces: []*graphql.Interface{node}, Fields: graphql.Fields{
		"id":   {Type: graphql.NewNonNull(graphql.ID)},
		"name": {Type: graphql.String, Args: graphql.FieldConfigArgument{"upper": {Type: graphql.Boolean}}},
	}})
	item.AddFieldConfig("child", &graphql.Field{Type: item, Args: graphql.FieldConfigArgument{"depth": {Type: graphql.Int}}})
	other := graphql.NewObject(graphql.ObjectConfig{Name: "Other", Fields: graphql.Fields{
		"x": {Type: graphql.Int, Args: graphql.FieldConfigArgument{"n": {Type: graphql.Int}}},
	}})
	result := graphql.NewUnion(graphql.UnionConfig{Name: "SearchResult", Types: []*graphql.Object{item, other},
		ResolveType: func(graphql.ResolveTypeParams) *graphql.Object { return item }})
	node.ResolveType = func(graphql.ResolveTypeParams) *graphql.Object { return item }
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"item": {Type: item, Args: graphql.FieldConfigArgument{
			"id": {Type: graphql.NewNonNull(graphql.Int)}, "filter": {Type: filter},
			"ids": {Type: graphql.NewList(graphql.NewNonNull(graphql.Int))}, "tags": {Type: graphql.NewList(graphql.String)},
		}},
		"items":  {Type: graphql.NewList(item), Args: graphql.FieldConfigArgument{"where": {Type: filter}, "limit": {Type: graphql.Int}}},
		"node":   {Type: node, Args: graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(graphql.ID)}}},
		"search": {Type: result, Args: graphql.FieldConfigArgument{"term": {Type: graphql.NewNonNull(graphql.String)}}},
	}})
	mutation := graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: graphql.Fields{
		"set": {Type: item, Args: graphql.FieldConfigArgument{"v": {Type: graphql.NewNonNull(graphql.Int)}}},
	}})
	s, err := graphql.NewSchema(graphql.SchemaConfig{Query: query, Mutation: mutation, Types: []graphql.Type{item, other}})
	if err != nil {
		t.Fatal(err)
	}
	return &s
}

// TestVariableUsagesAsGraphQLGo checks checkVariableUsages against the two
// graphql-go rules it replaces, error for error: messages, locations and
// order.
func TestVariableUsagesAsGraphQLGo(t *testing.T) {
	schema := varUsageSchema(t)
	docs := []string{
		`query ($id: Int!) { item(id: $id) { id } }`,
		`query ($id: Int) { item(id: $id) { id } }`,
		`query ($id: Int = 3) { item(id: $id) { id } }`,
		`query Q { item(id: $x) { id } }`,
		`{ item(id: $x) { id name(upper: $y) } }`,
		`query ($f: Int) { items(where: {id: {_eq: $f}}) { id } }`,
		`query ($f: String) { items(where: {id: {_eq: $f}}) { id } }`,
		`query ($l: [Int]) { item(id: 1, ids: $l) { id } }`,
		`query ($a: Int!) { item(id: 1, ids: [$a, 2]) { id } }`,
		`query ($a: String) { item(id: 1, ids: [$a]) { id } }`,
		`query ($a: Int!, $b: Boolean!) { ...F } fragment F on Query { item(id: $a) { ...G @include(if: $b) } } fragment G on Item { name(upper: $c) child(depth: $a) { id } }`,
		`query ($d: Int) { node(id: "1") { ... on Item { child(depth: $d) { id } } } }`,
		`query ($s: Boolean) { item(id: 1) @skip(if: $s) { id } }`,
		`query ($z: Int) { nope(a: $z) { x } }`,
		`query A($x: Int!) { item(id: $x) { id } } query B { item(id: $x) { id ...H } } fragment H on Item { name(upper: $u) }`,
		`query ($n: Int) { search(term: "x") { ... on Other { x(n: $n) } } }`,
		`query ($n: String) { search(term: "x") { ... on Other { x(n: $n) } ... { __typename } } }`,
		`query ($v: Int) { items(where: {and: [{id: {_in: [$v]}}]}) { id } }`,
		`query ($v: Nope) { item(id: $v) { id } }`,
		`mutation ($v: Int!) { set(v: $v) { id } }`,
		`mutation ($v: Int) { set(v: $v) { id } }`,
		`query ($w: ItemFilter) { items(where: $w) { id } }`,
		`query ($w: Int) { item(id: 1, nope: $w) { id } }`,
		`query ($t: [String!]!) { item(id: 1, tags: $t) { id } }`,
		`query ($t: String) { item(id: 1, tags: $t) { id } }`,
		`query ($t: [[String]]) { item(id: 1, tags: $t) { id } }`,
		`query ($k: Int) { item(id: 1) { ... on Item @include(if: $k) { id } } }`,
		`query ($k: Boolean!, $d: Int) { item(id: 1) { ... @include(if: $k) { child(depth: $d) { id } } } __type(name: $nm) { name } }`,
		`query ($g: Int!) { item(id: 1) { ...Loop } } fragment Loop on Item { child(depth: $g) { ...Loop } }`,
	}
	errored := 0
	for _, q := range docs {
		doc, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(q), Name: "GraphQL request"})})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		want := graphql.ValidateDocument(schema, doc, []graphql.ValidationRuleFn{
			graphql.NoUndefinedVariablesRule, graphql.VariablesInAllowedPositionRule}).Errors
		got := checkVariableUsages(schema, doc)
		if len(want) > 0 {
			errored++
		}
		if fmt.Sprint(summary(got)) != fmt.Sprint(summary(want)) {
			t.Errorf("%s\n got %v\nwant %v", q, summary(got), summary(want))
		}
	}
	if errored < 12 {
		t.Fatalf("only %d of %d documents had errors: the comparison proves little", errored, len(docs))
	}
}

func summary(errs []gqlerrors.FormattedError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, fmt.Sprintf("%s at %v", e.Message, e.Locations))
	}
	if reflect.ValueOf(out).IsNil() {
		return []string{}
	}
	return out
}
