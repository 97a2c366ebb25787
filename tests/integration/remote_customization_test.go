package integration

import "testing"

// Customization renames the remote's types and fields for the client and
// back for the remote: namespace, type prefix/suffix/mapping, field
// prefix/suffix/mapping, in fragments, __typename and variables.
func TestRemoteSchemaCustomizationBothWays(t *testing.T) {
	t.Parallel()
	remote := startPythonRemote(t)
	s, _ := startWith(t, "")
	mustMeta(t, s, addRemote("character-foo", remote.URL+"/character-iface-graphql", map[string]any{"customization": map[string]any{
		"root_fields_namespace": "star_wars",
		"type_names":            map[string]any{"prefix": "Foo", "suffix": "_x", "mapping": map[string]any{"Droid": "Android", "Int": "MyInt"}},
		"field_names": []any{
			map[string]any{"parent_type": "Character", "prefix": "foo_", "suffix": "_f", "mapping": map[string]any{"id": "ident"}},
			map[string]any{"parent_type": "Human", "mapping": map[string]any{"id": "ident", "name": "foo_name_f", "droid": "android"}},
			map[string]any{"parent_type": "Droid", "prefix": "foo_", "suffix": "_f", "mapping": map[string]any{"id": "ident"}},
			map[string]any{"parent_type": "CharacterIFaceQuery", "prefix": "super_"},
		},
	}}))
	wantData(t, s, `{ star_wars { __typename super_hero(episode: 4) { ident foo_name_f ... on Android { foo_primaryFunction_f } } } }`, nil,
		`{"star_wars":{"__typename":"star_warsCharacterIFaceQuery","super_hero":{"ident":"1","foo_name_f":"R2-D2","foo_primaryFunction_f":"Astromech"}}}`)
	wantData(t, s, `{ sw: star_wars { heroes: super_heroes { t: __typename ident ... on FooHuman_x { android { foo_name_f __typename } } } } }`, nil,
		`{"sw":{"heroes":[{"t":"Android","ident":"1"},{"t":"FooHuman_x","ident":"2","android":{"foo_name_f":"R2-D2","__typename":"Android"}}]}}`)
	wantData(t, s, `query Hero($ep: MyInt!) { star_wars { super_hero(episode: $ep) { ...c } } } fragment c on FooCharacter_x { foo_name_f __typename }`,
		map[string]any{"ep": 5}, `{"star_wars":{"super_hero":{"foo_name_f":"Luke Skywalker","__typename":"FooHuman_x"}}}`)
	wantData(t, s, `query($a: FooCharacterInputArgs_x!) { star_wars { super_heroByArgs(arguments: $a) { ident } } }`,
		map[string]any{"a": map[string]any{"episode": 4}}, `{"star_wars":{"super_heroByArgs":{"ident":"1"}}}`)
	// Only the customized names exist.
	wantData(t, s, `{ a: __type(name: "Android") { name } b: __type(name: "Droid") { name } }`, nil, `{"a":{"name":"Android"},"b":null}`)
	wantGQLError(t, gql(t, s, `{ star_wars { super_hero(episode: 4) { id } } }`, nil),
		"validation-failed", "$.selectionSet.star_wars.selectionSet.super_hero.selectionSet.id", `"id"`)
}

// Unions forward with the concrete type of each value.
func TestRemoteSchemaUnion(t *testing.T) {
	t.Parallel()
	remote := startPythonRemote(t)
	s, _ := startWith(t, "")
	mustMeta(t, s, addRemote("union", remote.URL+"/union-graphql", nil))
	wantData(t, s, `{ a: search(episode: 1) { __typename ... on Droid { id primaryFunction } ... on Human { id } } b: search(episode: 2) { ... on Human { name droid { id } } } c: search(episode: 3) { __typename } }`, nil,
		`{"a":{"__typename":"Droid","id":"6","primaryFunction":"Astromech"},"b":{"name":"Luke Skywalker","droid":{"id":"1"}},"c":null}`)
}

// Two copies of one remote schema live side by side under namespaces.
func TestRemoteSchemaNamespaces(t *testing.T) {
	t.Parallel()
	remote := startPythonRemote(t)
	s, _ := startWith(t, "")
	mustMeta(t, s, addRemote("user1", remote.URL+"/user-graphql", map[string]any{"customization": map[string]any{
		"root_fields_namespace": "bar", "type_names": map[string]any{"mapping": map[string]any{"UserQuery": "MyQueryRoot"}}}}))
	mustMeta(t, s, addRemote("user2", remote.URL+"/user-graphql", map[string]any{"customization": map[string]any{"root_fields_namespace": "baz"}}))
	wantData(t, s, `{ bar { __typename user(id: 1) { username } } baz { __typename } }`, nil,
		`{"bar":{"__typename":"MyQueryRoot","user":{"username":"jane"}},"baz":{"__typename":"bazUserQuery"}}`)
}

// Enum values, lists and input objects reach the remote as literals of
// its types, from the query text or from variables. (The Go helper, on
// graphql-go, wants the r* arguments despite their defaults.)
func TestRemoteSchemaArgumentValues(t *testing.T) {
	t.Parallel()
	remote := startPythonRemote(t)
	s, _ := startWith(t, "")
	mustMeta(t, s, addRemote("echo", remote.URL+"/default-value-echo-graphql", nil))
	wantData(t, s, `query($c: Color!, $o: SizeInput) { echo(enumInput: $c, objInput: $o, listInput: "one", rIntInput: 1, rObjInput: {}, rEnumInput: BLUE) { enumFld listFld objFld { width shape hasTag } } }`,
		map[string]any{"c": "GREEN", "o": map[string]any{"width": 3, "shape": "sq\"uare"}},
		`{"echo":{"enumFld":"GREEN","listFld":["one"],"objFld":{"width":3,"shape":"sq\"uare","hasTag":false}}}`)
	wantData(t, s, `{ echo(rIntInput: 1, rObjInput: {}, rEnumInput: BLUE) { enumFld listFld intFld } }`, nil, `{"echo":{"enumFld":"RED","listFld":["hi","there"],"intFld":1234}}`)
}
