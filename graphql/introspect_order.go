package graphql

import (
	"sort"

	"github.com/graphql-go/graphql"
)

// Introspection lists in a stable order. graphql-go builds several of them
// from maps, so without this GraphiQL's type list (and an interface's
// implementations) would change order from one schema build to the next.
//
//   - __schema.types: sorted by name, as Hasura does (Introspect.hs sorts
//     the schema's types by name).
//   - fields, inputFields, enumValues, args: sorted by name, as Graft has
//     always listed them.
//   - possibleTypes of an interface: sorted by name (graphql-go collects them
//     from its type map). A union's members keep their declared order, which
//     is already stable and is what Hasura shows.
//   - interfaces, directives: graphql-go keeps them in declared order.

// byNameLists are the list keys always sorted by each entry's name.
var byNameLists = map[string]bool{"types": true, "fields": true, "inputFields": true, "enumValues": true, "args": true}

// sortIntrospection orders an introspection result's map-ordered lists (see
// above) and turns empty descriptions into null. schema tells a union's
// possibleTypes, left in declared order, from an interface's.
func sortIntrospection(schema graphql.Schema, v any) {
	switch v := v.(type) {
	case map[string]any:
		nullEmptyDescription(v)
		for k, x := range v {
			if list, ok := x.([]any); ok && (byNameLists[k] || k == "possibleTypes" && !isUnion(schema, v)) {
				sortByName(list)
			}
			sortIntrospection(schema, x)
		}
	case []any:
		for _, x := range v {
			sortIntrospection(schema, x)
		}
	}
}

// isUnion tells whether an introspected __Type object names a union. A type
// whose name was not selected counts as an interface: its possible types
// are then sorted, which is stable either way.
func isUnion(schema graphql.Schema, typ map[string]any) bool {
	name, _ := typ["name"].(string)
	if name == "" {
		return false
	}
	_, ok := schema.Type(name).(*graphql.Union)
	return ok
}

func sortByName(list []any) {
	sort.SliceStable(list, func(i, j int) bool { return nameOf(list[i]) < nameOf(list[j]) })
}

func nameOf(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["name"].(string)
	return s
}
