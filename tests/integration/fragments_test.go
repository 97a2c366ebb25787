package integration

import "testing"

// Inline fragments whose type can never apply are skipped, as Hasura's
// field collection does, rather than refused as the spec would: an
// unknown type, or another table's.
func TestInapplicableInlineFragmentsAreSkipped(t *testing.T) {
	t.Parallel()
	s, _ := startBlog(t)

	wantData(t, s, `{ author_by_pk(id: 1) { id ... on no_such_type { email } ... on article { title } ... on author { name } ... { rating } } }`, nil,
		`{"author_by_pk":{"id":1,"name":"Ada","rating":5}}`)
	// Nested, and inside a fragment that applies.
	wantData(t, s, `{ author(where: {id: {_eq: 2}}) { ... on author { name articles { ... on comment { body } title } } } }`, nil,
		`{"author":[{"name":"Bob","articles":[{"title":"Gamma"}]}]}`)
	// A selection set left empty selects nothing, as in Hasura.
	wantData(t, s, `{ author_by_pk(id: 1) { ... on article { title } } }`, nil, `{"author_by_pk":{}}`)
	// Named fragments too: Hasura inlines them first.
	wantData(t, s, `{ author_by_pk(id: 1) { id ...onArticle ...onNothing ...onAuthor } }
		fragment onArticle on article { title }
		fragment onNothing on no_such_type { whatever }
		fragment onAuthor on author { name }`, nil,
		`{"author_by_pk":{"id":1,"name":"Ada"}}`)
	// Introspection's types too.
	wantData(t, s, `{ __type(name: "author") { name ... on no_such_type { x } } }`, nil, `{"__type":{"name":"author"}}`)
	// What is inside a fragment that applies is still validated.
	wantGQLError(t, gql(t, s, `{ author_by_pk(id: 1) { ... on author { no_such_field } } }`, nil), "validation-failed", "", "")
	// What Hasura checks before it skips anything is refused even inside a
	// skipped fragment: an unbound variable, an undefined fragment, a cycle.
	wantGQLError(t, gql(t, s, `{ author_by_pk(id: 1) { id ... on article { author(where: {id: {_eq: $nope}}) { id } } } }`, nil), "validation-failed", "", "")
	wantGQLError(t, gql(t, s, `{ author_by_pk(id: 1) { id ... on no_such_type { ...nowhere } } }`, nil), "validation-failed", "", "")
	wantGQLError(t, gql(t, s, `{ author_by_pk(id: 1) { ...a } } fragment a on author { ...b } fragment b on article { ...a }`, nil), "validation-failed", "", "")
}

// A document may define fragments its operation does not use: Hasura's
// fragment inliner does not check (documents share fragments).
func TestUnusedFragmentsAreAllowed(t *testing.T) {
	t.Parallel()
	s, _ := startBlog(t)
	wantData(t, s, `query { author_by_pk(id: 2) { ...authorName } } fragment authorName on author { name } fragment unused on article { title }`, nil,
		`{"author_by_pk":{"name":"Bob"}}`)
	// Hasura never looks inside a fragment it does not inline: one written
	// for a role that sees more is no error for one that sees less.
	wantData(t, s, `query { author_by_pk(id: 2) { name } } fragment unused on article { no_such_column }`, nil,
		`{"author_by_pk":{"name":"Bob"}}`)
	// A spread of a fragment that is not defined is still refused.
	wantGQLError(t, gql(t, s, `{ author_by_pk(id: 2) { ...nowhere } }`, nil), "validation-failed", "", "")
}
