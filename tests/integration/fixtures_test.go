package integration

import (
	"context"
	"testing"

	"github.com/graftql/graft/tests/testenv"
	"github.com/jackc/pgx/v5"
)

// blogSQL is the schema most read tests share: an enum table, authors,
// their articles and comments on them (three levels of relationships).
const blogSQL = `
CREATE TABLE article_status (value text PRIMARY KEY, comment text);
INSERT INTO article_status VALUES ('draft', 'Not yet public'), ('published', 'Visible to all');
CREATE TABLE author (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email text,
  rating int,
  bio jsonb,
  tags text[],
  big bigint,
  score numeric(6,2),
  created_at timestamptz
);
CREATE TABLE article (
  id serial PRIMARY KEY,
  author_id int NOT NULL REFERENCES author(id),
  title text NOT NULL,
  views int,
  status text REFERENCES article_status(value),
  meta json
);
CREATE TABLE comment (
  id serial PRIMARY KEY,
  article_id int NOT NULL REFERENCES article(id),
  commenter_id int REFERENCES author(id),
  body text
);
INSERT INTO author (name, email, rating, bio, tags, big, score, created_at) VALUES
  ('Ada', 'ada@example.org', 5, '{"lang": "en", "langs": ["en", "fr"], "age": 36}', '{math,poetry}', 9007199254740993, 12.50, '2024-01-02 03:04:05.123+00'),
  ('Bob', NULL, 3, '{"lang": "de"}', '{}', 1, 0.10, '2024-02-03 10:00:00+02'),
  ('Cy', 'cy@example.org', NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO article (author_id, title, views, status, meta) VALUES
  (1, 'Alpha', 10, 'published', '{"k": [1, 2]}'),
  (1, 'Beta', 20, 'draft', NULL),
  (2, 'Gamma', 5, 'published', NULL);
INSERT INTO comment (article_id, commenter_id, body) VALUES
  (1, 2, 'nice'), (1, 3, 'ok'), (3, 1, 'hm');
`

// blogMetadata tracks the blog tables and their relationships in one bulk.
var blogMetadata = op("bulk", []any{
	op("pg_track_table", map[string]any{"table": "article_status", "is_enum": true}),
	op("pg_track_table", map[string]any{"table": "author"}),
	op("pg_track_table", map[string]any{"table": "article"}),
	op("pg_track_table", map[string]any{"table": "comment"}),
	op("pg_create_array_relationship", map[string]any{"table": "author", "name": "articles",
		"using": map[string]any{"foreign_key_constraint_on": map[string]any{"table": "article", "column": "author_id"}}}),
	op("pg_create_object_relationship", map[string]any{"table": "article", "name": "author",
		"using": map[string]any{"foreign_key_constraint_on": "author_id"}}),
	op("pg_create_array_relationship", map[string]any{"table": "article", "name": "comments",
		"using": map[string]any{"foreign_key_constraint_on": map[string]any{"table": "comment", "column": "article_id"}}}),
	op("pg_create_object_relationship", map[string]any{"table": "comment", "name": "commenter",
		"using": map[string]any{"manual_configuration": map[string]any{"remote_table": "author", "column_mapping": map[string]any{"commenter_id": "id"}}}}),
	op("pg_create_array_relationship", map[string]any{"table": "author", "name": "comments_written",
		"using": map[string]any{"manual_configuration": map[string]any{"remote_table": "comment", "column_mapping": map[string]any{"id": "commenter_id"}}}}),
})

// startWith creates a database, runs setup SQL on it directly, starts a
// server and applies the metadata bodies. It returns the server and the
// database URL.
func startWith(t testing.TB, setupSQL string, metadataBodies ...any) (*testenv.Server, string) {
	t.Helper()
	db := testenv.NewDatabase(t)
	if setupSQL != "" {
		testenv.Exec(t, db, setupSQL)
	}
	s := testenv.Start(t, db)
	for _, b := range metadataBodies {
		mustMeta(t, s, b)
	}
	return s, db
}

// startBlog starts a server on the blog schema, fully tracked.
func startBlog(t *testing.T) (*testenv.Server, string) {
	t.Helper()
	return startWith(t, blogSQL, blogMetadata)
}

// hasExtension reports whether an extension is installed in the database.
func hasExtension(t testing.TB, db, name string) bool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = $1)", name).Scan(&ok); err != nil {
		t.Fatalf("query extensions: %v", err)
	}
	return ok
}
