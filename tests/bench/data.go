package main

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/graftql/graft/graphql"
)

// Sizes of the seeded data.
const (
	nAuthors  = 2000
	nArticles = 20000
	nComments = 60000
	nOrgs     = 20 // author.org_id is 1 + id % nOrgs
)

// schemaSQL creates and fills the benchmark tables. Every value derives from
// generate_series, so each run sees the same rows.
func schemaSQL() string {
	return strings.NewReplacer(
		"{authors}", strconv.Itoa(nAuthors), "{articles}", strconv.Itoa(nArticles), "{comments}", strconv.Itoa(nComments),
		"{orgs}", strconv.Itoa(nOrgs),
	).Replace(schemaTemplate)
}

const schemaTemplate = `
CREATE TABLE author (
  id         serial PRIMARY KEY,
  name       text NOT NULL,
  email      text,
  created_at timestamptz NOT NULL,
  org_id     int NOT NULL
);
CREATE TABLE article (
  id           serial PRIMARY KEY,
  author_id    int NOT NULL REFERENCES author (id),
  title        text NOT NULL,
  body         text,
  rating       int,
  published_at timestamptz
);
CREATE INDEX article_author_id ON article (author_id);
CREATE TABLE comment (
  id         serial PRIMARY KEY,
  article_id int NOT NULL REFERENCES article (id),
  author_id  int REFERENCES author (id),
  body       text NOT NULL,
  created_at timestamptz
);
CREATE INDEX comment_article_id ON comment (article_id);
-- The mutation section's table, TRUNCATEd before every measured run.
CREATE TABLE bench_event (
  id         bigserial PRIMARY KEY,
  kind       text NOT NULL,
  payload    jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO author (id, name, email, created_at, org_id)
SELECT i, 'Author ' || i, 'author' || i || '@example.com',
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 hour', 1 + i % {orgs}
FROM generate_series(1, {authors}) AS i;
SELECT setval('author_id_seq', {authors});

INSERT INTO article (author_id, title, body, rating, published_at)
SELECT 1 + (i * 7 % {authors}),
       'Article ' || i,
       repeat('Lorem ipsum dolor sit amet. ', 1 + i % 8),
       CASE WHEN i % 11 = 0 THEN NULL ELSE 1 + (i * 13 % 5) END,
       timestamptz '2024-01-01 00:00:00+00' + (i * 7919 % 525600) * interval '1 minute'
FROM generate_series(1, {articles}) AS i;

INSERT INTO comment (article_id, author_id, body, created_at)
SELECT 1 + (i * 3 % {articles}), 1 + (i * 11 % {authors}), 'Comment ' || i,
       timestamptz '2024-06-01 00:00:00+00' + i * interval '1 minute'
FROM generate_series(1, {comments}) AS i;

ANALYZE;
`

// metadataBody is a replace_metadata request tracking the three tables with
// their relationships, and bench_event, in Hasura's v3 export form.
func metadataBody() []byte {
	table := func(name string) map[string]any { return map[string]any{"schema": "public", "name": name} }
	fk := func(tbl, col string) map[string]any {
		return map[string]any{"foreign_key_constraint_on": map[string]any{"table": table(tbl), "column": col}}
	}
	rel := func(name string, using any) map[string]any { return map[string]any{"name": name, "using": using} }
	md := map[string]any{
		"version": 3,
		"sources": []any{map[string]any{
			"name": "default",
			"kind": "postgres",
			"tables": []any{
				map[string]any{
					"table":                table("article"),
					"object_relationships": []any{rel("author", map[string]any{"foreign_key_constraint_on": "author_id"})},
					"array_relationships":  []any{rel("comments", fk("comment", "article_id"))},
				},
				map[string]any{
					"table":               table("author"),
					"array_relationships": []any{rel("articles", fk("article", "author_id")), rel("comments", fk("comment", "author_id"))},
				},
				map[string]any{
					"table": table("comment"),
					"object_relationships": []any{
						rel("article", map[string]any{"foreign_key_constraint_on": "article_id"}),
						rel("author", map[string]any{"foreign_key_constraint_on": "author_id"}),
					},
				},
				map[string]any{"table": table("bench_event")},
			},
			"configuration": map[string]any{"connection_info": map[string]any{
				"database_url":    map[string]any{"from_env": "HASURA_GRAPHQL_DATABASE_URL"},
				"isolation_level": "read-committed",
				"pool_settings":   map[string]any{"max_connections": 32},
			}},
		}},
	}
	b, err := json.Marshal(map[string]any{"type": "replace_metadata", "args": md})
	if err != nil {
		panic(err)
	}
	return b
}

// benchQuery is one measured GraphQL query and the variables of its i-th request.
type benchQuery struct {
	name  string
	text  string
	field string // the root field, as it appears in the response
	vars  func(i int) map[string]any
	// session is request i's session; nil: admin. The role and session
	// variables go to Graft as headers next to the admin secret.
	session func(i int) graphql.Session
}

// spread maps request i onto 1..n, visiting every value in a scrambled order.
func spread(i, n int) int { return 1 + (i*7919)%n }

func benchQueries() []benchQuery {
	return []benchQuery{
		{
			name:  "a: author_by_pk",
			field: "author_by_pk",
			text:  `query ($id: Int!) { author_by_pk(id: $id) { id name } }`,
			vars:  func(i int) map[string]any { return map[string]any{"id": spread(i, nAuthors)} },
		},
		{
			name:  "b: article where+order+limit",
			field: "article",
			text: `query ($a: Int!) {
  article(where: {author_id: {_eq: $a}, rating: {_gte: 2}}, order_by: {published_at: desc}, limit: 20) {
    id title rating published_at
  }
}`,
			vars: func(i int) map[string]any { return map[string]any{"a": spread(i, nAuthors)} },
		},
		{
			name:  "c: nested + aggregate",
			field: "author",
			text: `query ($after: Int!) {
  author(where: {id: {_gt: $after}}, order_by: {id: asc}, limit: 10) {
    id name
    articles(order_by: {published_at: desc}, limit: 5) { id title rating }
    articles_aggregate { aggregate { count avg { rating } } }
  }
}`,
			vars: func(i int) map[string]any { return map[string]any{"after": spread(i, nAuthors-10) - 1} },
		},
	}
}
